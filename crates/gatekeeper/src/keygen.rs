//! `gatekeeper keygen`: fresh keys, printed as text that says what each value is and where it goes.
//!
//! Three kinds: the gatekeeper's Ed25519 signing key, a vendor's Ed25519 signing key, and a 32-byte
//! master data key. Keys come from the operating system's CSPRNG ([`OsRng`]) unless a caller passes
//! its own to [`generate_with`]. The text marks every secret as SECRET and shows the reference
//! (`env:…` / `file:…`) the configuration uses for it; [`parse_public_key`] reads a public key back.
//! This module never writes a file, never logs, and returns the text in a [`Zeroizing`] string so
//! the secret is wiped once printed.

use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::{CryptoRngCore, OsRng};
use s3gk_protocol::{ConfigError, KeyId};
use zeroize::Zeroizing;

/// Which key to generate.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The gatekeeper's receipt-signing key (`signing_key` in `gatekeeper.toml`).
    Signing,
    /// A vendor co-signing key: the seed goes to the vendor, the public key into `[[vendor_keys]]`.
    Vendor,
    /// A master data key (`[[master_keys]]`).
    Master,
}

/// A new key of `kind` named `id`, from the operating system's CSPRNG, as text for the terminal.
pub fn generate(kind: KeyKind, id: &KeyId) -> Zeroizing<String> {
    generate_with(kind, id, &mut OsRng)
}

/// [`generate`] with a given random number generator.
pub fn generate_with(kind: KeyKind, id: &KeyId, rng: &mut impl CryptoRngCore) -> Zeroizing<String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(seed.as_mut_slice());
    match kind {
        KeyKind::Signing => gatekeeper_text(id, &seed),
        KeyKind::Vendor => vendor_text(id, &seed),
        KeyKind::Master => master_text(id, &seed),
    }
}

/// Reads an Ed25519 public key written as 64 hex digits or padded base64, refusing weak and
/// non-canonical keys (for `gatekeeper audit verify --public-key` and similar).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, ConfigError> {
    let bytes = crate::config::decode_key32(text.trim())
        .ok_or(ConfigError::InvalidKey("expected 32 bytes as 64 hex digits or padded base64"))?;
    s3gk_protocol::keys::parse_public_key(&bytes).ok_or(ConfigError::InvalidKey("weak or non-canonical public key"))
}

/// An environment variable name derived from a key id: `GK_MASTER_KEY_MK_1` for `mk-1`.
fn env_name(prefix: &str, id: &KeyId) -> String {
    let suffix: String =
        id.as_str().chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("{prefix}_{suffix}")
}

fn public_hex(seed: &[u8; 32]) -> String {
    hex::encode(SigningKey::from_bytes(seed).verifying_key().as_bytes())
}

/// Text made of `lines`, each ended by a newline, in a string that is wiped when dropped.
fn text(lines: &[&str]) -> Zeroizing<String> {
    let mut t = Zeroizing::new(String::new());
    for line in lines {
        t.push_str(line);
        t.push('\n');
    }
    t
}

fn gatekeeper_text(id: &KeyId, seed: &[u8; 32]) -> Zeroizing<String> {
    let var = "GK_SIGNING_KEY";
    let secret = Zeroizing::new(format!("{var}={}", hex::encode(seed)));
    text(&[
        &format!("# Gatekeeper signing key {id} (Ed25519)."),
        "#",
        "# SECRET - the seed. Give it only to the gatekeeper: an environment variable from your secret",
        "# store, or a file readable by the gatekeeper alone (mode 0600). Never put it in gatekeeper.toml.",
        &secret,
        "#",
        "# In gatekeeper.toml:",
        &format!("#   signing_key = \"env:{var}\"    (or \"file:/path/to/seed\")"),
        &format!("#   signing_key_id = \"{id}\""),
        "#",
        "# PUBLIC - not secret. Pin it in the client configuration (the gatekeeper public key).",
        &format!("public_key = \"{}\"", public_hex(seed)),
    ])
}

