//! Every way a client call can fail, each with a stable code and a message a person can act on.
//!
//! The codes are the protocol's (`docs/protocol.md`, section 8), the gatekeeper's and the vendor's
//! `error.code` passed through unchanged, and a few of the client's own (`network_error`,
//! `bad_response`, `s3_error`, …). The browser binding turns a [`ClientError`] into a JS `Error`
//! with a `code` property in one place (`web::js_error`). Messages never contain a key, a
//! signature or a presigned URL (its query is a bearer credential).

use core::fmt;

use s3gk_protocol::error::KeyProblem;
use s3gk_protocol::{ObjectError, ReceiptError};

/// The longest remote message passed on, in characters.
const MAX_REMOTE_MESSAGE: usize = 300;

/// Who the client was talking to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The customer's gatekeeper.
    Gatekeeper,
    /// The vendor's co-sign endpoint.
    Vendor,
    /// The bucket, through a presigned URL.
    S3,
}

impl Party {
    fn name(self) -> &'static str {
        match self {
            Party::Gatekeeper => "the gatekeeper",
            Party::Vendor => "the vendor's co-sign endpoint",
            Party::S3 => "the storage bucket",
        }
    }
}

/// Why a client call failed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The gatekeeper or the vendor refused, with its own stable code and message.
    Refused {
        /// Who refused.
        party: Party,
        /// The HTTP status of the refusal.
        status: u16,
        /// The refusing party's code (checked to look like one).
        code: String,
        /// Its message, shortened.
        message: String,
    },
    /// A party could not be reached: offline, refused connection, or a CORS refusal (browsers do
    /// not tell these apart).
    Network(Party),
    /// A party answered something that is not the protocol.
    BadResponse(Party, &'static str),
    /// A party answered an HTTP error without a code.
    HttpStatus(Party, u16),
    /// S3 refused a presigned request or failed.
    S3 {
        /// The HTTP status.
        status: u16,
    },
    /// The presigned URL expired before it was used.
    UrlExpired,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The receipt did not verify.
    Receipt(ReceiptError),
    /// The object did not decrypt, or could not be encrypted.
    Object(ObjectError),
    /// The key or prefix is not valid syntax (checked before asking anyone).
    Key(KeyProblem),
    /// The gatekeeper released key material for another master key than the one the upload's
    /// length was computed for.
    UploadKeyMismatch {
        /// The id `/v1/info` announced.
        announced: String,
        /// The id of the released key material.
        released: String,
    },
    /// The client's configuration is unusable.
    InvalidConfig(String),
    /// An argument is unusable.
    InvalidArgument(String),
    /// The object is not UTF-8 text.
    NotText,
    /// The object is not JSON.
    NotJson(String),
    /// The browser lacks a facility the client needs (randomness, fetch, …).
    Unsupported(&'static str),
    /// An internal invariant did not hold (a bug: please report it).
    Internal(&'static str),
}

impl ClientError {
    /// A refusal by `party` with HTTP `status`, keeping its code only if it looks like a stable code.
    pub fn refused(party: Party, status: u16, code: &str, message: &str) -> Self {
        if !is_code(code) {
            return ClientError::BadResponse(party, "an error answer without a valid code");
        }
        let message: String = message.chars().filter(|c| !c.is_control()).take(MAX_REMOTE_MESSAGE).collect();
        ClientError::Refused { party, status, code: code.to_owned(), message }
    }

    /// The HTTP status that caused the failure, if one did.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused { status, .. } | ClientError::HttpStatus(_, status) | ClientError::S3 { status } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Who failed or refused: `"gatekeeper"`, `"vendor"` or `"storage"`; `None` for the client's
    /// own checks (configuration, arguments, receipts, decryption).
    pub fn party(&self) -> Option<&'static str> {
        let party = match self {
            ClientError::Refused { party, .. }
            | ClientError::Network(party)
            | ClientError::BadResponse(party, _)
            | ClientError::HttpStatus(party, _) => *party,
            ClientError::S3 { .. } => Party::S3,
            _ => return None,
        };
        Some(match party {
            Party::Gatekeeper => "gatekeeper",
            Party::Vendor => "vendor",
            Party::S3 => "storage",
        })
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Refused { code, .. } => code,
            ClientError::Network(_) => "network_error",
            ClientError::BadResponse(..) | ClientError::HttpStatus(..) => "bad_response",
            ClientError::S3 { status: 404 } => "not_found",
            ClientError::S3 { status: 412 } => "already_exists",
            ClientError::S3 { .. } => "s3_error",
            ClientError::UrlExpired => "url_expired",
            ClientError::Aborted => "aborted",
            ClientError::Receipt(e) => e.code(),
            ClientError::Object(e) => e.code(),
            ClientError::Key(p) => p.code(),
            ClientError::UploadKeyMismatch { .. } => "upload_key_mismatch",
            ClientError::InvalidConfig(_) => "invalid_config",
            ClientError::InvalidArgument(_) => "invalid_argument",
            ClientError::NotText => "not_text",
            ClientError::NotJson(_) => "not_json",
            ClientError::Unsupported(_) => "unsupported_browser",
            ClientError::Internal(_) => "internal_error",
        }
    }
}

