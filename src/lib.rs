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
//! - [`handshake`]: the client core, which every client of the gatekeeper calls (this crate's
//!   browser binding, the dev stack's seeder, the gatekeeper's tests and benchmark); `config`,
//!   `clock` and [`error`]: pure logic, tested natively. The JSON comes from [`s3gk_wire`];
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
pub mod handshake;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub mod native;

pub use error::ClientError;
pub use s3gk_protocol as protocol;
pub use s3gk_wire as wire;

/// For this crate's browser tests and benchmark only (feature `test-hooks`, never in the npm package).
#[cfg(all(target_arch = "wasm32", feature = "test-hooks"))]
pub use web::{decrypt_object, encrypt_object, webcrypto_verify, Hooks, ObjectDecryptor};
#[cfg(target_arch = "wasm32")]
pub use web::{GatekeeperClient, ObjectHandle};
