//! The s3-gatekeeper browser client.
//!
//! This crate becomes the WebAssembly library on a vendor's report page (npm package
//! `@s3-gatekeeper/client`): it collects the vendor's co-signature, performs the handshake with the
//! customer's gatekeeper, verifies the receipt under the gatekeeper key the page pinned, fetches
//! objects from S3 with the presigned URLs it receives and decrypts them in the page with
//! WebCrypto, or encrypts and uploads them. All encodings, signatures and the object format come
//! from [`s3gk_protocol`]; this crate adds only the browser I/O around them.
//!
//! The layers:
//!
//! - `config`, `handshake`, `clock`, `wire` and [`error`]: pure logic, tested natively;
//! - `web` (only on `wasm32`): fetch, WebCrypto and the JS classes `GatekeeperClient` and
//!   `ObjectHandle`, a thin binding over the pure parts.
//!
//! It must never trust a key from the network for verification, never release plaintext from a
//! chunk whose tag did not verify, never log or show a presigned URL, and never let a Rust panic
//! reach JavaScript: every failure is a JS `Error` with a stable `code`.

#![forbid(unsafe_code)]
// Natively only the tests use the pure layers; the wasm binding is their real user.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod clock;
mod config;
pub mod error;
mod handshake;
mod wire;

#[cfg(target_arch = "wasm32")]
mod web;

pub use error::ClientError;
pub use s3gk_protocol as protocol;

#[cfg(target_arch = "wasm32")]
pub use web::{decrypt_object, encrypt_object, Engine, GatekeeperClient, ObjectDecryptor, ObjectHandle};
