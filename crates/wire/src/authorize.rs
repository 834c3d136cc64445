//! `POST /v1/authorize`: the body a client sends, and the grant it gets back (`docs/api.md`).
//!
//! The body's unknown fields are refused. The grant's receipt is the gatekeeper's signed statement;
//! a client verifies it under its pinned key before it uses any URL or key in the grant. Key
//! material is per-object keys for reads and a write key for a put, never both (`docs/protocol.md`
//! 7.1). A presigned URL is a bearer credential: never log one.

use serde::{Deserialize, Serialize};

use crate::Base64;

/// The body of `POST /v1/authorize`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The encoded access request, exactly as signed.
    pub request: Base64,
    /// The vendor key that co-signed.
    pub vendor_key_id: String,
    /// The vendor's signature, 64 bytes.
    pub vendor_signature: Base64,
    /// The client session key's signature, 64 bytes.
    pub client_signature: Base64,
}

/// The answer to a granted request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Always `granted` (refusals are [`ErrorAnswer`](crate::ErrorAnswer)s).
    pub decision: GrantedDecision,
    /// The gatekeeper's id.
    pub gatekeeper_id: String,
    /// The bucket the URLs point into.
    pub bucket: String,
    /// The signed receipt.
    pub receipt: ReceiptJson,
    /// One entry per object: the object of a get or put, every listed object of a prefix read.
    pub objects: Vec<ObjectGrant>,
}

/// The `decision` of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantedDecision {
    /// Access was granted.
    Granted,
}

/// A signed receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptJson {
    /// The encoded receipt (`docs/protocol.md` 4.3).
    pub bytes: Base64,
    /// The gatekeeper's signature, 64 bytes.
    pub signature: Base64,
    /// The gatekeeper key that signed.
    pub key_id: String,
    /// The audit sequence number of the decision (also inside `bytes`).
    pub sequence: u64,
}

/// The method of a presigned request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PresignedMethod {
    /// A read.
    Get,
    /// An upload.
    Put,
}

/// Access to one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectGrant {
    /// The object key.
    pub key: String,
    /// The stored (ciphertext) size, for listed objects only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The audit sequence number of this object's own entry (the receipt's, for a get or put).
    pub sequence: u64,
    /// `GET` or `PUT`.
    pub method: PresignedMethod,
    /// The presigned URL: a bearer credential, never logged.
    pub url: String,
    /// Headers the request must carry, as `[name, value]` pairs; every one is signed.
    pub headers: Vec<(String, String)>,
    /// When the URL stops working, Unix seconds.
    pub expires_at: u64,
    /// Reads: the per-object key under every master key that may have encrypted the object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_material: Vec<KeyMaterial>,
    /// A put: the write key of the salt the gatekeeper drew for the new object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_key: Option<WriteKeyJson>,
}

/// One per-object key `K_obj` (never a master key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMaterial {
    /// The master key it derives from.
    pub master_key_id: String,
    /// The 32-byte key.
    pub key: Base64,
}

/// What a put grant releases instead of a per-object key: it seals the new object and opens
/// nothing stored before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteKeyJson {
    /// The master key id the object's header must name.
    pub master_key_id: String,
    /// The 32-byte salt the object's header must carry.
    pub salt: Base64,
    /// `HKDF-Extract(salt, K_obj)`, 32 bytes.
    pub key: Base64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_grant_parses_and_writes_back_unchanged() {
        let text = r#"{"decision":"granted","gatekeeper_id":"acme-gk","bucket":"b",
            "receipt":{"bytes":"AA==","signature":"AA==","key_id":"gk-2026-01","sequence":1042},
            "objects":[{"key":"tickets/4711/a.png","size":48213,"sequence":1043,"method":"GET",
                        "url":"https://s3.example/b/k?X-Amz-Signature=0","headers":[["if-none-match","*"]],
                        "expires_at":1800000060,"key_material":[{"master_key_id":"mk-1","key":"AA=="}]},
                       {"key":"tickets/4711/b.png","sequence":1044,"method":"PUT","url":"https://s3.example/b/k2",
                        "headers":[],"expires_at":1800000060,
                        "write_key":{"master_key_id":"mk-1","salt":"AA==","key":"AA=="}}]}"#;
        let grant: Grant = serde_json::from_str(text).unwrap();
        assert_eq!(grant.objects.first().map(|o| (o.size, o.method)), Some((Some(48213), PresignedMethod::Get)));
        let back = serde_json::to_value(&grant).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(text).unwrap());
    }

    #[test]
    fn the_body_refuses_unknown_fields() {
        let body = r#"{"request":"cg==","vendor_key_id":"v","vendor_signature":"dg==","client_signature":"Yw=="}"#;
        assert!(serde_json::from_str::<AuthorizeRequest>(body).is_ok());
        let extra = body.replace('}', r#","admin":true}"#);
        assert!(serde_json::from_str::<AuthorizeRequest>(&extra).is_err());
    }
}
