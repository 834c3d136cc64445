//! Property tests: arbitrary plaintexts cut into arbitrary `push` slices round-trip, produce the
//! same bytes as the one-shot helpers, and never make a framer hold more than one chunk plus the
//! header; arbitrary bytes and damaged objects never panic and never decrypt. Tests only.

use proptest::collection::vec;
use proptest::prelude::*;

use super::tests::{header_len, kobj, ID};
use super::*;
use crate::keys::KeyId;

/// Cuts `data` at the given sizes (0 means an empty push), then one slice with the rest.
fn slices<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &cut in cuts {
        let (piece, tail) = rest.split_at(cut.min(rest.len()));
        out.push(piece);
        rest = tail;
    }
    out.push(rest);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_with_any_slicing(
        pt in vec(any::<u8>(), 0..400),
        cs in 16u32..64,
        enc_cuts in vec(0usize..80, 0..12),
        dec_cuts in vec(0usize..80, 0..12),
        salt in any::<[u8; 32]>(),
    ) {
        let k = kobj();
        let chunk_len = cs as usize + TAG_LEN;
        let mut e = Encryptor::<SoftAead>::new(k.write_key(salt), cs).unwrap();
        let mut ct = Vec::new();
        for piece in slices(&pt, &enc_cuts) {
            e.push(piece, &mut ct).unwrap();
            prop_assert!(e.framer().buffered() <= chunk_len + 1);
        }
        e.finish(&mut ct).unwrap();
        prop_assert_eq!(&ct, &encrypt(k.write_key(salt), cs, &pt).unwrap());
        let id = KeyId::new(ID).unwrap();
        prop_assert_eq!(Some(ct.len() as u64), ciphertext_len(pt.len() as u64, cs, &id));

        let mut d = Decryptor::<SoftAead>::new(&[k]);
        let mut out = Vec::new();
        for piece in slices(&ct, &dec_cuts) {
            d.push(piece, &mut out).unwrap();
            prop_assert!(d.buffered() <= header_len().max(chunk_len));
            prop_assert!(out.len() <= pt.len());
        }
        d.finish(&mut out).unwrap();
        prop_assert_eq!(out, pt);
    }

    #[test]
    fn damaged_objects_never_decrypt(
        pt in vec(any::<u8>(), 0..200),
        cs in 16u32..40,
        damage in 0u8..3,
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in vec(any::<u8>(), 1..40),
        cuts in vec(0usize..60, 0..8),
    ) {
        let mut ct = encrypt(kobj().write_key([3; 32]), cs, &pt).unwrap();
        match damage {
            0 => { let i = at.index(ct.len()); ct[i] ^= 1 << bit; }
            1 => ct.truncate(at.index(ct.len())),
            _ => ct.extend_from_slice(&extra),
        }
        let mut d = Decryptor::<SoftAead>::new(&[kobj()]);
        let mut out = Vec::new();
        let mut result = Ok(());
        for piece in slices(&ct, &cuts) {
            result = result.and_then(|()| d.push(piece, &mut out));
        }
        let result = result.and_then(|()| d.finish(&mut out));
        prop_assert!(result.is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in vec(any::<u8>(), 0..400),
        with_header in any::<bool>(),
        cuts in vec(0usize..60, 0..8),
    ) {
        let mut bytes = Vec::new();
        if with_header {
            bytes.extend_from_slice(SealFramer::new(kobj().write_key([1; 32]), 16).unwrap().header_bytes());
        }
        bytes.extend_from_slice(&body);
        let _ = ObjectHeader::decode(&bytes);
        prop_assert!(decrypt(&[kobj()], &bytes).is_err());
        let mut framer = OpenFramer::new(&[kobj()]);
        for piece in slices(&bytes, &cuts) {
            let mut rest = piece;
            while let Ok((n, step)) = framer.push(rest) {
                rest = &rest[n..];
                if matches!(step, OpenStep::NeedInput) {
                    break;
                }
            }
            let bound = if with_header { header_len().max(16 + TAG_LEN) } else { MAX_HEADER_LEN };
            prop_assert!(framer.buffered() <= bound);
        }
        let _ = framer.finish();
    }
}
