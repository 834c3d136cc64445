//! The decryptor never panics on any input, sliced any way, and never returns plaintext for bytes
//! it did not encrypt. The first byte chooses the slice size, the rest is the "object".
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3gk_protocol::object::{self, Decryptor, MasterKey, SoftAead};
use s3gk_protocol::{KeyId, ObjectKey};

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else { return };
    let key = MasterKey::from_bytes(KeyId::new("mk-1").expect("valid id"), [7; 32])
        .object_key("b", &ObjectKey::parse("k").expect("valid key"));

    // Arbitrary bytes: must fail cleanly (forging a tag is out of reach).
    let mut decryptor = Decryptor::<SoftAead>::new(std::slice::from_ref(&key));
    let mut out = Vec::new();
    let mut ok = true;
    for piece in body.chunks(usize::from(step).max(1)) {
        if decryptor.push(piece, &mut out).is_err() {
            ok = false;
            break;
        }
    }
    if ok {
        assert!(decryptor.finish(&mut out).is_err(), "forged object accepted");
    }

    // The same bytes as plaintext: must round-trip however the ciphertext is sliced.
    let sealed =
        object::encrypt(key.write_key([1; 32]), 16 + u32::from(step % 64), body).expect("small objects encrypt");
    let mut decryptor = Decryptor::<SoftAead>::new(std::slice::from_ref(&key));
    let mut plain = Vec::new();
    for piece in sealed.chunks(usize::from(step).max(1)) {
        decryptor.push(piece, &mut plain).expect("own ciphertext decrypts");
    }
    decryptor.finish(&mut plain).expect("own ciphertext is complete");
    assert_eq!(plain, body);
});
