//! Key identifiers and Ed25519 public-key admission.
//!
//! Every key in the protocol travels with a [`KeyId`] so keys can rotate: a verifier holds several
//! keys and picks one by id. [`parse_public_key`] is the only way bytes become a verifying key
//! here: it rejects non-canonical point encodings and small-order points before any signature is
//! checked, so a weak key cannot make a forged signature verify.

use core::fmt;

use ed25519_dalek::VerifyingKey;

use crate::error::ConfigError;

/// The longest key id, in bytes.
pub const MAX_KEY_ID_LEN: usize = 64;

/// A key's name: 1–64 characters of `A-Z a-z 0-9 . _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Checks the syntax of `s`.
    pub fn new(s: &str) -> Result<Self, ConfigError> {
        if is_valid_key_id(s.as_bytes()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ConfigError::InvalidKeyId(s.chars().take(80).collect()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when `b` is a valid key id.
pub(crate) fn is_valid_key_id(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= MAX_KEY_ID_LEN
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// Admits 32 bytes as an Ed25519 public key only if the encoding is canonical and the point is not
/// of small order. Returns `None` otherwise.
pub fn parse_public_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    let canonical = key.to_edwards().compress().to_bytes() == *bytes;
    if !canonical || key.is_weak() {
        return None;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_syntax() {
        assert!(KeyId::new("vendor-2026.01_a").is_ok());
        for bad in ["", "a b", "ä", "a/b", &"x".repeat(65)] {
            assert!(KeyId::new(bad).is_err(), "{bad:?}");
        }
        assert!(KeyId::new(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn small_order_and_non_canonical_keys_are_refused() {
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(parse_public_key(&identity).is_none());
        // y = p (non-canonical encoding of y = 0, a small-order point).
        let mut y_is_p = [0xffu8; 32];
        y_is_p[0] = 0xed;
        y_is_p[31] = 0x7f;
        assert!(parse_public_key(&y_is_p).is_none());
        // A real key passes.
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        assert!(parse_public_key(sk.verifying_key().as_bytes()).is_some());
    }
}
