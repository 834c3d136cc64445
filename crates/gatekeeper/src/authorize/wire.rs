//! The JSON of `POST /v1/authorize`: the request body and the answer to a grant (`docs/api.md`).
//!
//! Binary values are standard base64 with padding. Unknown request fields are refused.

use serde::{Deserialize, Serialize};

/// The body of `POST /v1/authorize`. Binary fields are standard base64 with padding.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The encoded access request, exactly as signed.
    pub request: String,
    /// The vendor key that signed.
    pub vendor_key_id: String,
    /// The vendor's signature.
    pub vendor_signature: String,
    /// The client session key's signature.
    pub client_signature: String,
}

/// The answer to a granted request.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizeResponse {
    /// Always `granted`.
    pub decision: &'static str,
    /// This gatekeeper's id.
    pub gatekeeper_id: String,
    /// The bucket the URLs point into.
    pub bucket: String,
    /// The signed receipt.
    pub receipt: ReceiptJson,
    /// One entry per object: the object for get and put, every listed object for a prefix read.
    pub objects: Vec<ObjectGrant>,
}

/// A signed receipt in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptJson {
    /// The encoded receipt (base64).
    pub bytes: String,
    /// The gatekeeper's signature (base64).
    pub signature: String,
    /// The gatekeeper key that signed.
    pub key_id: String,
    /// The audit sequence number of the decision.
    pub sequence: u64,
}

/// Access to one object.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectGrant {
    /// The object key.
    pub key: String,
    /// The stored size, for listed objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The audit sequence number of this object's entry.
    pub sequence: u64,
    /// `GET` or `PUT`.
    pub method: &'static str,
    /// The presigned URL.
    pub url: String,
    /// Headers the client must send with the request (they are signed).
    pub headers: Vec<[String; 2]>,
    /// When the URL stops working (Unix seconds).
    pub expires_at: u64,
    /// Reads: per-object keys, one per master key id that may have encrypted the object. Empty
    /// (and left out) for a put.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_material: Vec<KeyMaterial>,
    /// A put: the write key of the salt the gatekeeper drew for the new object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_key: Option<WriteKeyJson>,
}

/// What a put grant releases instead of a per-object key (`docs/protocol.md` 7.1): it seals the
/// new object and opens nothing stored before it.
#[derive(Clone, Debug, Serialize)]
pub struct WriteKeyJson {
    /// The master key id the object's header must name.
    pub master_key_id: String,
    /// The 32-byte salt the object's header must carry (base64).
    pub salt: String,
    /// `HKDF-Extract(salt, K_obj)`, 32 bytes (base64).
    pub key: String,
}

/// One per-object key (never a master key).
#[derive(Clone, Debug, Serialize)]
pub struct KeyMaterial {
    /// The master key it derives from.
    pub master_key_id: String,
    /// The 32-byte per-object key (base64).
    pub key: String,
}
