//! Subresource-integrity values: `sha384-` and the base64 of a SHA-384 digest, the form a
//! Content-Security-Policy hash source, an `integrity` attribute and an import map take.
//!
//! Only [`Integrity::of`] (hashing bytes) and [`Integrity::parse`] (exact text from a
//! configuration) build one, so a value that is not a well-formed SHA-384 never reaches a policy.

use core::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha384};

/// A SHA-384 digest, shown as `sha384-<base64>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Integrity([u8; 48]);

/// Why a text is not an integrity value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntegrityError {
    /// Not `sha384-` followed by the padded base64 of 48 bytes.
    Malformed,
}

impl fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected sha384- and the base64 of a SHA-384 digest (64 characters)")
    }
}

impl std::error::Error for IntegrityError {}

impl Integrity {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha384::digest(bytes).into())
    }

    /// Exactly `sha384-` and 64 base64 characters (no other algorithm, no options).
    pub fn parse(text: &str) -> Result<Self, IntegrityError> {
        let digest = text.strip_prefix("sha384-").filter(|d| d.len() == 64).ok_or(IntegrityError::Malformed)?;
        let bytes = B64.decode(digest).map_err(|_| IntegrityError::Malformed)?;
        let digest = <[u8; 48]>::try_from(bytes).map_err(|_| IntegrityError::Malformed)?;
        Ok(Self(digest))
    }

    /// As a Content-Security-Policy hash source: `'sha384-…'`.
    pub fn source(&self) -> String {
        format!("'{self}'")
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha384-{}", B64.encode(self.0))
    }
}

impl fmt::Debug for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Integrity({self})")
    }
}

/// The SHA-256 of `bytes` in hex (how release notes name the WebAssembly module).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_nothing_else_parses() {
        let value = Integrity::of(b"alert(1)");
        assert_eq!(Integrity::parse(&value.to_string()), Ok(value));
        // The digest of the empty string, as `openssl dgst -sha384 -binary | base64` prints it.
        let empty = "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb";
        assert_eq!(Integrity::of(b"").to_string(), empty);
        assert_eq!(value.source(), format!("'{value}'"));
        for bad in [
            "",
            "sha384-",
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "sha512-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb",
            "SHA384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb",
            " sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb",
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLl",
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb?x",
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLl'",
        ] {
            assert_eq!(Integrity::parse(bad), Err(IntegrityError::Malformed), "{bad}");
        }
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
