//! The keys section of the configuration: the gatekeeper's signing key, the vendor's public keys
//! and the master data keys.
//!
//! Secret keys are read only through references (`env:NAME`, `file:/path`) resolved by
//! [`crate::secret::resolve`]; decoded bytes live in [`Zeroizing`] buffers. No problem message
//! ever contains key material, and a literal key where a reference belongs is refused.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use s3gk_protocol::error::ConfigError;
use s3gk_protocol::object::MasterKey;
use s3gk_protocol::sign::Keyring;
use s3gk_protocol::KeyId;
use zeroize::Zeroizing;

use super::reader::{Field, Problems, Section};
use super::Env;
use crate::secret;

/// How a 32-byte key must be written.
const KEY32_SYNTAX: &str = "must be 32 bytes written as 64 hex digits or padded base64";

/// Decodes 32 bytes written as 64 hex digits (either case) or as standard padded base64.
pub fn decode_key32(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    if text.len() == 64 {
        hex::decode_to_slice(text, out.as_mut_slice()).ok()?;
        return Some(out);
    }
    let bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(text).ok()?);
    out.copy_from_slice(bytes.get(..32).filter(|_| bytes.len() == 32)?);
    Some(out)
}

/// A key id at `field`, or a problem.
pub(super) fn key_id(field: &Field<&str>, p: &mut Problems) -> Option<KeyId> {
    KeyId::new(field.value).map_err(|e| p.push(&field.path, e.to_string())).ok()
}

/// Resolves the secret reference at `field` and decodes it as a 32-byte key.
fn secret_key32(field: &Field<&str>, env: Env<'_>, p: &mut Problems) -> Option<Zeroizing<[u8; 32]>> {
    let secret = secret::resolve(field.value, env).map_err(|e| p.push(&field.path, e.to_string())).ok()?;
    let key = decode_key32(secret.expose());
    if key.is_none() {
        p.push(&field.path, format!("the referenced secret {KEY32_SYNTAX}"));
    }
    key
}

/// `signing_key` (a reference to the 32-byte Ed25519 seed) and `signing_key_id`.
pub(super) fn signing_key(root: &Section<'_>, env: Env<'_>, p: &mut Problems) -> Option<(SigningKey, KeyId)> {
    let id = root.required_str("signing_key_id", p).and_then(|f| key_id(&f, p));
    let seed = root.required_str("signing_key", p).and_then(|f| secret_key32(&f, env, p));
    Some((SigningKey::from_bytes(&*seed?), id?))
}

/// `[[vendor_keys]]`: at least one; ids distinct; public keys canonical and not of small order.
pub(super) fn vendor_keys(root: &Section<'_>, p: &mut Problems) -> Keyring {
    let mut ring = Keyring::new();
    let sections = root.sections("vendor_keys", &["id", "public_key"], p);
    if sections.is_empty() {
        p.push("vendor_keys", "at least one [[vendor_keys]] entry is required");
    }
    for s in sections {
        let id = s.required_str("id", p).and_then(|f| key_id(&f, p));
        let Some(public) = s.required_str("public_key", p) else { continue };
        let Some(bytes) = decode_key32(public.value) else {
            p.push(&public.path, KEY32_SYNTAX);
            continue;
        };
        let Some(id) = id else { continue };
        match ring.insert(id, &bytes) {
            Ok(()) => {}
            Err(ConfigError::InvalidKeyId(_)) => p.push(s.field_path("id"), "duplicate vendor key id"),
            Err(e) => p.push(&public.path, e.to_string()),
        }
    }
    ring
}

/// `[[master_keys]]`: at least one; ids distinct; each a reference to 32 bytes, none equal to
/// another or to the signing seed. The first encrypts new uploads.
pub(super) fn master_keys(
    root: &Section<'_>,
    env: Env<'_>,
    signing_seed: Option<&[u8; 32]>,
    p: &mut Problems,
) -> Vec<MasterKey> {
    let sections = root.sections("master_keys", &["id", "key"], p);
    if sections.is_empty() {
        p.push("master_keys", "at least one [[master_keys]] entry is required");
    }
    let mut seen: Vec<(KeyId, Zeroizing<[u8; 32]>)> = Vec::new();
    let mut keys = Vec::new();
    for s in sections {
        let id = s.required_str("id", p).and_then(|f| key_id(&f, p));
        let key_field = s.required_str("key", p);
        let key = key_field.as_ref().and_then(|f| secret_key32(f, env, p));
        let (Some(id), Some(key), Some(key_field)) = (id, key, key_field) else { continue };
        if seen.iter().any(|(other, _)| *other == id) {
            p.push(s.field_path("id"), "duplicate master key id");
            continue;
        }
        if let Some((other, _)) = seen.iter().find(|(_, k)| **k == *key) {
            p.push(&key_field.path, format!("same key material as master key {other}"));
            continue;
        }
        if signing_seed.is_some_and(|seed| *seed == *key) {
            p.push(&key_field.path, "must differ from the signing key");
            continue;
        }
        keys.push(MasterKey::from_bytes(id.clone(), *key));
        seen.push((id, key));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    #[test]
    fn key_encodings() {
        let bytes = hex::decode(SEED).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert_eq!(decode_key32(SEED).unwrap().as_slice(), bytes.as_slice());
        assert_eq!(decode_key32(&SEED.to_uppercase()).unwrap().as_slice(), bytes.as_slice());
        assert_eq!(decode_key32(&b64).unwrap().as_slice(), bytes.as_slice());
        for bad in ["", &SEED[..62], &format!("{SEED}00"), b64.trim_end_matches('='), &"zz".repeat(32)] {
            assert!(decode_key32(bad).is_none(), "{bad}");
        }
        assert!(decode_key32(&base64::engine::general_purpose::STANDARD.encode([0u8; 31])).is_none());
    }
}
