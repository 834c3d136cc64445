//! The browser binding: fetch, WebCrypto and the JS classes, over the pure handshake.
//!
//! | module | what |
//! |---|---|
//! | `client` | `GatekeeperClient`: the handshake's I/O and the JS methods |
//! | `object` | one granted object: fetch from S3, decrypt, and hand out bytes, text, JSON, blob URL or stream; `ObjectHandle` |
//! | `decrypt`, `encrypt` | the object format driven by the protocol's framers, chunks sealed and opened by `aead` |
//! | `aead` | AES-256-GCM on WebCrypto, or RustCrypto where `crypto.subtle` is missing |
//! | `fetch` | JSON calls to the gatekeeper and the vendor, presigned S3 requests |
//! | `js_error` | the one place a Rust error becomes a JS `Error` with a `code` |
//! | `types` | TypeScript declarations of the plain JS objects |
//!
//! Everything here is thin: decisions live in the pure modules. Nothing here may panic (a panic
//! would reach JavaScript as `RuntimeError: unreachable`), log a presigned URL, or hand out
//! plaintext from a chunk whose tag has not verified.

mod aead;
mod client;
mod decrypt;
mod encrypt;
mod fetch;
mod js_error;
mod object;
mod types;

#[cfg(feature = "test-hooks")]
pub use aead::Engine;
pub use client::GatekeeperClient;
#[cfg(feature = "test-hooks")]
pub use decrypt::{decrypt_object, ObjectDecryptor};
#[cfg(feature = "test-hooks")]
pub use encrypt::encrypt_object;
pub use object::ObjectHandle;
