//! The object key schedule: master key → per-object key → write key (per salt) → data key and
//! commitment.
//!
//! Every derivation is HKDF-SHA256 with a labelled, length-prefixed `info` (see [`crate::codec::pae`]),
//! so no two derivations can collide. A reader holds the per-object key `K_obj` and derives the
//! write key of whatever salt the stored header carries; a writer holds only the [`WriteKey`] of
//! the one salt the gatekeeper chose for it, which opens no object stored earlier. The key types
//! zeroize on drop and their `Debug` prints the key id only. This module must never expose a master
//! key's bytes, never let a writer's key derive `K_obj`, and never let a derivation input be
//! ambiguous.

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::codec::pae;
use crate::keys::KeyId;
use crate::policy::object_key::ObjectKey;

use super::format::{COMMITMENT_LEN, SALT_LEN};

/// The `info` label of the per-object key.
pub(crate) const OBJECT_KEY_LABEL: &[u8] = b"s3-gatekeeper/v1 object-key";
/// The `info` label of the data key.
pub(crate) const DATA_KEY_LABEL: &[u8] = b"s3-gatekeeper/v1 data-key";
/// The `info` label of the key commitment.
pub(crate) const COMMITMENT_LABEL: &[u8] = b"s3-gatekeeper/v1 key-commitment";

/// 32 secret bytes and the master key id they belong to: wiped on drop, never printed.
#[derive(Clone)]
struct TaggedKey {
    id: KeyId,
    key: Zeroizing<[u8; 32]>,
}

impl TaggedKey {
    fn new(id: KeyId, key: [u8; 32]) -> Self {
        Self { id, key: Zeroizing::new(key) }
    }

    /// `Debug` for a key type named `name`: its id, never its bytes.
    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name).field("master_key_id", &self.id).field("key", &"<redacted>").finish()
    }
}

/// A master key held by the gatekeeper. It never leaves the gatekeeper: only the per-object keys
/// derived from it are released.
pub struct MasterKey(TaggedKey);

impl MasterKey {
    /// A master key with its id.
    pub fn from_bytes(id: KeyId, key: [u8; 32]) -> Self {
        Self(TaggedKey::new(id, key))
    }

    /// The master key id, written into every object header.
    pub fn id(&self) -> &KeyId {
        &self.0.id
    }

    /// The key for the object named `key` in `bucket`:
    /// `HKDF-SHA256(salt = none, IKM = master key, info = pae(label, id, bucket, key), L = 32)`.
    /// Only a checked [`ObjectKey`] has key material.
    pub fn object_key(&self, bucket: &str, key: &ObjectKey) -> ObjectKeyMaterial {
        let key = key.as_str();
        let info = pae(&[OBJECT_KEY_LABEL, self.id().as_str().as_bytes(), bucket.as_bytes(), key.as_bytes()]);
        let mut okm = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, self.0.key.as_slice())
            .expand(&info, okm.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        ObjectKeyMaterial(TaggedKey { id: self.id().clone(), key: okm })
    }

    /// The write key of a new object named `key` in `bucket` whose header will carry `salt`: what a
    /// put grant releases instead of the per-object key (see [`WriteKey`]).
    pub fn write_key(&self, bucket: &str, key: &ObjectKey, salt: [u8; SALT_LEN]) -> WriteKey {
        self.object_key(bucket, key).write_key(salt)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("MasterKey", f)
    }
}

/// The key of one object (`K_obj`), tagged with the id of the master key it came from. This is
/// what the gatekeeper releases to a client allowed to read that object; a writer gets a
/// [`WriteKey`] instead.
#[derive(Clone)]
pub struct ObjectKeyMaterial(TaggedKey);

impl ObjectKeyMaterial {
    /// Key material received from the gatekeeper.
    pub fn from_bytes(master_key_id: KeyId, key: [u8; 32]) -> Self {
        Self(TaggedKey::new(master_key_id, key))
    }

    /// The id of the master key this was derived from.
    pub fn master_key_id(&self) -> &KeyId {
        &self.0.id
    }

    /// The key bytes, for the gatekeeper to send to the client.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0.key
    }

    /// The write key for objects whose header carries `salt`:
    /// `PRK = HKDF-Extract(salt, K_obj)`, tagged with the master key id and the salt.
    pub fn write_key(&self, salt: [u8; SALT_LEN]) -> WriteKey {
        let (prk, _) = Hkdf::<Sha256>::extract(Some(&salt), self.as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&prk);
        WriteKey { key: TaggedKey { id: self.0.id.clone(), key }, salt }
    }
}

impl fmt::Debug for ObjectKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("ObjectKeyMaterial", f)
    }
}

/// The key of one object *version*: `PRK = HKDF-Extract(salt, K_obj)` for one header salt, with
/// that salt and the master key id.
///
/// A put grant releases this, never `K_obj`: the gatekeeper draws the salt, so the key derives the
/// data key and commitment of the new object only. An object stored earlier has another salt, and
/// HKDF-Extract is a one-way function of `K_obj`, so nothing a writer holds opens it.
pub struct WriteKey {
    key: TaggedKey,
    salt: [u8; SALT_LEN],
}

impl WriteKey {
    /// A write key received from the gatekeeper.
    pub fn from_bytes(master_key_id: KeyId, salt: [u8; SALT_LEN], key: [u8; 32]) -> Self {
        Self { key: TaggedKey::new(master_key_id, key), salt }
    }

    /// The id of the master key the object's header names.
    pub fn master_key_id(&self) -> &KeyId {
        &self.key.id
    }

    /// The salt the object's header must carry (not secret).
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }

    /// The PRK bytes, for the gatekeeper to send to the client.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key.key
    }
}

