//! Vectors for the write key a put grant releases (`docs/protocol.md`, section 7.1): what it is,
//! what it seals, and that it opens no object stored earlier.

use s3gk_protocol::object::{self, MasterKey, ObjectHeader, ObjectKeyMaterial, SealFramer, WriteKey};
use s3gk_protocol::{KeyId, ObjectKey};

use crate::vector::Vector;
use crate::{expect, seed};

const BUCKET: &str = "acme-support-data";
const KEY: &str = "tickets/4711/screenshot-1.png";
const CHUNK: u32 = 32;

fn master() -> MasterKey {
    MasterKey::from_bytes(KeyId::new("mk-1").unwrap(), seed("master"))
}

/// A checked object key: every key these vectors name is one.
fn object_key(key: &str) -> ObjectKey {
    ObjectKey::parse(key).unwrap()
}

fn plaintext(label: &str, len: usize) -> Vec<u8> {
    label.bytes().cycle().take(len).collect()
}

/// The outcome of applying `released` to `stored` in every way a holder could: as `K_obj`, and as
/// the PRK of the stored header's salt. `ok` if any way opens it.
fn apply(released: &WriteKey, stored: &[u8]) -> &'static str {
    let id = released.master_key_id().clone();
    let as_object_key = ObjectKeyMaterial::from_bytes(id.clone(), *released.as_bytes());
    if object::decrypt(&[as_object_key], stored).is_ok() {
        return "ok";
    }
    let header_len = object::HEADER_FIXED_LEN + usize::from(stored[9]);
    let header = ObjectHeader::decode(&stored[..header_len]).unwrap();
    let as_stored_prk = WriteKey::from_bytes(id, *header.salt(), *released.as_bytes());
    let framer = SealFramer::new(as_stored_prk, header.chunk_size()).unwrap();
    // Equal header bytes would mean an equal commitment, hence an equal data key.
    if framer.header_bytes() == &stored[..header_len] {
        return "ok";
    }
    "decryption_failed"
}

fn base(name: &str, intended: &str, comment: &str, put_key: &str, salt_label: &str) -> (Vector, WriteKey) {
    let salt = seed(salt_label);
    let write_key = master().write_key(BUCKET, &object_key(put_key), salt);
    let v = Vector::new("write-key", name, intended, comment)
        .hex("master_key", seed("master"))
        .field("master_key_id", "mk-1")
        .field("bucket", BUCKET)
        .hex("object_key", put_key.as_bytes())
        .hex("salt", salt)
        .hex("write_key", write_key.as_bytes());
    (v, write_key)
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    let mut out = Vec::new();

    // The writer seals under the write key; a reader opens with K_obj as for any object.
    let (v, write_key) = base("ok", "ok", "a put's write key seals the new object; K_obj opens it", KEY, "put salt 1");
    let plain = plaintext("new upload; ", 77);
    let sealed = object::encrypt(write_key, CHUNK, &plain).unwrap();
    let read = object::decrypt(&[master().object_key(BUCKET, &object_key(KEY))], &sealed).map(|_| "ok");
    expect("write-key-ok", "ok", read.unwrap_or_else(|e| e.code()))?;
    out.push(v.field("chunk_size", CHUNK).hex("plaintext", &plain).hex("ciphertext", &sealed));

    // Stored earlier under the same name (another salt): the put's release does not open it.
    let stored = object::encrypt(
        master().write_key(BUCKET, &object_key(KEY), seed("stored salt")),
        CHUNK,
        &plaintext("secret; ", 50),
    )
    .unwrap();
    let reader = object::decrypt(&[master().object_key(BUCKET, &object_key(KEY))], &stored).map(|_| "ok");
    expect("write-key stored object", "ok", reader.unwrap_or_else(|e| e.code()))?;
    for (name, comment, put_key) in [
        (
            "does-not-open-stored-object",
            "a put grant for the key of an existing object: its write key opens neither as K_obj nor as the stored salt's PRK",
            KEY,
        ),
        (
            "for-other-name-does-not-open",
            "a put grant for another key: its write key does not open this object either",
            "tickets/4711/screenshot-2.png",
        ),
    ] {
        let (v, released) = base(name, "decryption_failed", comment, put_key, "put salt 2");
        expect(&format!("write-key-{name}"), "decryption_failed", apply(&released, &stored))?;
        out.push(v.hex("stored_object_key", KEY.as_bytes()).hex("ciphertext", &stored));
    }
    Ok(out)
}
