//! Every way the protocol can say no, each with a stable string code.
//!
//! The codes returned by `code()` are part of the wire contract: the gatekeeper's HTTP answers and
//! the browser library's JS errors carry them unchanged, and `docs/protocol.md` lists them all.
//! Renaming one is a breaking change. Messages are short, lowercase, and never include secrets.
//! Every cryptographic failure of one role collapses into one variant, so errors are no oracle.

use core::fmt;

/// The field a decoder was reading when it failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Field {
    Domain,
    Version,
    Operation,
    GatekeeperId,
    Key,
    IssuedAt,
    ExpiresAt,
    Nonce,
    SessionKey,
    ContentLength,
    HasSha256,
    Sha256,
    HasContentType,
    ContentType,
    VendorKeyId,
    VendorSignature,
    ClientSignature,
    Request,
    Sequence,
    DecidedAt,
    ClientIp,
    GatekeeperKeyId,
    /// After the last field: trailing bytes.
    End,
}

impl Field {
    /// The field's name as written in `docs/protocol.md`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Domain => "domain",
            Field::Version => "version",
            Field::Operation => "operation",
            Field::GatekeeperId => "gatekeeper_id",
            Field::Key => "key",
            Field::IssuedAt => "issued_at",
            Field::ExpiresAt => "expires_at",
            Field::Nonce => "nonce",
            Field::SessionKey => "session_key",
            Field::ContentLength => "content_length",
            Field::HasSha256 => "has_sha256",
            Field::Sha256 => "sha256",
            Field::HasContentType => "has_content_type",
            Field::ContentType => "content_type",
            Field::VendorKeyId => "vendor_key_id",
            Field::VendorSignature => "vendor_signature",
            Field::ClientSignature => "client_signature",
            Field::Request => "request",
            Field::Sequence => "sequence",
            Field::DecidedAt => "decided_at",
            Field::ClientIp => "client_ip",
            Field::GatekeeperKeyId => "gatekeeper_key_id",
            Field::End => "end",
        }
    }
}

/// What was wrong with a field.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeProblem {
    /// The input ended inside the field.
    Truncated,
    /// Bytes remained after the last field.
    TrailingBytes,
    /// Shorter than the field's minimum.
    TooShort,
    /// Longer than the field's maximum.
    TooLong,
    /// Text that is not UTF-8.
    InvalidUtf8,
    /// A value outside the field's domain (an unknown code, a flag other than 0 or 1, a bad character).
    InvalidValue,
    /// The domain-separation label is not the one this encoding requires.
    WrongDomain,
    /// A version this implementation does not speak.
    UnsupportedVersion,
}

impl DecodeProblem {
    fn describe(self) -> &'static str {
        match self {
            DecodeProblem::Truncated => "truncated",
            DecodeProblem::TrailingBytes => "trailing bytes",
            DecodeProblem::TooShort => "too short",
            DecodeProblem::TooLong => "too long",
            DecodeProblem::InvalidUtf8 => "not utf-8",
            DecodeProblem::InvalidValue => "invalid value",
            DecodeProblem::WrongDomain => "wrong domain label",
            DecodeProblem::UnsupportedVersion => "unsupported version",
        }
    }
}

/// A decoding failure: which field, and what was wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    field: Field,
    problem: DecodeProblem,
}

impl DecodeError {
    /// A failure at `field`.
    pub fn new(field: Field, problem: DecodeProblem) -> Self {
        Self { field, problem }
    }

    /// The field being read.
    pub fn field(&self) -> Field {
        self.field
    }

    /// What was wrong.
    pub fn problem(&self) -> DecodeProblem {
        self.problem
    }

    /// `unsupported_version` for a version we do not speak, otherwise `malformed_request`.
    pub fn code(&self) -> &'static str {
        match self.problem {
            DecodeProblem::UnsupportedVersion => "unsupported_version",
            _ => "malformed_request",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {}: {}", self.field.name(), self.problem.describe())
    }
}

impl std::error::Error for DecodeError {}

/// Why an object key or prefix is refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is the empty string.
    Empty,
    /// Longer than [`crate::MAX_KEY_LEN`] bytes.
    TooLong,
    /// Starts with `/`.
    LeadingSlash,
    /// Contains an empty segment (`a//b`, or a trailing `/` on an object key).
    EmptySegment,
    /// Contains a `.` or `..` segment.
    DotSegment,
    /// Contains a control character or a backslash.
    ForbiddenChar,
    /// A prefix that does not end with `/`.
    PrefixNotDirectory,
    /// Not inside the configured root prefix.
    OutsideRoot,
}

