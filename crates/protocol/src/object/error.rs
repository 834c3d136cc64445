//! Why an encrypted object cannot be read or written, with the stable codes of
//! `docs/protocol.md` section 7.5.
//!
//! Every cryptographic failure (a wrong key, a bad tag, truncation, reordering, extension, a
//! damaged header) is the one variant [`ObjectError::Decryption`]. This module must never split
//! it: an error that named the failing check would be an oracle.

use core::fmt;

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
