//! The sans-I/O core of s3-gatekeeper.
//!
//! This crate holds everything the browser client, the gatekeeper and a vendor's co-signer must
//! agree on, and nothing else:
//!
//! - [`request`]: the canonical, versioned, length-prefixed access request;
//! - [`sign`]: the three signature roles (vendor, client session, gatekeeper receipt) and the
//!   [`sign::VerifiedRequest`] type that only verification can build;
//! - [`cosign`]: the vendor co-signer's checks, and [`cosign::CosignCandidate`], the only thing it
//!   signs;
//! - [`policy`]: pure checks for the time window, object key syntax and the IP/country ACL;
//! - [`object`]: the chunked AES-256-GCM object format and its key derivation.
//!
//! It does no network or file I/O, reads no clock and draws no randomness: time, keys and random
//! bytes are arguments. It builds for native targets and for `wasm32-unknown-unknown`.
//! `docs/protocol.md` is the normative specification; the vectors in `vectors/` check both.

#![forbid(unsafe_code)]

pub mod codec;
pub mod cosign;
pub mod error;
pub mod keys;
pub mod object;
pub mod policy;
pub mod request;
pub mod sign;

pub use error::{ConfigError, DecodeError, Denial, ObjectError, ReceiptError};
pub use keys::KeyId;
pub use request::{AccessRequest, Operation};

/// The protocol version this crate speaks, carried in every request, receipt and object header.
pub const PROTOCOL_VERSION: u8 = 1;

/// The longest object key or prefix, in bytes (S3's own limit).
pub const MAX_KEY_LEN: usize = 1024;