impl KeyProblem {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            KeyProblem::Empty => "key_empty",
            KeyProblem::TooLong => "key_too_long",
            KeyProblem::LeadingSlash => "key_leading_slash",
            KeyProblem::EmptySegment => "key_empty_segment",
            KeyProblem::DotSegment => "key_dot_segment",
            KeyProblem::ForbiddenChar => "key_forbidden_char",
            KeyProblem::PrefixNotDirectory => "key_prefix_not_directory",
            KeyProblem::OutsideRoot => "key_outside_root",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            KeyProblem::Empty => "object key is empty",
            KeyProblem::TooLong => "object key is too long",
            KeyProblem::LeadingSlash => "object key starts with '/'",
            KeyProblem::EmptySegment => "object key has an empty segment",
            KeyProblem::DotSegment => "object key has a '.' or '..' segment",
            KeyProblem::ForbiddenChar => "object key has a control character or backslash",
            KeyProblem::PrefixNotDirectory => "prefix does not end with '/'",
            KeyProblem::OutsideRoot => "object key is outside the gatekeeper's root prefix",
        }
    }
}

/// Why a request's validity window is refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeProblem {
    /// `expires_at` is not after `issued_at`.
    InvalidWindow,
    /// The window is longer than the policy's maximum lifetime.
    LifetimeTooLong,
    /// `issued_at` is further in the future than the allowed clock skew.
    NotYetValid,
    /// `expires_at` plus the allowed clock skew has passed.
    Expired,
    /// (Co-signer only, [`crate::cosign`].) `issued_at` is further in the past than the allowed
    /// clock skew: the request was not made just now.
    Stale,
}

impl TimeProblem {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TimeProblem::InvalidWindow => "invalid_time_window",
            TimeProblem::LifetimeTooLong => "lifetime_too_long",
            TimeProblem::NotYetValid => "not_yet_valid",
            TimeProblem::Expired => "expired",
            TimeProblem::Stale => "stale_request",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TimeProblem::InvalidWindow => "request expires before it is issued",
            TimeProblem::LifetimeTooLong => "request lifetime exceeds the maximum",
            TimeProblem::NotYetValid => "request is not yet valid (check the clock)",
            TimeProblem::Expired => "request has expired",
            TimeProblem::Stale => "request was issued too long ago (check the clock)",
        }
    }
}

/// Why the gatekeeper refuses an access request. One variant per check, in the order they run.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The request bytes do not decode (includes an unsupported version).
    Malformed(DecodeError),
    /// The request names another gatekeeper.
    WrongAudience,
    /// The object key or prefix is refused.
    Key(KeyProblem),
    /// The validity window is refused.
    Time(TimeProblem),
    /// No vendor key with that id is configured.
    UnknownVendorKey,
    /// The vendor signature does not verify (any cause: bad bytes, weak key, wrong key).
    BadVendorSignature,
    /// The client session signature does not verify (any cause).
    BadClientSignature,
    /// The client IP is denied, or not in the allow list.
    AclDeniedIp,
    /// The client's country is denied, not allowed, or unknown.
    AclDeniedCountry {
        /// The country, if the lookup found one.
        country: Option<crate::policy::acl::CountryCode>,
    },
    /// The nonce was already used.
    Replay,
    /// The decision could not be written to the audit log, so it is refused (fail closed).
    AuditUnavailable,
}

impl Denial {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::Malformed(e) => e.code(),
            Denial::WrongAudience => "wrong_audience",
            Denial::Key(p) => p.code(),
            Denial::Time(p) => p.code(),
            Denial::UnknownVendorKey => "unknown_vendor_key",
            Denial::BadVendorSignature => "bad_vendor_signature",
            Denial::BadClientSignature => "bad_client_signature",
            Denial::AclDeniedIp => "acl_denied_ip",
            Denial::AclDeniedCountry { .. } => "acl_denied_country",
            Denial::Replay => "replayed_nonce",
            Denial::AuditUnavailable => "audit_unavailable",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::Malformed(e) => e.fmt(f),
            Denial::WrongAudience => f.write_str("request is for another gatekeeper"),
            Denial::Key(p) => f.write_str(p.describe()),
            Denial::Time(p) => f.write_str(p.describe()),
            Denial::UnknownVendorKey => f.write_str("unknown vendor key id"),
            Denial::BadVendorSignature => f.write_str("vendor signature is invalid"),
            Denial::BadClientSignature => f.write_str("client signature is invalid"),
            Denial::AclDeniedIp => f.write_str("access denied: client address is not allowed"),
            Denial::AclDeniedCountry { country: Some(c) } => {
                write!(f, "access denied: country {c} is not allowed")
            }
            Denial::AclDeniedCountry { country: None } => f.write_str("access denied: client country is unknown"),
            Denial::Replay => f.write_str("request was already used"),
            Denial::AuditUnavailable => f.write_str("audit log unavailable; request refused"),
        }
    }
}

