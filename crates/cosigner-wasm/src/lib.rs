//! The vendor co-signer of `docs/protocol.md` section 4.1 for Node, as WebAssembly: the
//! `@s3-gatekeeper/client/cosigner` entry.
//!
//! A thin binding over the protocol crate's [`CosignPolicy`](s3gk_protocol::cosign::CosignPolicy): `check` decodes a request totally,
//! checks the audience, the key's syntax and the window against the co-signer's clock, and hands
//! back a [`CosignCandidate`] whose fields the vendor's own permission check reads; only then does
//! `sign` produce the deterministic Ed25519 signature over the exact bytes received, byte for byte
//! the `cosign` vectors'. Verification-free signing with ed25519-dalek, so OpenSSL's leniency
//! (`docs/protocol.md` 2.1) plays no part. This crate must never sign bytes it has not checked,
//! never let the vendor key leave it, and never panic: every refusal is an `Error` with a `code`.

#![forbid(unsafe_code)]

mod binding;

pub use binding::{CosignCandidate, Cosigner};
