//! Writers never read: what a put grant releases (a [`WriteKey`]) seals the new object, which
//! every reader opens with `K_obj`, and opens nothing stored earlier under any name, however it is
//! applied. Tests only; nothing here ships.

use super::tests::{kobj, master, name, ID};
use super::*;
use crate::keys::KeyId;

const STORED_SALT: [u8; SALT_LEN] = [0x21; SALT_LEN];
const PUT_SALT: [u8; SALT_LEN] = [0x42; SALT_LEN];

fn stored_object() -> Vec<u8> {
    encrypt(kobj().write_key(STORED_SALT), 16, b"stored earlier: the put grant must not read this").unwrap()
}

#[test]
fn a_write_key_seals_what_readers_open_with_the_object_key() {
    let written = encrypt(kobj().write_key(PUT_SALT), 16, b"new version").unwrap();
    assert_eq!(decrypt(&[kobj()], &written).unwrap(), b"new version");
    let header = ObjectHeader::decode(written.get(..header_len_of(&written)).unwrap()).unwrap();
    assert_eq!(header.salt(), &PUT_SALT);
}

#[test]
fn a_write_key_opens_no_object_stored_earlier_under_the_same_name() {
    let stored = stored_object();
    assert!(decrypt(&[kobj()], &stored).is_ok(), "the stored object is valid");
    let released = kobj().write_key(PUT_SALT);
    let id = KeyId::new(ID).unwrap();
    // Used as if it were K_obj: the commitment of the stored header does not match.
    let as_object_key = ObjectKeyMaterial::from_bytes(id.clone(), *released.as_bytes());
    assert_eq!(decrypt(&[as_object_key], &stored), Err(ObjectError::Decryption));
    // Used as the PRK of the stored header's salt: still the wrong data key and commitment.
    let as_stored_prk = WriteKey::from_bytes(id, STORED_SALT, *released.as_bytes());
    let mut framer = SealFramer::new(as_stored_prk, 16).unwrap();
    let forged_header = framer.header_bytes().to_vec();
    assert_ne!(forged_header.as_slice(), stored.get(..forged_header.len()).unwrap(), "a different commitment");
    // And the one thing that would open it, the stored salt's write key, is not derivable from it.
    assert_ne!(released.as_bytes(), kobj().write_key(STORED_SALT).as_bytes());
    assert!(framer.finish().is_ok());
}

#[test]
fn a_write_key_opens_no_object_under_another_name() {
    let released = master().write_key("bucket", &name("reports/q2.pdf"), STORED_SALT);
    let as_object_key = ObjectKeyMaterial::from_bytes(KeyId::new(ID).unwrap(), *released.as_bytes());
    assert_eq!(decrypt(&[as_object_key], &stored_object()), Err(ObjectError::Decryption));
}

fn header_len_of(object: &[u8]) -> usize {
    HEADER_FIXED_LEN + usize::from(*object.get(9).unwrap())
}