impl fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.key.debug("WriteKey", f)
    }
}

/// The AES-256-GCM key of one encrypted object's chunks.
pub struct DataKey {
    key: Zeroizing<[u8; 32]>,
}

impl DataKey {
    /// The key bytes, for importing into another AEAD implementation (WebCrypto).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Derives the data key and the key commitment of an object from its write key and
/// `header_prefix` (every header byte before the commitment): one `HKDF-Expand` of the write key's
/// PRK per label. The caller makes sure the header carries the write key's salt.
pub(crate) fn header_keys(write_key: &WriteKey, header_prefix: &[u8]) -> (DataKey, [u8; COMMITMENT_LEN]) {
    let prk = Hkdf::<Sha256>::from_prk(write_key.as_bytes()).expect("a 32-byte PRK is a valid HKDF-SHA256 PRK");
    let mut data_key = Zeroizing::new([0u8; 32]);
    prk.expand(&pae(&[DATA_KEY_LABEL, header_prefix]), data_key.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let mut commitment = [0u8; COMMITMENT_LEN];
    prk.expand(&pae(&[COMMITMENT_LABEL, header_prefix]), &mut commitment)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    (DataKey { key: data_key }, commitment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        KeyId::new(s).unwrap()
    }

    fn key(s: &str) -> ObjectKey {
        ObjectKey::parse(s).unwrap()
    }

    #[test]
    fn object_key_is_bound_to_every_input() {
        let master = MasterKey::from_bytes(id("m1"), [1; 32]);
        let base = master.object_key("bucket", &key("reports/a.pdf"));
        assert_eq!(base.master_key_id(), &id("m1"));
        assert_eq!(base.as_bytes(), master.object_key("bucket", &key("reports/a.pdf")).as_bytes());
        let others = [
            master.object_key("bucket", &key("reports/b.pdf")),
            master.object_key("bucket2", &key("reports/a.pdf")),
            // Moving bytes across the bucket/key boundary must change the key.
            master.object_key("bucketr", &key("eports/a.pdf")),
            MasterKey::from_bytes(id("m2"), [1; 32]).object_key("bucket", &key("reports/a.pdf")),
            MasterKey::from_bytes(id("m1"), [2; 32]).object_key("bucket", &key("reports/a.pdf")),
        ];
        for other in &others {
            assert_ne!(other.as_bytes(), base.as_bytes());
        }
    }

    #[test]
    fn object_key_matches_the_written_formula() {
        // "salt = none" is RFC 5869's default: HashLen zero bytes.
        let master = MasterKey::from_bytes(id("m1"), [9; 32]);
        let info = pae(&[b"s3-gatekeeper/v1 object-key", b"m1", b"b", b"k"]);
        let mut expected = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&[0u8; 32]), &[9; 32]).expand(&info, &mut expected).unwrap();
        assert_eq!(master.object_key("b", &key("k")).as_bytes(), &expected);
    }

    #[test]
    fn write_key_matches_the_written_formula() {
        // PRK = HKDF-Extract(salt, K_obj) = HMAC-SHA256(key = salt, message = K_obj).
        use hmac::{Hmac, Mac};
        let k = ObjectKeyMaterial::from_bytes(id("m1"), [3; 32]);
        let w = k.write_key([4; 32]);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[4; 32]).unwrap();
        mac.update(&[3; 32]);
        assert_eq!(w.as_bytes().as_slice(), mac.finalize().into_bytes().as_slice());
        assert_eq!((w.master_key_id(), w.salt()), (&id("m1"), &[4; 32]));
        assert_ne!(w.as_bytes(), k.write_key([5; 32]).as_bytes());
        assert_ne!(w.as_bytes(), k.as_bytes());
        let master = MasterKey::from_bytes(id("m1"), [9; 32]);
        assert_eq!(
            master.write_key("b", &key("k"), [4; 32]).as_bytes(),
            master.object_key("b", &key("k")).write_key([4; 32]).as_bytes()
        );
    }

    #[test]
    fn data_key_and_commitment_differ_and_depend_on_the_prefix() {
        let k = ObjectKeyMaterial::from_bytes(id("m1"), [3; 32]);
        let (dk, c) = header_keys(&k.write_key([4; 32]), b"prefix");
        assert_ne!(dk.as_bytes(), &c);
        let (dk2, c2) = header_keys(&k.write_key([4; 32]), b"prefiX");
        assert_ne!(dk.as_bytes(), dk2.as_bytes());
        assert_ne!(c, c2);
        let (dk3, _) = header_keys(&k.write_key([5; 32]), b"prefix");
        assert_ne!(dk.as_bytes(), dk3.as_bytes());
    }

    #[test]
    fn debug_never_prints_key_bytes() {
        let master = MasterKey::from_bytes(id("m1"), [0xab; 32]);
        let k = master.object_key("b", &key("k"));
        let w = k.write_key([0; 32]);
        let (dk, _) = header_keys(&w, b"");
        let write_text = format!("{w:?}");
        assert!(write_text.contains("redacted") && !write_text.contains(&hex::encode(w.as_bytes())), "{write_text}");
        let cases = [
            (format!("{master:?}"), [0xab; 32]),
            (format!("{k:?}"), *k.as_bytes()),
            (format!("{dk:?}"), *dk.as_bytes()),
        ];
        for (text, bytes) in cases {
            assert!(text.contains("redacted"), "{text}");
            assert!(!text.contains(&format!("{bytes:?}")), "{text}");
            assert!(!text.contains(&hex::encode(bytes)), "{text}");
        }
        assert!(format!("{master:?}").contains("m1"));
    }
}
