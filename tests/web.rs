//! Browser tests of the client, run headless with
//! `wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --features test-hooks`
//! (`scripts/browser-tests.sh` starts the dev stack first and runs them all).
//!
//! - `vectors`: the spec's object vectors through the WebCrypto decryptor, and WebCrypto
//!   encryption read back by the protocol's RustCrypto decryptor; these need nothing running;
//! - `strict`: the signature and receipt vectors through WebCrypto's Ed25519 behind the strict
//!   pre-checks, as the client verifies receipts; these need nothing running;
//! - `stack`: the JS API against the real dev stack (local S3, the real gatekeeper, the demo
//!   vendor), whose URLs arrive at compile time in `S3GK_DEVSTACK_JSON`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "browser/stack.rs"]
mod stack;
#[path = "browser/strict.rs"]
mod strict;
#[path = "browser/support.rs"]
mod support;
#[path = "browser/vectors.rs"]
mod vectors;
