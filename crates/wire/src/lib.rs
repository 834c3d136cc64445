//! The JSON that crosses HTTP in s3-gatekeeper, defined once: the gatekeeper serializes it, the
//! browser client, the dev stack and the tests deserialize it, so the two sides cannot drift apart.
//!
//! - [`info`]: `GET /v1/info`;
//! - [`authorize`]: `POST /v1/authorize`, its body and its grant;
//! - [`cosign`]: a vendor's co-sign endpoint (`docs/protocol.md` 4.1), whose shape the browser
//!   client expects;
//! - [`ErrorAnswer`]: every error answer, `{"error": {"code", "message"}}`.
//!
//! Binary values are standard base64 with padding, held as [`Base64`]: text that is decoded where
//! it is used, so a malformed value fails with the code the protocol gives that field, never with a
//! generic JSON error. These are plain data: nothing here checks a signature or trusts a value.
//! `docs/api.md` documents every field. This crate must never depend on the gatekeeper or the
//! client, and never log.

#![forbid(unsafe_code)]

pub mod authorize;
pub mod cosign;
pub mod info;

mod base64_codec;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use authorize::{
    AuthorizeRequest, Grant, GrantedDecision, KeyMaterial, ObjectGrant, PresignedMethod, ReceiptJson, WriteKeyJson,
};
pub use cosign::{CosignAnswer, CosignRequest};
pub use info::{Info, Limits, SigningKeyInfo};

/// A binary value as standard base64 with padding, kept as received until it is decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Base64(String);

impl Base64 {
    /// The base64 of `bytes`.
    pub fn encode(bytes: impl AsRef<[u8]>) -> Self {
        Self(base64_codec::encode(bytes.as_ref()))
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bytes, or `None` if the text is not standard base64 with padding.
    pub fn decode(&self) -> Option<Vec<u8>> {
        base64_codec::decode(&self.0)
    }

    /// Exactly `N` bytes, or `None` if the text is not the base64 of `N` bytes. The decoded copy
    /// on the heap is wiped, since the value may be key material.
    pub fn decode_array<const N: usize>(&self) -> Option<[u8; N]> {
        let bytes = Zeroizing::new(self.decode()?);
        <[u8; N]>::try_from(bytes.as_slice()).ok()
    }
}

impl From<String> for Base64 {
    fn from(text: String) -> Self {
        Self(text)
    }
}

/// Every error answer of the gatekeeper, and of a co-sign endpoint the browser client calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of an error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable code (`docs/protocol.md` section 8, `docs/api.md`).
    pub code: String,
    /// A short message for people; never internals.
    #[serde(default)]
    pub message: String,
}

impl ErrorAnswer {
    /// An error answer with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ErrorBody { code: code.into(), message: message.into() } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_exact_lengths_only() {
        let b = Base64::encode([7u8; 32]);
        assert_eq!(b.decode_array::<32>(), Some([7u8; 32]));
        assert_eq!(b.decode_array::<31>(), None);
        assert_eq!(b.decode_array::<33>(), None);
        assert_eq!(Base64::encode([1u8; 64]).decode_array::<64>(), Some([1u8; 64]));
        for bad in ["", "AAAA=", "A A=", "_-_-", "AAAA\n"] {
            assert_eq!(Base64::from(bad.to_owned()).decode_array::<3>(), None, "{bad:?}");
        }
        assert_eq!(Base64::from("AAAA".to_owned()).decode(), Some(vec![0, 0, 0]));
        assert_eq!(Base64::from("AAA".to_owned()).decode(), None, "padding is required");
    }

    #[test]
    fn error_answers_have_the_documented_shape() {
        let json = serde_json::to_value(ErrorAnswer::new("acl_denied_ip", "access denied")).unwrap();
        assert_eq!(json, serde_json::json!({"error": {"code": "acl_denied_ip", "message": "access denied"}}));
    }
}
