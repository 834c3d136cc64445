//! The sans-I/O core of s3-gatekeeper.
//!
//! This crate holds everything the browser client, the gatekeeper and a vendor's co-signer must
//! agree on, and nothing else. From the bottom up (each module uses only those above it):
//!
//! - [`config`]: [`ConfigError`], why a configuration value is refused;
//! - [`codec`]: the byte cursor, PAE, and [`DecodeError`] naming the field that failed;
//! - [`keys`]: key ids, public-key admission and strict verification;
//! - [`strict`]: the byte-level checks that make a lenient Ed25519 verifier (WebCrypto) strict;
//! - [`audience`]: the gatekeeper id, checked as [`GatekeeperId`];
//! - [`policy`]: pure checks for object key syntax (producing [`ObjectKey`] and [`KeyPrefix`]),
//!   the time window and the IP/country ACL;
//! - [`request`]: the canonical, versioned, length-prefixed access request;
//! - [`sign`]: the three signature roles (vendor, client session, gatekeeper receipt), the
//!   gatekeeper's [`Denial`], and the types only verification can build:
//!   [`sign::VerifiedRequest`], [`sign::Grant`] and, on the client, [`sign::VerifiedReceipt`];
//! - [`cosign`]: the vendor co-signer's checks, and [`cosign::CosignCandidate`], the only thing it
//!   signs;
//! - [`object`]: the chunked AES-256-GCM object format and its key derivation, which takes only a
//!   checked [`ObjectKey`].
//!
//! [`error`] re-exports every error type from the module that owns it.
//!
//! It does no network or file I/O, reads no clock and draws no randomness: time, keys and random
//! bytes are arguments. It builds for native targets and for `wasm32-unknown-unknown`.
//! `docs/protocol.md` is the normative specification; the vectors in `vectors/` check both. Code
//! that serves requests (audit logs, replay stores, S3) must never be added here: its failures are
//! the service's, not the protocol's.

#![forbid(unsafe_code)]

pub mod audience;
pub mod codec;
pub mod config;
pub mod cosign;
pub mod error;
pub mod keys;
pub mod object;
pub mod policy;
pub mod request;
pub mod sign;
pub mod strict;

pub use audience::GatekeeperId;
pub use codec::{DecodeError, PROTOCOL_VERSION};
pub use config::ConfigError;
pub use keys::KeyId;
pub use object::ObjectError;
pub use policy::object_key::{KeyPrefix, ObjectKey, MAX_KEY_LEN};
pub use request::{AccessRequest, Operation};
pub use sign::{Denial, ReceiptError};
