//! A client folder like the npm package's `web` build, for stacks with `[viewer]` enabled.

use s3gk_gatekeeper::viewer::{CLIENT_MODULE, CLIENT_WASM};

/// The client module: it imports its snippet, as wasm-bindgen's glue does.
pub const MODULE: &str = "import './snippets/c-1/js/io.js'; export default async function init() {}";
/// A wasm-bindgen snippet.
pub const SNIPPET: &str = "export {};";
/// A WebAssembly module's header.
pub const WASM: &[u8] = b"\0asm\x01\0\0\0";

/// A fresh client folder.
pub fn client_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("snippets/c-1/js")).unwrap();
    std::fs::write(dir.path().join(CLIENT_MODULE), MODULE).unwrap();
    std::fs::write(dir.path().join(CLIENT_WASM), WASM).unwrap();
    std::fs::write(dir.path().join("snippets/c-1/js/io.js"), SNIPPET).unwrap();
    dir
}

/// A `[viewer]` section serving `client` to `vendor`.
pub fn section(client: &tempfile::TempDir, vendor: &str) -> String {
    format!("[viewer]\nenabled = true\nvendor_origins = [\"{vendor}\"]\nclient_dir = {:?}\n", client.path())
}
