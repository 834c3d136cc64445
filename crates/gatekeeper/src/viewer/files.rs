//! The files the viewer serves: this release's own (compiled into the binary from `viewer/` at
//! the repository's root), and the WebAssembly client (the npm package's `web` build) read once,
//! at start, from the configured folder.
//!
//! Nothing here is read again after start: what was hashed is what is served. This module must
//! never serve a file from disk per request, never follow a path that leaves the client folder,
//! and never accept a file it could not hash.

use std::path::{Path, PathBuf};

use axum::body::Bytes;

use super::sri::Integrity;

/// The frame's code: the co-signature bridge, the client's start and the renderer's.
pub(super) const FRAME_JS: &str = include_str!("../../../../viewer/frame.js");
/// The release's own renderer (`report`).
pub(super) const REPORT_JS: &str = include_str!("../../../../viewer/report.js");
/// The viewer's style sheet.
pub(super) const VIEWER_CSS: &str = include_str!("../../../../viewer/viewer.css");

/// The client's module and WebAssembly file, which the folder must hold at its top.
pub const CLIENT_MODULE: &str = "s3_gatekeeper_client.js";
/// See [`CLIENT_MODULE`].
pub const CLIENT_WASM: &str = "s3_gatekeeper_client_bg.wasm";

/// The most files, the deepest folder and the most bytes read from the client folder.
const MAX_FILES: usize = 64;
const MAX_DEPTH: usize = 4;
const MAX_BYTES: u64 = 32 << 20;

/// One file of the client, with its path below the folder (`/`-separated) and its digest.
#[derive(Clone)]
pub struct ClientFile {
    /// The path below the client folder, e.g. `s3_gatekeeper_client.js` or `snippets/x/js/io.js`.
    pub path: String,
    /// The file's bytes, as read at start.
    pub bytes: Bytes,
    /// Their SHA-384.
    pub integrity: Integrity,
}

impl std::fmt::Debug for ClientFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes, {})", self.path, self.bytes.len(), self.integrity)
    }
}

/// The client's `.js` and `.wasm` files (type declarations, READMEs and the rest are not served).
#[derive(Clone, Debug)]
pub struct ClientFiles {
    files: Vec<ClientFile>,
}

impl ClientFiles {
    /// Reads every `.js` and `.wasm` file under `dir`. Fails naming the file or the limit.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut files = Vec::new();
        let mut total = 0u64;
        walk(dir, "", 0, &mut files, &mut total)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for required in [CLIENT_MODULE, CLIENT_WASM] {
            if !files.iter().any(|f| f.path == required) {
                return Err(format!("{} holds no {required}: expected the npm package's web build", dir.display()));
            }
        }
        Ok(Self { files })
    }

    /// Every file, by path.
    pub fn files(&self) -> &[ClientFile] {
        &self.files
    }

    /// The file at `path`, if the client has one.
    pub fn get(&self, path: &str) -> Option<&ClientFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// A name that is safe as a URL path segment and never hidden or special: `A-Z a-z 0-9 . _ -`,
/// not starting with `.`.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn walk(dir: &Path, below: &str, depth: usize, out: &mut Vec<ClientFile>, total: &mut u64) -> Result<(), String> {
    let read_error = |path: &Path, e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let entries = std::fs::read_dir(dir).map_err(|e| read_error(dir, e))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(|e| read_error(dir, e))?.path());
    }
    for path in paths {
        let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|n| plain_name(n)) else { continue };
        let relative = if below.is_empty() { name.to_owned() } else { format!("{below}/{name}") };
        let meta = std::fs::metadata(&path).map_err(|e| read_error(&path, e))?;
        if meta.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                return Err(format!("{} is nested deeper than {MAX_DEPTH} folders", path.display()));
            }
            walk(&path, &relative, depth + 1, out, total)?;
        } else if meta.is_file() && (name.ends_with(".js") || name.ends_with(".wasm")) {
            *total = total.saturating_add(meta.len());
            if out.len() >= MAX_FILES || *total > MAX_BYTES {
                return Err(format!("more than {MAX_FILES} files or {MAX_BYTES} bytes of .js and .wasm"));
            }
            let bytes = Bytes::from(std::fs::read(&path).map_err(|e| read_error(&path, e))?);
            out.push(ClientFile { path: relative, integrity: Integrity::of(&bytes), bytes });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_js_and_wasm_files_are_read() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("snippets/crate-1/js")).expect("folders");
        std::fs::create_dir_all(root.join(".hidden")).expect("folders");
        for (path, text) in [
            (CLIENT_MODULE, "export default 1;"),
            (CLIENT_WASM, "\0asm"),
            ("snippets/crate-1/js/io.js", "export {};"),
            ("s3_gatekeeper_client.d.ts", "declare"),
            ("package.json", "{}"),
            (".hidden/x.js", "alert(1)"),
            ("bad name.js", "alert(1)"),
        ] {
            std::fs::write(root.join(path), text).expect("a file");
        }
        let files = ClientFiles::load(root).expect("a client folder");
        let paths: Vec<&str> = files.files().iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, [CLIENT_MODULE, CLIENT_WASM, "snippets/crate-1/js/io.js"]);
        let module = files.get(CLIENT_MODULE).expect("the module");
        assert_eq!(module.integrity, Integrity::of(b"export default 1;"));

        std::fs::remove_file(root.join(CLIENT_WASM)).expect("remove");
        let error = ClientFiles::load(root).expect_err("no wasm");
        assert!(error.contains(CLIENT_WASM), "{error}");
        assert!(ClientFiles::load(&root.join("missing")).is_err());
    }
}
