//! Vectors for the encrypted object format (`docs/protocol.md`, section 7).

use s3gk_protocol::object::{self, MasterKey, ObjectHeader, ObjectKeyMaterial, OpenFramer, OpenStep, TAG_LEN};
use s3gk_protocol::{KeyId, ObjectKey};

use crate::vector::Vector;
use crate::{expect, seed};

const BUCKET: &str = "acme-support-data";
const KEY: &str = "tickets/4711/system-info.txt";
const CHUNK: u32 = 32;

/// A master key and the seed label it was made from (so the vector can print its bytes).
struct Master {
    label: &'static str,
    key: MasterKey,
}

fn master(label: &'static str, id: &str) -> Master {
    Master { label, key: MasterKey::from_bytes(KeyId::new(id).unwrap(), seed(label)) }
}

fn plaintext(len: usize) -> Vec<u8> {
    let text = b"The quick brown fox jumps over the lazy dog; ";
    text.iter().copied().cycle().take(len).collect()
}

fn seal(len: usize) -> Vec<u8> {
    let k = master("master", "mk-1").key.object_key(BUCKET, &ObjectKey::parse(KEY).unwrap());
    object::encrypt(k.write_key(seed(&format!("salt {len}"))), CHUNK, &plaintext(len)).unwrap()
}

/// The header and data key of a well-formed object, for implementers to compare against.
fn header_and_data_key(k: &ObjectKeyMaterial, ct: &[u8]) -> (ObjectHeader, [u8; 32]) {
    let mut framer = OpenFramer::new(std::slice::from_ref(k));
    let mut rest = ct;
    loop {
        let (used, step) = framer.push(rest).unwrap();
        rest = &rest[used..];
        if let OpenStep::Header { header, data_key } = step {
            return (header.clone(), *data_key.as_bytes());
        }
        assert!(!rest.is_empty(), "no header in a sealed object");
    }
}

struct Case<'a> {
    name: &'a str,
    intended: &'a str,
    comment: &'a str,
    master: Master,
    bucket: &'a str,
    key: &'a str,
    ciphertext: Vec<u8>,
}

fn case(c: Case<'_>) -> Result<Vector, String> {
    let k =
        c.master.key.object_key(c.bucket, &ObjectKey::parse(c.key).map_err(|e| format!("{}: {}", c.name, e.code()))?);
    let result = object::decrypt(std::slice::from_ref(&k), &c.ciphertext);
    let actual = result.as_ref().map_or_else(|e| e.code(), |_| "ok");
    expect(c.name, c.intended, actual)?;
    let mut v = Vector::new("object", c.name, c.intended, c.comment)
        .hex("master_key", seed(c.master.label))
        .field("master_key_id", c.master.key.id())
        .field("bucket", c.bucket)
        .hex("object_key", c.key.as_bytes())
        .hex("ciphertext", &c.ciphertext);
    if let Ok(plain) = result {
        let (header, data_key) = header_and_data_key(&k, &c.ciphertext);
        v = v
            .hex("object_key_material", k.as_bytes())
            .hex("salt", header.salt())
            .field("chunk_size", header.chunk_size())
            .hex("data_key", data_key)
            .hex("commitment", header.commitment())
            .hex("plaintext", plain);
    }
    Ok(v)
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    let mk = || master("master", "mk-1");
    let chunk = usize::try_from(CHUNK).unwrap() + TAG_LEN;
    let header_len = object::HEADER_FIXED_LEN + "mk-1".len();
    let ok = |name: &'static str, comment: &'static str, len: usize| Case {
        name,
        intended: "ok",
        comment,
        master: mk(),
        bucket: BUCKET,
        key: KEY,
        ciphertext: seal(len),
    };
    let bad = |name: &'static str, intended: &'static str, comment: &'static str, ciphertext: Vec<u8>| Case {
        name,
        intended,
        comment,
        master: mk(),
        bucket: BUCKET,
        key: KEY,
        ciphertext,
    };

    let three = seal(3 * 32 + 10); // chunks: 32, 32, 32, 10
    let body = |i: usize| &three[header_len + i * chunk..(header_len + (i + 1) * chunk).min(three.len())];
    let truncated = three[..three.len() - 1].to_vec();
    let missing_final = three[..header_len + 3 * chunk].to_vec();
    let reordered = [&three[..header_len], body(1), body(0), body(2), body(3)].concat();
    let extended = [three.as_slice(), body(3)].concat();
    let mut flipped_body = three.clone();
    flipped_body[header_len + 5] ^= 0x01;
    let mut flipped_tag = three.clone();
    *flipped_tag.last_mut().unwrap() ^= 0x80;
    let mut flipped_header = three.clone();
    flipped_header[20] ^= 0x01; // inside the salt
    let mut bad_magic = three.clone();
    bad_magic[0] = b'S';
    // A full chunk count whose final chunk is full, but sealed with the non-final flag: that is
    // what cutting an object at a chunk boundary leaves.
    let two_full = seal(64);
    let cut_at_boundary = seal(96)[..header_len + 2 * chunk].to_vec();
    let only_header = two_full[..header_len].to_vec();

    Ok(vec![
        case(ok("ok-empty", "empty plaintext: one empty final chunk", 0))?,
        case(ok("ok-1-byte", "one byte", 1))?,
        case(ok("ok-one-chunk", "exactly one chunk", 32))?,
        case(ok("ok-one-chunk-plus-1", "one full chunk and a 1-byte final chunk", 33))?,
        case(ok("ok-two-full-chunks", "a multiple of the chunk size ends with a full final chunk", 64))?,
        case(ok("ok-several-chunks", "three full chunks and a partial one", 3 * 32 + 10))?,
        case(bad("truncated", "decryption_failed", "the last byte removed", truncated))?,
        case(bad(
            "truncated-at-chunk-boundary",
            "decryption_failed",
            "a 3-chunk object cut after chunk 2",
            cut_at_boundary,
        ))?,
        case(bad("missing-final-chunk", "decryption_failed", "the partial final chunk removed", missing_final))?,
        case(bad("header-only", "decryption_failed", "the header and no chunk", only_header))?,
        case(bad("reordered", "decryption_failed", "chunks 0 and 1 swapped", reordered))?,
        case(bad("extended", "decryption_failed", "the final chunk appended again", extended))?,
        case(bad("flipped-body-bit", "decryption_failed", "one ciphertext bit flipped", flipped_body))?,
        case(bad("flipped-tag-bit", "decryption_failed", "one bit of the last tag flipped", flipped_tag))?,
        case(bad(
            "flipped-header-bit",
            "decryption_failed",
            "one salt bit flipped: the commitment fails",
            flipped_header,
        ))?,
        case(bad("bad-magic", "unsupported_object_format", "not this format", bad_magic))?,
        case(Case {
            master: master("other master", "mk-1"),
            ..bad("wrong-master-key", "decryption_failed", "the right id with other key bytes", three.clone())
        })?,
        case(Case {
            master: master("other master", "mk-2"),
            ..bad("unknown-master-key-id", "unknown_master_key", "no key material for mk-1", three.clone())
        })?,
        case(Case {
            key: "tickets/4712/system-info.txt",
            ..bad("moved-to-other-key", "decryption_failed", "the object copied to another key", three.clone())
        })?,
        case(Case {
            bucket: "other-bucket",
            ..bad("moved-to-other-bucket", "decryption_failed", "the object copied to another bucket", three)
        })?,
    ])
}
