//! `GET /v1/info`: what a client needs before its first request (`docs/api.md`).
//!
//! A client corrects its clock from `server_time` and computes a put's ciphertext length from
//! `upload_master_key_id`. It must never take `signing_keys` on trust: the receipt key is pinned
//! in the client's own configuration, and this list only lets an operator check that pin.

use serde::{Deserialize, Serialize};

use crate::Base64;

/// The answer of `GET /v1/info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// The gatekeeper's id: the audience every request names.
    pub gatekeeper_id: String,
    /// The protocol versions it speaks.
    pub protocol_versions: Vec<u8>,
    /// Its clock, Unix seconds.
    pub server_time: u64,
    /// Its receipt-signing public keys.
    pub signing_keys: Vec<SigningKeyInfo>,
    /// The master key id new uploads are encrypted under (`None` without master keys).
    pub upload_master_key_id: Option<String>,
    /// Its limits.
    pub limits: Limits,
}

/// A receipt-signing public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyInfo {
    /// The key id receipts name.
    pub key_id: String,
    /// The Ed25519 public key, 32 bytes.
    pub public_key: Base64,
}

/// The limits a client may need to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The longest request window accepted, seconds.
    pub max_lifetime_secs: u64,
    /// The clock skew accepted, seconds.
    pub max_skew_secs: u64,
    /// The largest authorize body, bytes.
    pub max_body_bytes: usize,
    /// How long a presigned URL works, seconds.
    pub presign_expiry_secs: u64,
    /// The most objects a prefix read lists.
    pub max_list_objects: usize,
}
