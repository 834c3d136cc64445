//! Whole-object tests: round trips, every way an object can be damaged, the chunk limit, and a
//! reference decryptor written from the specification alone (raw HKDF and AES-GCM, hand-built
//! nonces) that must agree with the implementation. Tests only; nothing here ships.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use super::*;
use crate::keys::KeyId;
use crate::policy::object_key::ObjectKey;

pub(super) const SALT: [u8; 32] = [0x5a; 32];
pub(super) const ID: &str = "master-1";

pub(super) fn master() -> MasterKey {
    MasterKey::from_bytes(KeyId::new(ID).unwrap(), [0x11; 32])
}

/// A checked object key.
pub(super) fn name(key: &str) -> ObjectKey {
    ObjectKey::parse(key).unwrap()
}

pub(super) fn kobj() -> ObjectKeyMaterial {
    master().object_key("bucket", &name("reports/q1.pdf"))
}

pub(super) fn header_len() -> usize {
    HEADER_FIXED_LEN + ID.len()
}

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

fn enc(pt: &[u8], cs: u32) -> Vec<u8> {
    encrypt(kobj().write_key(SALT), cs, pt).unwrap()
}

fn dec(ct: &[u8]) -> Result<Vec<u8>, ObjectError> {
    decrypt(&[kobj()], ct)
}

/// Splits an object into header and chunks (the last one possibly short).
fn split(ct: &[u8], cs: u32) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (h, body) = ct.split_at(header_len());
    (h.to_vec(), body.chunks(cs as usize + TAG_LEN).map(<[u8]>::to_vec).collect())
}

fn join(h: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = h.to_vec();
    chunks.iter().for_each(|c| out.extend_from_slice(c));
    out
}

/// Seals one chunk by hand, as an attacker holding the data key could.
fn seal_chunk(cs: u32, counter: u32, last: bool, pt: &[u8]) -> Vec<u8> {
    let framer = SealFramer::new(kobj().write_key(SALT), cs).unwrap();
    let mut buf = pt.to_vec();
    SoftAead::new(framer.data_key()).seal(&chunk_nonce(counter, last), &mut buf);
    buf
}

