//! Why an S3 operation failed, with stable codes for logs, metrics and HTTP answers.
//!
//! An error must never carry credentials, a signature, a presigned URL or S3's error *message* (which
//! can echo the string to sign): only a fixed reason, an HTTP status and S3's error code.

use core::fmt;

/// Why an S3 operation failed. Never contains credentials, signatures or S3's error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3Error {
    /// The settings cannot work (endpoint, bucket, region, expiry…).
    Settings(&'static str),
    /// A key S3 listed does not pass the object key check (`docs/protocol.md` section 6.2), so it
    /// is neither presigned nor given key material.
    InvalidKey,
    /// The request could not be signed.
    Signing,
    /// S3 could not be reached, timed out, or answered with a server error.
    Unavailable(&'static str),
    /// S3 refused the request: its HTTP status and, when it sent one, its error code.
    Refused {
        /// The HTTP status.
        status: u16,
        /// S3's error code, e.g. `AccessDenied` (letters and digits only).
        code: Option<String>,
    },
    /// S3's answer could not be understood.
    BadResponse(&'static str),
    /// A listing found more objects than allowed.
    TooManyObjects {
        /// The limit that was exceeded.
        max: usize,
    },
}

impl S3Error {
    /// A stable code for logs, metrics and HTTP answers.
    pub fn code(&self) -> &'static str {
        match self {
            S3Error::Settings(_) => "s3_settings",
            S3Error::InvalidKey => "invalid_key",
            S3Error::Signing => "s3_signing",
            S3Error::Unavailable(_) => "s3_unavailable",
            S3Error::Refused { .. } => "s3_error",
            S3Error::BadResponse(_) => "s3_bad_response",
            S3Error::TooManyObjects { .. } => "too_many_objects",
        }
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3Error::Settings(why) => write!(f, "S3 settings: {why}"),
            S3Error::InvalidKey => f.write_str("object key cannot be addressed"),
            S3Error::Signing => f.write_str("cannot sign the S3 request"),
            S3Error::Unavailable(why) => write!(f, "S3 unavailable: {why}"),
            S3Error::Refused { status, code: Some(code) } => write!(f, "S3 refused the request: {status} {code}"),
            S3Error::Refused { status, code: None } => write!(f, "S3 refused the request: {status}"),
            S3Error::BadResponse(why) => write!(f, "unexpected answer from S3: {why}"),
            S3Error::TooManyObjects { max } => write!(f, "more than {max} objects under the prefix"),
        }
    }
}

impl std::error::Error for S3Error {}
