//! Object decryption (`docs/protocol.md` section 7.4) past the key commitment, so chunks are opened.
//!
//! Input: `mode u8`, then
//! - *raw* (mode even): `object key name (u8 length, bytes)`, then the object's bytes, decrypted
//!   under the per-object keys of that name from the object vectors' master key, whole and in
//!   pieces of `mode / 2 + 1` bytes;
//! - *seal* (mode odd): `chunk u8`, `damage u8`, `position u16`, then a plaintext, sealed with a
//!   chunk size of `16 + chunk % 64`, damaged (truncated, a bit flipped, a chunk dropped,
//!   duplicated or swapped, a byte appended, or opened under another name) and decrypted.
//!
//! Seeds: every object and write-key vector in raw form (valid headers and tags, so mutations
//! start inside the chunks), and seal inputs. Oracles: nothing panics; whole and streamed
//! decryption agree, error included; an accepted object is exactly the seal of its plaintext
//! under its header's salt and chunk size (no malleability); a sealed object opens to its
//! plaintext, and any change to it, or the wrong name, makes it fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3gk_fuzz::Bytes;
use s3gk_protocol::object::{self, Decryptor, ObjectHeader, ObjectKeyMaterial, SoftAead, HEADER_FIXED_LEN, TAG_LEN};
use s3gk_protocol::ObjectError;

fn streamed(keys: &[ObjectKeyMaterial], bytes: &[u8], piece: usize) -> Result<Vec<u8>, ObjectError> {
    let mut decryptor = Decryptor::<SoftAead>::new(keys);
    let mut out = Vec::new();
    for part in bytes.chunks(piece) {
        decryptor.push(part, &mut out)?;
    }
    decryptor.finish(&mut out)?;
    Ok(out)
}

fn raw(mode: u8, mut b: Bytes<'_>) {
    let name = String::from_utf8_lossy(b.short()).into_owned();
    let bytes = b.rest();
    let keys = s3gk_fuzz::object_keys(&name);
    let whole = object::decrypt(&keys, bytes);
    assert_eq!(whole, streamed(&keys, bytes, usize::from(mode / 2) + 1), "the result depends on the slicing");
    let Ok(plaintext) = whole else { return };
    let id_len = usize::from(*bytes.get(9).expect("an accepted object has a header"));
    let header = ObjectHeader::decode(bytes.get(..HEADER_FIXED_LEN + id_len).expect("header"))
        .expect("an accepted object has a valid header");
    let key = keys.iter().find(|k| k.master_key_id() == header.master_key_id()).expect("a key opened it");
    let again = object::encrypt(key.write_key(*header.salt()), header.chunk_size(), &plaintext)
        .expect("what decrypted can be sealed again");
    assert_eq!(again, bytes, "an object other than the seal of its plaintext was accepted");
}

fn seal(mut b: Bytes<'_>) {
    let (chunk, damage, position) = (b.u8(), b.u8(), usize::from(b.u16()));
    let plaintext = b.rest();
    let chunk_size = 16 + u32::from(chunk % 64);
    let name = "tickets/4711/fuzz.bin";
    let keys = s3gk_fuzz::object_keys(name);
    let sealed = object::encrypt(keys[0].write_key([chunk; 32]), chunk_size, plaintext).expect("small objects seal");
    let header_len = HEADER_FIXED_LEN + "mk-1".len();
    let step = chunk_size as usize + TAG_LEN;
    let chunks: Vec<&[u8]> = sealed[header_len..].chunks(step).collect();
    let i = position % chunks.len();
    let rebuilt = |order: &[usize]| {
        let mut out = sealed[..header_len].to_vec();
        order.iter().for_each(|&j| out.extend_from_slice(chunks[j]));
        out
    };
    let all: Vec<usize> = (0..chunks.len()).collect();
    let mut open_as = name.to_owned();
    let damaged = match damage % 8 {
        1 => sealed[..position % sealed.len()].to_vec(),
        2 => {
            let mut d = sealed.clone();
            let bit = position % (d.len() * 8);
            d[bit / 8] ^= 1 << (bit % 8);
            d
        }
        3 => rebuilt(&all.iter().copied().filter(|&j| j != i).collect::<Vec<_>>()),
        4 => rebuilt(&all.iter().flat_map(|&j| if j == i { vec![j, j] } else { vec![j] }).collect::<Vec<_>>()),
        5 => {
            let mut order = all.clone();
            order.swap(i, (i + 1) % chunks.len());
            rebuilt(&order)
        }
        6 => [sealed.as_slice(), &[damage]].concat(),
        7 => {
            open_as.push('x');
            sealed.clone()
        }
        _ => sealed.clone(),
    };
    let opened = object::decrypt(&s3gk_fuzz::object_keys(&open_as), &damaged);
    if damaged == sealed && open_as == name {
        assert_eq!(opened.as_deref(), Ok(plaintext), "a sealed object did not open to its plaintext");
    } else {
        assert!(opened.is_err(), "a damaged object or the wrong key was accepted (damage {})", damage % 8);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let mode = b.u8();
    if mode.is_multiple_of(2) {
        raw(mode, b);
    } else {
        seal(b);
    }
});
