//! The browser binding: fetch, WebCrypto and the JS classes, over the pure handshake. It runs in
//! a page, a worker, or Node 20+ (global `fetch` and WebCrypto).
//!
//! | module | what |
//! |---|---|
//! | `api` | `GatekeeperClient`'s JS methods |
//! | `client` | the client's state and the handshake's I/O |
//! | `handle` | `ObjectHandle`: one object of a prefix read, re-authorized once its URL expired |
//! | `object` | one granted object: fetch from S3, decrypt, and hand out bytes, text, JSON, Blob, blob URL or stream |
//! | `upload`, `encrypt` | an upload's source, its sealed stream and where it goes |
//! | `decrypt` | the object format driven by the protocol's framer, chunks opened by `aead` |
//! | `aead` | AES-256-GCM on WebCrypto |
//! | `crypto` | Ed25519 on WebCrypto: the non-extractable session key and the receipt verifier |
//! | `fetch` | JSON calls to the gatekeeper and the vendor, presigned S3 requests |
//! | `options` | the options object every method takes (`signal`, `onProgress`, …) |
//! | `wire_js` | the HTTP API's JSON read and written by hand (no serde deserializer in the module) |
//! | `js_error` | the one place a Rust error becomes a `GatekeeperError` |
//!
//! Everything here is thin: decisions live in the pure modules. Nothing here may panic (a panic
//! would reach JavaScript as `RuntimeError: unreachable`), log a presigned URL, or hand out
//! plaintext from a chunk whose tag has not verified.

mod aead;
mod api;
mod client;
mod crypto;
mod decrypt;
mod encrypt;
mod fetch;
mod handle;
mod js_error;
mod object;
mod options;
mod upload;
mod wire_js;

pub use api::GatekeeperClient;
#[cfg(feature = "test-hooks")]
pub use api::Hooks;
#[cfg(feature = "test-hooks")]
pub use crypto::webcrypto_verify;
#[cfg(feature = "test-hooks")]
pub use decrypt::{decrypt_object, ObjectDecryptor};
#[cfg(feature = "test-hooks")]
pub use encrypt::encrypt_object;
pub use handle::ObjectHandle;