impl std::error::Error for Denial {}

impl From<DecodeError> for Denial {
    fn from(e: DecodeError) -> Self {
        Denial::Malformed(e)
    }
}

/// A failure reading an encrypted object. All cryptographic failures are one variant.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectError {
    /// The bytes do not start with the object format's magic, or name an unknown format version.
    UnsupportedFormat,
    /// The header names a master key id for which no key material was supplied.
    UnknownMasterKey,
    /// Anything else: wrong key, bad tag, truncation, reordering, extension, malformed header.
    Decryption,
    /// A plaintext longer than the format allows was given to the encryptor.
    TooLarge,
}

impl ObjectError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ObjectError::UnsupportedFormat => "unsupported_object_format",
            ObjectError::UnknownMasterKey => "unknown_master_key",
            ObjectError::Decryption => "decryption_failed",
            ObjectError::TooLarge => "object_too_large",
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectError::UnsupportedFormat => "not an s3-gatekeeper encrypted object",
            ObjectError::UnknownMasterKey => "object is encrypted under an unknown master key",
            ObjectError::Decryption => "decryption failed: the object is damaged or the key is wrong",
            ObjectError::TooLarge => "object is too large for the format",
        })
    }
}

impl std::error::Error for ObjectError {}

/// A receipt from the gatekeeper that the client must not trust.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptError {
    /// The receipt bytes do not decode.
    Malformed(DecodeError),
    /// The signature does not verify under the pinned gatekeeper key.
    BadSignature,
    /// The receipt is valid but for another request than the one sent.
    Mismatch,
}

impl ReceiptError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReceiptError::Malformed(_) => "malformed_receipt",
            ReceiptError::BadSignature => "bad_receipt_signature",
            ReceiptError::Mismatch => "receipt_mismatch",
        }
    }
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::Malformed(e) => write!(f, "gatekeeper receipt: {e}"),
            ReceiptError::BadSignature => f.write_str("gatekeeper receipt is not signed by the pinned gatekeeper key"),
            ReceiptError::Mismatch => f.write_str("gatekeeper receipt is for another request"),
        }
    }
}

impl std::error::Error for ReceiptError {}

/// A configuration value the protocol cannot accept (CIDR, country code, key id, root prefix).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Not `address/length`, a length out of range, or host bits set.
    InvalidCidr(String),
    /// Not two ASCII letters.
    InvalidCountry(String),
    /// Not 1–64 characters of `A-Z a-z 0-9 . _ -`.
    InvalidKeyId(String),
    /// Not empty or a valid key prefix ending with `/`.
    InvalidRootPrefix(String),
    /// A key of the wrong length or a weak public key.
    InvalidKey(&'static str),
    /// A time policy out of bounds.
    InvalidTimePolicy(&'static str),
    /// A gatekeeper id that is empty, too long or has characters outside `A-Z a-z 0-9 . _ - :`.
    InvalidGatekeeperId(String),
}

impl ConfigError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        "invalid_config"
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidCidr(s) => write!(f, "invalid cidr {s:?}"),
            ConfigError::InvalidCountry(s) => write!(f, "invalid country code {s:?}"),
            ConfigError::InvalidKeyId(s) => write!(f, "invalid key id {s:?}"),
            ConfigError::InvalidRootPrefix(s) => write!(f, "invalid root prefix {s:?}"),
            ConfigError::InvalidKey(why) => write!(f, "invalid key: {why}"),
            ConfigError::InvalidTimePolicy(why) => write!(f, "invalid time policy: {why}"),
            ConfigError::InvalidGatekeeperId(s) => write!(f, "invalid gatekeeper id {s:?}"),
        }
    }
}

impl std::error::Error for ConfigError {}
