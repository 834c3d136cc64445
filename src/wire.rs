//! The JSON shapes the client exchanges with the gatekeeper (`docs/api.md`) and the vendor's
//! co-sign endpoint, as plain serde structs.
//!
//! In the browser these are converted to and from JS values with `serde-wasm-bindgen` and
//! `JSON.parse`/`JSON.stringify`, so no JSON library is compiled into the `.wasm`. Nothing here is
//! trusted: [`crate::handshake`] checks every field before it is used. Unknown fields are ignored,
//! so a newer gatekeeper can add some.

use serde::{Deserialize, Serialize};

/// `GET /v1/info`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct InfoAnswer {
    /// The gatekeeper's id (the audience of every request).
    pub(crate) gatekeeper_id: String,
    /// The gatekeeper's clock, Unix seconds.
    pub(crate) server_time: u64,
    /// The master key id new uploads are encrypted under.
    #[serde(default)]
    pub(crate) upload_master_key_id: Option<String>,
    /// The gatekeeper's limits.
    #[serde(default)]
    pub(crate) limits: Option<InfoLimits>,
}

/// The part of `/v1/info`'s `limits` the client uses.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct InfoLimits {
    /// The longest request lifetime the gatekeeper accepts.
    #[serde(default)]
    pub(crate) max_lifetime_secs: Option<u64>,
}

/// What the client posts to the vendor's co-sign endpoint.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CosignRequest {
    /// The encoded access request, base64.
    pub(crate) request: String,
}

/// The vendor's co-signature.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct CosignAnswer {
    /// The vendor key that signed.
    pub(crate) vendor_key_id: String,
    /// The signature, base64.
    pub(crate) vendor_signature: String,
}

/// The body of `POST /v1/authorize`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct AuthorizeBody {
    /// The encoded access request, base64.
    pub(crate) request: String,
    /// The vendor key that co-signed.
    pub(crate) vendor_key_id: String,
    /// The vendor's signature, base64.
    pub(crate) vendor_signature: String,
    /// The session key's signature, base64.
    pub(crate) client_signature: String,
}

/// A granted `POST /v1/authorize`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct GrantAnswer {
    /// The signed receipt.
    pub(crate) receipt: ReceiptWire,
    /// One entry per object.
    pub(crate) objects: Vec<ObjectWire>,
}

/// A signed receipt as sent.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ReceiptWire {
    /// The encoded receipt, base64.
    pub(crate) bytes: String,
    /// The gatekeeper's signature, base64.
    pub(crate) signature: String,
    /// The gatekeeper key that signed.
    pub(crate) key_id: String,
}

/// Access to one object.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ObjectWire {
    /// The object key.
    pub(crate) key: String,
    /// The stored (ciphertext) size, for listed objects.
    #[serde(default)]
    pub(crate) size: Option<u64>,
    /// The audit log sequence number of this object's own entry (a prefix read audits each).
    #[serde(default)]
    pub(crate) sequence: Option<u64>,
    /// `GET` or `PUT`.
    pub(crate) method: String,
    /// The presigned URL (a bearer credential: never log it).
    pub(crate) url: String,
    /// Headers the request must carry, as `[name, value]` pairs.
    #[serde(default)]
    pub(crate) headers: Vec<(String, String)>,
    /// When the URL stops working, Unix seconds.
    pub(crate) expires_at: u64,
    /// Reads: per-object keys.
    #[serde(default)]
    pub(crate) key_material: Vec<KeyMaterialWire>,
    /// A put: the write key of the salt the gatekeeper drew.
    #[serde(default)]
    pub(crate) write_key: Option<WriteKeyWire>,
}

/// What a put grant releases (`docs/protocol.md` 7.1).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WriteKeyWire {
    /// The master key id the object's header must name.
    pub(crate) master_key_id: String,
    /// The salt the object's header must carry, base64.
    pub(crate) salt: String,
    /// `HKDF-Extract(salt, K_obj)`, base64.
    pub(crate) key: String,
}

/// One per-object key.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct KeyMaterialWire {
    /// The master key it derives from.
    pub(crate) master_key_id: String,
    /// The 32-byte key, base64.
    pub(crate) key: String,
}

/// An error answer: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ErrorAnswer {
    /// The error.
    pub(crate) error: ErrorBody,
}

/// The inside of an error answer.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ErrorBody {
    /// The stable code.
    pub(crate) code: String,
    /// A short message for people.
    #[serde(default)]
    pub(crate) message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_answers() {
        let info: InfoAnswer = serde_json::from_str(
            r#"{"gatekeeper_id":"acme-gk","protocol_versions":[1],"server_time":1800000000,
                "signing_keys":[{"key_id":"gk-2026-01","public_key":"AAAA"}],"upload_master_key_id":"mk-1",
                "limits":{"max_lifetime_secs":300,"max_skew_secs":60,"max_body_bytes":16384,
                          "presign_expiry_secs":60,"max_list_objects":1000}}"#,
        )
        .expect("docs/api.md's /v1/info parses");
        assert_eq!(info.upload_master_key_id.as_deref(), Some("mk-1"));
        assert_eq!(info.limits.and_then(|l| l.max_lifetime_secs), Some(300));

        let grant: GrantAnswer = serde_json::from_str(
            r#"{"decision":"granted","gatekeeper_id":"acme-gk","bucket":"b",
                "receipt":{"bytes":"AA==","signature":"AA==","key_id":"gk-2026-01","sequence":1042},
                "objects":[{"key":"tickets/4711/a.png","size":48213,"sequence":1043,"method":"PUT",
                            "url":"https://s3.example/b/k?X-Amz-Signature=0","headers":[["if-none-match","*"]],
                            "expires_at":1800000060,"key_material":[{"master_key_id":"mk-1","key":"AA=="}]}]}"#,
        )
        .expect("docs/api.md's grant parses");
        let object = grant.objects.first().expect("one object");
        assert_eq!(object.headers, vec![("if-none-match".to_owned(), "*".to_owned())]);
        assert_eq!((object.size, object.sequence), (Some(48213), Some(1043)));

        let error: ErrorAnswer =
            serde_json::from_str(r#"{"error":{"code":"acl_denied_country","message":"access denied"}}"#)
                .expect("error answers parse");
        assert_eq!(error.error.code, "acl_denied_country");
    }

    #[test]
    fn the_authorize_body_has_the_documented_fields() {
        let body = AuthorizeBody {
            request: "cg==".into(),
            vendor_key_id: "v-1".into(),
            vendor_signature: "dg==".into(),
            client_signature: "Yw==".into(),
        };
        let json = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"request":"cg==","vendor_key_id":"v-1","vendor_signature":"dg==","client_signature":"Yw=="})
        );
    }
}
