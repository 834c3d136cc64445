//! The decrypting framer (`OpenFramer`) driven the way `src/web/decrypt.rs` drives it with
//! WebCrypto, and the sealing framer (`SealFramer`) the way `src/web/encrypt.rs` does, with the
//! input cut at arbitrary points.
//!
//! Input: `object key name (u8 length, bytes)`, `n u8`, `n % 17` piece lengths (`u8` each; 0 is an
//! empty push), then the object's bytes. The object is fed to a framer once whole and once in
//! pieces of those lengths, in turn; each chunk it hands out is opened with `SoftAead`. The same
//! bytes, as a plaintext, are sealed by a `SealFramer` in the same pieces.
//!
//! Seeds: every object and write-key vector (valid headers, so chunks are handed out), with a few
//! piece patterns. Oracles: nothing panics; the framer's output (header, every chunk with its
//! counter, nonce, flag and bytes, whether it opened, the error that ended it) does not depend on
//! where the input was cut; `NeedInput` means every byte was taken; a framer that failed stays
//! failed; the plaintext equals the synchronous `Decryptor`'s; sealing in pieces gives exactly
//! `object::encrypt`'s bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3gk_fuzz::Bytes;
use s3gk_protocol::object::{self, ObjectKeyMaterial, OpenFramer, OpenStep, SealFramer, SoftAead};
use s3gk_protocol::ObjectError;

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Header { key_id: String, salt: [u8; 32], chunk_size: u32 },
    Chunk { counter: u32, last: bool, nonce: [u8; 12], sealed: Vec<u8>, opened: Result<Vec<u8>, ObjectError> },
    Failed(ObjectError),
}

/// Runs the framer over `bytes` cut into `pieces` (cycled), as the browser decryptor does.
fn open(keys: &[ObjectKeyMaterial], bytes: &[u8], pieces: &[usize]) -> Vec<Event> {
    let mut framer = OpenFramer::new(keys);
    let mut aead: Option<SoftAead> = None;
    let mut events = Vec::new();
    let mut rest = bytes;
    for &len in pieces.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (mut input, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        loop {
            let (taken, step) = match framer.push(input) {
                Ok(step) => step,
                Err(e) => return failed(framer, events, e),
            };
            input = input.get(taken..).expect("the framer takes at most what it is given");
            match step {
                OpenStep::NeedInput => {
                    assert!(input.is_empty(), "NeedInput with bytes left untaken");
                    break;
                }
                OpenStep::Header { header, data_key } => {
                    let key_id = header.master_key_id().to_string();
                    events.push(Event::Header { key_id, salt: *header.salt(), chunk_size: header.chunk_size() });
                    aead = Some(SoftAead::new(data_key));
                }
                OpenStep::Chunk(chunk) => {
                    let (counter, last, nonce, sealed) =
                        (chunk.counter(), chunk.is_last(), *chunk.nonce(), chunk.ciphertext().to_vec());
                    let opened = chunk.open(aead.as_ref().expect("a header came first")).map(<[u8]>::to_vec);
                    let ok = opened.is_ok();
                    events.push(Event::Chunk { counter, last, nonce, sealed, opened });
                    if !ok {
                        return events;
                    }
                }
            }
        }
    }
    match framer.finish() {
        Err(e) => failed(framer, events, e),
        Ok(chunk) => {
            let (counter, last, nonce, sealed) =
                (chunk.counter(), chunk.is_last(), *chunk.nonce(), chunk.ciphertext().to_vec());
            let opened = chunk.open(aead.as_ref().expect("a header came first")).map(<[u8]>::to_vec);
            events.push(Event::Chunk { counter, last, nonce, sealed, opened });
            events
        }
    }
}

/// Records the error that ended the stream and checks that the framer stays failed.
fn failed(mut framer: OpenFramer, mut events: Vec<Event>, e: ObjectError) -> Vec<Event> {
    assert!(framer.push(&[0]).is_err(), "a failed framer took more input");
    assert!(framer.finish().is_err(), "a failed framer finished");
    events.push(Event::Failed(e));
    events
}

/// Seals `plaintext` fed in `pieces` (cycled), as the browser encryptor does.
fn seal(keys: &[ObjectKeyMaterial], plaintext: &[u8], pieces: &[usize], chunk_size: u32) -> Vec<u8> {
    let write_key = keys[0].write_key([7; 32]);
    let mut framer = SealFramer::new(write_key, chunk_size).expect("a valid chunk size");
    let aead = SoftAead::new(framer.data_key());
    let mut out = framer.header_bytes().to_vec();
    let mut rest = plaintext;
    for &len in pieces.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (mut input, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        while !input.is_empty() {
            let (taken, chunk) = framer.push(input).expect("small objects seal");
            input = input.get(taken..).expect("the framer takes at most what it is given");
            match chunk {
                Some(chunk) => out.extend_from_slice(chunk.seal(&aead)),
                None => assert!(input.is_empty(), "no chunk, yet bytes left untaken"),
            }
        }
    }
    out.extend_from_slice(framer.finish().expect("finish once").seal(&aead));
    out
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let name = String::from_utf8_lossy(b.short()).into_owned();
    let n = usize::from(b.u8() % 17);
    let mut pieces: Vec<usize> = b.take(n).iter().map(|&p| usize::from(p)).collect();
    if pieces.iter().all(|&p| p == 0) {
        pieces.push(1);
    }
    let bytes = b.rest();
    let keys = s3gk_fuzz::object_keys(&name);

    let whole = open(&keys, bytes, &[bytes.len().max(1)]);
    let cut = open(&keys, bytes, &pieces);
    assert_eq!(whole, cut, "the framer's output depends on where the input was cut");
    let plaintext: Result<Vec<u8>, ObjectError> = whole.iter().try_fold(Vec::new(), |mut acc, e| match e {
        Event::Header { .. } => Ok(acc),
        Event::Chunk { opened, .. } => opened.clone().map(|p| {
            acc.extend_from_slice(&p);
            acc
        }),
        Event::Failed(e) => Err(*e),
    });
    assert_eq!(object::decrypt(&keys, bytes), plaintext, "the framer and the Decryptor disagree");

    let chunk_size = 16 + u32::from(pieces[0] as u8 % 64);
    let expected = object::encrypt(keys[0].write_key([7; 32]), chunk_size, bytes).expect("small objects seal");
    assert_eq!(seal(&keys, bytes, &pieces, chunk_size), expected, "sealing depends on where the input was cut");
});