/// Stable codes are 1–64 characters of `a-z 0-9 _`.
fn is_code(code: &str) -> bool {
    (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Refused { party: Party::Gatekeeper, message, .. } => {
                write!(f, "{message} (refused by the customer's gatekeeper)")
            }
            ClientError::Refused { party, message, .. } => write!(f, "{message} (refused by {})", party.name()),
            ClientError::Network(party) => write!(
                f,
                "could not reach {}: the network failed, or it does not allow requests from this page's origin (CORS)",
                party.name()
            ),
            ClientError::BadResponse(party, what) => write!(f, "unexpected answer from {}: {what}", party.name()),
            ClientError::HttpStatus(party, status) => {
                write!(f, "{} answered HTTP {status} without an error code", party.name())
            }
            ClientError::S3 { status: 403 } => {
                f.write_str("the storage bucket refused the presigned request (HTTP 403): it may have expired")
            }
            ClientError::S3 { status: 404 } => f.write_str("no such object in the storage bucket (HTTP 404)"),
            ClientError::S3 { status: 412 } => {
                f.write_str("an object with this key already exists; objects are never overwritten (HTTP 412)")
            }
            ClientError::S3 { status } => write!(f, "the storage bucket answered HTTP {status}"),
            ClientError::UrlExpired => f.write_str("the presigned URL has expired: request access again"),
            ClientError::Aborted => f.write_str("the operation was aborted"),
            ClientError::Receipt(e) => e.fmt(f),
            ClientError::Object(e) => e.fmt(f),
            ClientError::Key(p) => write!(f, "invalid object key or prefix ({})", p.code()),
            ClientError::UploadKeyMismatch { announced, released } => write!(
                f,
                "the gatekeeper released a key for master key {released:?}, but announced {announced:?} for uploads; \
                 nothing was uploaded, try again"
            ),
            ClientError::InvalidConfig(why) => write!(f, "invalid GatekeeperClient configuration: {why}"),
            ClientError::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            ClientError::NotText => f.write_str("the object is not UTF-8 text"),
            ClientError::NotJson(why) => write!(f, "the object is not valid JSON: {why}"),
            ClientError::Unsupported(what) => write!(f, "this browser does not provide {what}"),
            ClientError::Internal(what) => write!(f, "internal error in the s3-gatekeeper client: {what}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<ObjectError> for ClientError {
    fn from(e: ObjectError) -> Self {
        ClientError::Object(e)
    }
}

impl From<ReceiptError> for ClientError {
    fn from(e: ReceiptError) -> Self {
        ClientError::Receipt(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_remote_code_and_message() {
        let e = ClientError::refused(
            Party::Gatekeeper,
            403,
            "acl_denied_country",
            "access denied: country FR is not allowed",
        );
        assert_eq!((e.code(), e.status(), e.party()), ("acl_denied_country", Some(403), Some("gatekeeper")));
        assert_eq!(e.to_string(), "access denied: country FR is not allowed (refused by the customer's gatekeeper)");
        let v = ClientError::refused(Party::Vendor, 403, "vendor_denied", "not your ticket");
        assert_eq!(v.code(), "vendor_denied");
        assert!(v.to_string().ends_with("(refused by the vendor's co-sign endpoint)"));
    }

    #[test]
    fn a_remote_code_that_is_not_a_code_is_a_bad_response() {
        for bad in ["", "Denied", "a b", "x<script>", &"a".repeat(65)] {
            assert_eq!(ClientError::refused(Party::Vendor, 400, bad, "m").code(), "bad_response", "{bad:?}");
        }
    }

    #[test]
    fn remote_messages_are_shortened_and_stripped_of_control_characters() {
        let long = format!("a\nb{}", "x".repeat(1000));
        let ClientError::Refused { message, .. } = ClientError::refused(Party::Gatekeeper, 403, "expired", &long)
        else {
            panic!("a valid code is kept");
        };
        assert_eq!(message.chars().count(), MAX_REMOTE_MESSAGE);
        assert!(message.starts_with("ab"));
    }

    #[test]
    fn protocol_errors_keep_their_codes() {
        assert_eq!(ClientError::from(ObjectError::Decryption).code(), "decryption_failed");
        assert_eq!(ClientError::from(ReceiptError::BadSignature).code(), "bad_receipt_signature");
        assert_eq!(ClientError::from(ReceiptError::Mismatch).code(), "receipt_mismatch");
        assert_eq!(ClientError::Key(KeyProblem::DotSegment).code(), "key_dot_segment");
        assert_eq!(ClientError::UrlExpired.code(), "url_expired", "not the request window's `expired`");
        assert_eq!(ClientError::Aborted.code(), "aborted");
        assert_eq!(ClientError::S3 { status: 500 }.code(), "s3_error");
        assert_eq!(
            (ClientError::S3 { status: 404 }.code(), ClientError::S3 { status: 404 }.status()),
            ("not_found", Some(404))
        );
        assert_eq!(ClientError::S3 { status: 412 }.code(), "already_exists");
        assert_eq!(ClientError::S3 { status: 412 }.party(), Some("storage"));
        assert_eq!(ClientError::InvalidConfig("x".into()).party(), None);
        assert_eq!(ClientError::Network(Party::S3).code(), "network_error");
    }
}