fn ref_pae(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = (parts.len() as u32).to_be_bytes().to_vec();
    for p in parts {
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// A decryptor written from `docs/protocol.md` alone, for objects known to be well formed.
fn reference_decrypt(k_obj: &[u8; 32], ct: &[u8]) -> Vec<u8> {
    assert_eq!(&ct[..8], b"s3gk-obj");
    assert_eq!(ct[8], 1);
    let id_len = ct[9] as usize;
    let salt = &ct[10 + id_len..42 + id_len];
    let cs = u32::from_be_bytes(ct[42 + id_len..46 + id_len].try_into().unwrap()) as usize;
    let (prefix, rest) = ct.split_at(46 + id_len);
    let (commitment, body) = rest.split_at(32);
    let prk = Hkdf::<Sha256>::new(Some(salt), k_obj);
    let mut data_key = [0u8; 32];
    prk.expand(&ref_pae(&[b"s3-gatekeeper/v1 data-key", prefix]), &mut data_key).unwrap();
    let mut expected = [0u8; 32];
    prk.expand(&ref_pae(&[b"s3-gatekeeper/v1 key-commitment", prefix]), &mut expected).unwrap();
    assert_eq!(commitment, expected);
    let aes = Aes256Gcm::new_from_slice(&data_key).unwrap();
    let chunks: Vec<&[u8]> = body.chunks(cs + 16).collect();
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut nonce = [0u8; 12];
        nonce[3..11].copy_from_slice(&(i as u64).to_be_bytes());
        nonce[11] = u8::from(i + 1 == chunks.len());
        out.extend(aes.decrypt(Nonce::from_slice(&nonce), *chunk).unwrap());
    }
    out
}

#[test]
fn round_trips() {
    for cs in [16u32, 17, 64] {
        let c = cs as usize;
        for n in [0, 1, c - 1, c, c + 1, 2 * c, 3 * c + 5, 4 * c] {
            let pt = plaintext(n);
            let ct = enc(&pt, cs);
            assert_eq!(ct.len() as u64, ciphertext_len(n as u64, cs, &KeyId::new(ID).unwrap()).unwrap());
            assert_eq!(dec(&ct).unwrap(), pt, "n = {n}, cs = {cs}");
            assert_eq!(reference_decrypt(kobj().as_bytes(), &ct), pt, "n = {n}, cs = {cs}");
        }
    }
    for n in [0usize, 1, 65_536, 65_537, 200_000] {
        let pt = plaintext(n);
        let ct = enc(&pt, DEFAULT_CHUNK_SIZE);
        assert_eq!(dec(&ct).unwrap(), pt);
        assert_eq!(reference_decrypt(kobj().as_bytes(), &ct), pt);
    }
}

#[test]
fn chunk_counts_follow_the_rules() {
    // Empty: one empty final chunk. A multiple of the chunk size: a full final chunk.
    let body_len = |n: usize| enc(&plaintext(n), 16).len() - header_len();
    assert_eq!(body_len(0), 16);
    assert_eq!(body_len(1), 17);
    assert_eq!(body_len(16), 32);
    assert_eq!(body_len(17), 32 + 17);
    assert_eq!(body_len(48), 3 * 32);
}

#[test]
fn nonces_are_counter_then_last_flag() {
    assert_eq!(chunk_nonce(0, false), [0; 12]);
    assert_eq!(chunk_nonce(0x0102_0304, true), [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 1]);
    let pt = plaintext(20);
    let (_, chunks) = split(&enc(&pt, 16), 16);
    assert_eq!(chunks.len(), 2);
    let framer = SealFramer::new(kobj().write_key(SALT), 16).unwrap();
    let aes = Aes256Gcm::new_from_slice(framer.data_key().as_bytes()).unwrap();
    let n0 = [0u8; 12];
    let n1 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    assert_eq!(aes.decrypt(Nonce::from_slice(&n0), chunks[0].as_slice()).unwrap(), &pt[..16]);
    assert_eq!(aes.decrypt(Nonce::from_slice(&n1), chunks[1].as_slice()).unwrap(), &pt[16..]);
    let n1_not_last = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    assert!(aes.decrypt(Nonce::from_slice(&n1_not_last), chunks[1].as_slice()).is_err());
}

#[test]
fn truncation_anywhere_fails() {
    // Covers a cut inside the header (even before the magic is complete), a missing final chunk
    // (cuts on chunk boundaries) and cuts inside a chunk.
    for n in [0usize, 5, 16, 40, 48] {
        let ct = enc(&plaintext(n), 16);
        for cut in 0..ct.len() {
            assert_eq!(dec(&ct[..cut]), Err(ObjectError::Decryption), "n = {n}, cut = {cut}");
        }
    }
}

#[test]
fn dropping_or_reordering_chunks_fails() {
    let (h, chunks) = split(&enc(&plaintext(4 * 16 + 5), 16), 16);
    assert_eq!(chunks.len(), 5);
    for (a, b) in [(0, 1), (1, 2), (3, 4), (0, 4)] {
        let mut c = chunks.clone();
        c.swap(a, b);
        assert_eq!(dec(&join(&h, &c)), Err(ObjectError::Decryption), "swap {a} {b}");
    }
    for drop in 0..chunks.len() {
        let mut c = chunks.clone();
        c.remove(drop);
        assert_eq!(dec(&join(&h, &c)), Err(ObjectError::Decryption), "drop {drop}");
    }
    // A full final chunk dropped leaves a valid prefix ending on a non-final chunk.
    let (h, chunks) = split(&enc(&plaintext(48), 16), 16);
    assert_eq!(dec(&join(&h, &chunks[..2])), Err(ObjectError::Decryption));
}

#[test]
fn extension_fails() {
    for n in [0usize, 5, 16, 40] {
        let ct = enc(&plaintext(n), 16);
        let (h, chunks) = split(&ct, 16);
        let last = chunks.last().unwrap().clone();
        let extensions = [vec![0u8], vec![0u8; 16], vec![0u8; 32], last, chunks[0].clone()];
        for ext in extensions {
            let mut long = ct.clone();
            long.extend_from_slice(&ext);
            assert_eq!(dec(&long), Err(ObjectError::Decryption), "n = {n}, +{}", ext.len());
        }
        // A properly sealed extra final chunk after the real one.
        let counter = chunks.len() as u32;
        let extra = join(&h, &[chunks.clone(), vec![seal_chunk(16, counter, true, b"more")]].concat());
        assert_eq!(dec(&extra), Err(ObjectError::Decryption), "n = {n}");
    }
}

#[test]
fn hand_sealed_chunks_obey_the_length_rules() {
    let (h, _) = split(&enc(b"", 16), 16);
    let full = plaintext(16);
    // Sanity: hand-sealed chunks that follow the rules decrypt.
    let good = join(&h, &[seal_chunk(16, 0, false, &full), seal_chunk(16, 1, true, b"x")]);
    assert_eq!(dec(&good).unwrap(), [&full[..], b"x"].concat());
    // An empty final chunk after a full one is refused, although its tag is valid.
    let empty_last = join(&h, &[seal_chunk(16, 0, false, &full), seal_chunk(16, 1, true, b"")]);
    assert_eq!(dec(&empty_last), Err(ObjectError::Decryption));
    // An empty non-final chunk cannot be framed: its bytes run into the next chunk.
    let empty_first = join(&h, &[seal_chunk(16, 0, false, b""), seal_chunk(16, 1, true, b"abc")]);
    assert_eq!(dec(&empty_first), Err(ObjectError::Decryption));
    // A short non-final chunk likewise.
    let short_first = join(&h, &[seal_chunk(16, 0, false, b"abc"), seal_chunk(16, 1, true, &full)]);
    assert_eq!(dec(&short_first), Err(ObjectError::Decryption));
    // A final chunk shorter than a tag.
    assert_eq!(dec(&join(&h, &[vec![0u8; 15]])), Err(ObjectError::Decryption));
    // No chunk at all.
    assert_eq!(dec(&h), Err(ObjectError::Decryption));
}

#[test]
fn every_flipped_bit_fails() {
    let ct = enc(&plaintext(40), 16);
    let hl = header_len();
    for byte in 0..ct.len() {
        for bit in 0..8 {
            let mut bad = ct.clone();
            bad[byte] ^= 1 << bit;
            let err = dec(&bad).unwrap_err();
            match byte {
                0..=8 => assert_eq!(err, ObjectError::UnsupportedFormat, "byte {byte}"),
                // The key id length and the key id may name another (unknown) key.
                9..=17 => assert!(
                    matches!(err, ObjectError::Decryption | ObjectError::UnknownMasterKey),
                    "byte {byte}: {err:?}"
                ),
                _ => assert_eq!(err, ObjectError::Decryption, "byte {byte} of {hl}-byte header"),
            }
        }
    }
}

#[test]
fn wrong_keys_fail() {
    let ct = enc(&plaintext(40), 16);
    let id = KeyId::new(ID).unwrap();
    let wrong = [
        ObjectKeyMaterial::from_bytes(id.clone(), [0; 32]),
        MasterKey::from_bytes(id.clone(), [0x12; 32]).object_key("bucket", &name("reports/q1.pdf")),
        master().object_key("bucket", &name("reports/q2.pdf")),
        master().object_key("other-bucket", &name("reports/q1.pdf")),
    ];
    for k in wrong {
        assert_eq!(decrypt(&[k], &ct), Err(ObjectError::Decryption));
    }
    let other_id = MasterKey::from_bytes(KeyId::new("master-2").unwrap(), [0x11; 32]);
    let other = other_id.object_key("bucket", &name("reports/q1.pdf"));
    assert_eq!(decrypt(core::slice::from_ref(&other), &ct), Err(ObjectError::UnknownMasterKey));
    assert_eq!(decrypt(&[], &ct), Err(ObjectError::UnknownMasterKey));
    // Key rotation: the header's id picks the right key among several.
    assert_eq!(decrypt(&[other, kobj()], &ct).unwrap(), plaintext(40));
}

#[test]
fn foreign_bytes_are_unsupported() {
    let mut ct = enc(b"hi", 16);
    assert_eq!(dec(b"PK\x03\x04 a zip file"), Err(ObjectError::UnsupportedFormat));
    assert_eq!(dec(b"s3gk-obj"), Err(ObjectError::Decryption));
    ct[8] = 2;
    assert_eq!(dec(&ct), Err(ObjectError::UnsupportedFormat));
}

#[test]
fn chunk_size_limits() {
    let id = KeyId::new(ID).unwrap();
    for bad in [0u32, 15, MAX_CHUNK_SIZE + 1] {
        assert_eq!(encrypt(kobj().write_key(SALT), bad, b"x"), Err(ObjectError::UnsupportedFormat));
        assert_eq!(ciphertext_len(1, bad, &id), None);
    }
    assert_eq!(ciphertext_len(16 << 32, 16, &id), Some(header_len() as u64 + (16 << 32) + (16 << 32)));
    assert_eq!(ciphertext_len((16 << 32) + 1, 16, &id), None);
    assert_eq!(ciphertext_len(u64::MAX, MAX_CHUNK_SIZE, &id), None);
    let ct = enc(&plaintext(MAX_CHUNK_SIZE as usize + 1), MAX_CHUNK_SIZE);
    assert_eq!(dec(&ct).unwrap().len(), MAX_CHUNK_SIZE as usize + 1);
}

#[test]
fn chunk_counter_limit() {
    // The final chunk may have counter 2^32 - 1; a non-final one may not.
    let mut seal = SealFramer::new(kobj().write_key(SALT), 16).unwrap();
    let aead = SoftAead::new(seal.data_key());
    let mut ct = seal.header_bytes().to_vec();
    seal.skip_to_counter_for_test(u32::MAX - 1);
    let pt = plaintext(20);
    let (taken, chunk) = seal.push(&pt).unwrap();
    assert_eq!(taken, 17);
    ct.extend_from_slice(chunk.unwrap().seal(&aead));
    assert!(seal.push(&pt[17..]).unwrap().1.is_none());
    let last = seal.finish().unwrap();
    assert_eq!(last.counter(), u32::MAX);
    ct.extend_from_slice(last.seal(&aead));

    let mut open = OpenFramer::new(&[kobj()]);
    let (taken, step) = open.push(&ct).unwrap();
    assert!(matches!(step, OpenStep::Header { .. }));
    open.skip_to_counter_for_test(u32::MAX - 1);
    let (n, step) = open.push(&ct[taken..]).unwrap();
    let OpenStep::Chunk(chunk) = step else { panic!("expected a chunk") };
    let mut out = chunk.open(&aead).unwrap().to_vec();
    assert!(matches!(open.push(&ct[taken + n..]).unwrap().1, OpenStep::NeedInput));
    out.extend_from_slice(open.finish().unwrap().open(&aead).unwrap());
    assert_eq!(out, pt);

    let mut seal = SealFramer::new(kobj().write_key(SALT), 16).unwrap();
    seal.skip_to_counter_for_test(u32::MAX);
    assert_eq!(seal.push(&pt).unwrap_err(), ObjectError::TooLarge);
    assert_eq!(seal.finish().unwrap_err(), ObjectError::TooLarge);

    let mut open = OpenFramer::new(&[kobj()]);
    let (taken, _) = open.push(&ct).unwrap();
    open.skip_to_counter_for_test(u32::MAX);
    assert_eq!(open.push(&ct[taken..]).unwrap_err(), ObjectError::Decryption);
}

#[test]
fn failures_are_sticky() {
    let mut ct = enc(&plaintext(40), 16);
    let hl = header_len();
    ct[hl + 3] ^= 1;
    let mut d = Decryptor::<SoftAead>::new(&[kobj()]);
    let mut out = Vec::new();
    assert_eq!(d.push(&ct[..hl + 40], &mut out), Err(ObjectError::Decryption));
    assert!(out.is_empty(), "nothing from a chunk that did not verify");
    assert_eq!(d.push(&ct[hl + 40..], &mut out), Err(ObjectError::Decryption));
    assert_eq!(d.finish(&mut out), Err(ObjectError::Decryption));
    assert!(out.is_empty());
}

#[test]
fn framer_can_be_driven_by_an_external_aead() {
    // As the browser does with WebCrypto: copy each chunk out, open it elsewhere, continue.
    let pt = plaintext(100);
    let ct = enc(&pt, 32);
    let mut framer = OpenFramer::new(&[kobj()]);
    let mut aes = None;
    let mut out = Vec::new();
    for piece in ct.chunks(7) {
        let mut rest = piece;
        loop {
            let (n, step) = framer.push(rest).unwrap();
            rest = &rest[n..];
            match step {
                OpenStep::NeedInput => break,
                OpenStep::Header { data_key, .. } => {
                    aes = Some(Aes256Gcm::new_from_slice(data_key.as_bytes()).unwrap());
                }
                OpenStep::Chunk(c) => {
                    let (nonce, sealed) = (*c.nonce(), c.ciphertext().to_vec());
                    out.extend(aes.as_ref().unwrap().decrypt(Nonce::from_slice(&nonce), &sealed[..]).unwrap());
                }
            }
        }
    }
    let last = framer.finish().unwrap();
    assert!(last.is_last());
    out.extend(aes.unwrap().decrypt(Nonce::from_slice(last.nonce()), last.ciphertext()).unwrap());
    assert_eq!(out, pt);
}