fn vendor_text(id: &KeyId, seed: &[u8; 32]) -> Zeroizing<String> {
    let secret = Zeroizing::new(format!("VENDOR_SIGNING_KEY={}", hex::encode(seed)));
    text(&[
        &format!("# Vendor co-signing key {id} (Ed25519)."),
        "#",
        "# SECRET - the seed. It belongs to the vendor's co-sign service only; the customer's",
        "# gatekeeper never needs it. Keep it in the vendor's secret store.",
        &secret,
        "#",
        "# PUBLIC - not secret. The customer adds it to gatekeeper.toml:",
        "[[vendor_keys]]",
        &format!("id = \"{id}\""),
        &format!("public_key = \"{}\"", public_hex(seed)),
    ])
}

fn master_text(id: &KeyId, key: &[u8; 32]) -> Zeroizing<String> {
    let var = env_name("GK_MASTER_KEY", id);
    let secret = Zeroizing::new(format!("{var}={}", hex::encode(key)));
    text(&[
        &format!("# Master data key {id} (32 bytes)."),
        "#",
        "# SECRET - give it only to the gatekeeper, like the signing key. Back it up: objects",
        "# encrypted under it cannot be read without it. Keep it configured after rotating.",
        &secret,
        "#",
        "# In gatekeeper.toml (the first [[master_keys]] entry encrypts new uploads):",
        "#   [[master_keys]]",
        &format!("#   id = \"{id}\""),
        &format!("#   key = \"env:{var}\"    (or \"file:/path/to/key\")"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value on the line `NAME=value`.
    fn value<'a>(text: &'a str, name: &str) -> &'a str {
        text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('=')).unwrap()
    }

    fn quoted<'a>(text: &'a str, key: &str) -> &'a str {
        text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(" = \"")?.strip_suffix('"')).unwrap()
    }

    #[test]
    fn printed_public_key_matches_the_seed() {
        let id = KeyId::new("gk-2026-01").unwrap();
        for kind in [KeyKind::Signing, KeyKind::Vendor] {
            let text = generate_with(kind, &id, &mut OsRng);
            let var = if kind == KeyKind::Signing { "GK_SIGNING_KEY" } else { "VENDOR_SIGNING_KEY" };
            let seed: [u8; 32] = hex::decode(value(&text, var)).unwrap().try_into().unwrap();
            let public = hex::decode(quoted(&text, "public_key")).unwrap();
            assert_eq!(SigningKey::from_bytes(&seed).verifying_key().as_bytes().as_slice(), public.as_slice());
            assert!(text.contains("SECRET") && text.contains("PUBLIC"), "{}", *text);
        }
    }

    #[test]
    fn master_key_is_32_random_bytes_named_in_the_config_snippet() {
        let id = KeyId::new("mk-1").unwrap();
        let text = generate(KeyKind::Master, &id);
        let key = hex::decode(value(&text, "GK_MASTER_KEY_MK_1")).unwrap();
        assert_eq!(key.len(), 32);
        assert!(text.contains("key = \"env:GK_MASTER_KEY_MK_1\""), "{}", *text);
        assert!(text.contains("SECRET"));
    }

    #[test]
    fn public_keys_parse_back_and_weak_ones_are_refused() {
        let text = generate(KeyKind::Signing, &KeyId::new("gk-1").unwrap());
        let public = quoted(&text, "public_key");
        assert_eq!(hex::encode(parse_public_key(public).unwrap().as_bytes()), public);
        let identity = format!("01{}", "00".repeat(31));
        assert!(parse_public_key(&identity).is_err());
        assert!(parse_public_key("not a key").is_err());
    }

    #[test]
    fn os_rng_keys_differ() {
        let id = KeyId::new("mk-1").unwrap();
        assert_ne!(*generate(KeyKind::Master, &id), *generate(KeyKind::Master, &id));
        assert_ne!(*generate(KeyKind::Signing, &id), *generate(KeyKind::Signing, &id));
    }
}
