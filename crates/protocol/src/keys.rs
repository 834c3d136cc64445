//! Key identifiers, Ed25519 public-key admission and strict signature verification.
//!
//! Every key in the protocol travels with a [`KeyId`] so keys can rotate: a verifier holds several
//! keys and picks one by id. [`parse_public_key`] is the only way bytes become a verifying key
//! here: it rejects non-canonical point encodings and small-order points before any signature is
//! checked, so a weak key cannot make a forged signature verify. This module must never admit a
//! key it has not re-encoded and checked for small order, and never verify a signature other
//! than with `verify_strict`.

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};

use crate::config::ConfigError;

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
///
/// Canonical means the point re-encodes to the same bytes: that refuses `y >= p`, and `x = 0` with
/// the sign bit set, which ed25519-dalek decodes although RFC 8032 section 5.1.3 says not to.
pub fn parse_public_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    let canonical = key.to_edwards().compress().to_bytes() == *bytes;
    if !canonical || key.is_weak() {
        return None;
    }
    Some(key)
}

/// `verify_strict` of `signature` over `msg` under `key`: every signature check of the protocol.
pub(crate) fn verify_signature(key: &VerifyingKey, msg: &[u8], signature: &[u8; 64]) -> bool {
    key.verify_strict(msg, &Signature::from_bytes(signature)).is_ok()
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
        // x = 0 with the sign bit set (RFC 8032 section 5.1.3: decoding fails), for (0, 1) and for
        // (0, -1); both points also have small order (1 and 2).
        let mut identity_signed = identity;
        identity_signed[31] |= 0x80;
        let mut minus_one_signed = y_is_p;
        minus_one_signed[0] = 0xec;
        minus_one_signed[31] |= 0x80;
        for key in [identity_signed, minus_one_signed] {
            assert!(parse_public_key(&key).is_none(), "{key:02x?}");
            // ed25519-dalek 2 decodes it anyway; the re-encoding check then refuses it.
            if let Ok(decoded) = VerifyingKey::from_bytes(&key) {
                assert_ne!(decoded.to_edwards().compress().to_bytes(), key);
            }
        }
        // The eight points of small order, canonically encoded (docs/protocol.md section 2 lists
        // them for implementers), and the y = p + 1 encoding of the identity.
        for hex in [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            let key: [u8; 32] = hex::decode(hex).unwrap().try_into().unwrap();
            assert!(parse_public_key(&key).is_none(), "{hex}");
            let point = VerifyingKey::from_bytes(&key).expect("each is a curve point");
            assert!(point.is_weak(), "{hex} has small order");
        }
        // A real key passes.
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        assert!(parse_public_key(sk.verifying_key().as_bytes()).is_some());
    }
}
