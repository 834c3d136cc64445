//! Vectors for decoding access requests (`docs/protocol.md`, section 3).

use s3gk_protocol::request::{AccessRequest, Operation, MAX_CONTENT_LENGTH, MAX_WIRE_KEY_LEN, REQUEST_DOMAIN};

use crate::vector::Vector;
use crate::{expect, seed};

/// A request with fixed, recognisable fields.
pub(crate) fn base(operation: Operation, key: &str) -> AccessRequest {
    let nonce: [u8; 16] = seed("nonce")[..16].try_into().unwrap();
    let session = ed25519_dalek::SigningKey::from_bytes(&seed("session"));
    AccessRequest {
        gatekeeper_id: "acme-gk.example:eu-1".into(),
        operation,
        key: key.into(),
        issued_at: 1_800_000_000,
        expires_at: 1_800_000_120,
        nonce,
        session_key: session.verifying_key().to_bytes(),
    }
}

fn outcome(bytes: &[u8]) -> (String, Option<AccessRequest>, String) {
    match AccessRequest::decode(bytes) {
        Ok(r) => ("ok".into(), Some(r), String::new()),
        Err(e) => (e.code().into(), None, e.field().name().into()),
    }
}

fn case(name: &str, intended: &str, field: &str, comment: &str, bytes: &[u8]) -> Result<Vector, String> {
    let (code, req, actual_field) = outcome(bytes);
    expect(name, intended, &code)?;
    let mut v = Vector::new("request", name, intended, comment).hex("request", bytes);
    match req {
        Some(r) => {
            let op = r.operation.kind().name();
            v = v
                .field("operation", op)
                .field("gatekeeper_id", &r.gatekeeper_id)
                .hex("key", r.key.as_bytes())
                .field("issued_at", r.issued_at)
                .field("expires_at", r.expires_at)
                .hex("nonce", r.nonce)
                .hex("session_key", r.session_key);
            if let Operation::Put { content_length, sha256, ref content_type } = r.operation {
                v = v.field("content_length", content_length);
                v = match sha256 {
                    Some(d) => v.hex("sha256", d),
                    None => v.field("sha256", "none"),
                };
                v = v.field("content_type", content_type.as_deref().unwrap_or("none"));
            }
            if r.encode().unwrap() != bytes {
                return Err(format!("vector {name}: re-encoding differs"));
            }
        }
        None => {
            expect(name, field, &actual_field)?;
            v = v.field("field", field);
        }
    }
    Ok(v)
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    let get = base(Operation::Get, "tickets/4711/screenshot-1.png").encode().unwrap();
    let put_sha = base(
        Operation::Put { content_length: 123_456, sha256: Some(seed("digest")), content_type: None },
        "tickets/4711/log.txt",
    )
    .encode()
    .unwrap();
    let put_plain = base(Operation::Put { content_length: 0, sha256: None, content_type: None }, "tickets/4711/empty")
        .encode()
        .unwrap();
    let list = base(Operation::ListPrefix, "tickets/4711/").encode().unwrap();
    let unicode = base(Operation::Get, "tickets/ünïcödé/日本 語.txt").encode().unwrap();
    let max_put = base(Operation::Put { content_length: MAX_CONTENT_LENGTH, sha256: None, content_type: None }, "t/x")
        .encode()
        .unwrap();
    let empty_key = base(Operation::Get, "").encode().unwrap();
    let typed = base(
        Operation::Put { content_length: 2048, sha256: None, content_type: Some("image/png".into()) },
        "tickets/4711/screenshot-2.png",
    )
    .encode()
    .unwrap();
    // Replace the 9-byte "image/png" with another 9-byte type the syntax refuses.
    let retyped = |ct: &[u8; 9]| {
        let mut b = typed.clone();
        let at = b.len() - 9;
        b[at..].copy_from_slice(ct);
        b
    };

    let version_at = 2 + REQUEST_DOMAIN.len();
    let with = |src: &[u8], at: usize, byte: u8| {
        let mut b = src.to_vec();
        b[at] = byte;
        b
    };
    let mut trailing = get.clone();
    trailing.push(0);
    let mut bad_utf8 = base(Operation::Get, "tickets/x").encode().unwrap();
    let key_start = bad_utf8.len() - (8 + 8 + 16 + 32) - "tickets/x".len();
    bad_utf8[key_start + 8] = 0xff;
    let too_big = {
        let mut b = max_put.clone();
        let at = b.len() - 10;
        b[at..at + 8].copy_from_slice(&(MAX_CONTENT_LENGTH + 1).to_be_bytes());
        b
    };
    let long_key = {
        let mut r = base(Operation::Get, "k");
        r.key = "k".repeat(MAX_WIRE_KEY_LEN);
        let mut b = r.encode().unwrap();
        // Claim one more byte than the wire limit allows.
        let at = 2 + REQUEST_DOMAIN.len() + 2 + 2 + r.gatekeeper_id.len();
        b[at..at + 2].copy_from_slice(&u16::try_from(MAX_WIRE_KEY_LEN + 1).unwrap().to_be_bytes());
        b.push(b'k');
        b
    };
    let gk_at = 2 + REQUEST_DOMAIN.len() + 2;
    let mut empty_gk = get[..gk_at].to_vec();
    empty_gk.extend_from_slice(&[0, 0]);
    empty_gk.extend_from_slice(&get[gk_at + 2 + "acme-gk.example:eu-1".len()..]);

    Ok(vec![
        case("ok-get", "ok", "", "a get request", &get)?,
        case("ok-put-sha256", "ok", "", "a put with the ciphertext's length and SHA-256", &put_sha)?,
        case("ok-put-no-sha256", "ok", "", "a put with only a length", &put_plain)?,
        case("ok-put-max-length", "ok", "", "a put of exactly 5 GiB", &max_put)?,
        case("ok-list-prefix", "ok", "", "a prefix read", &list)?,
        case("ok-unicode-key", "ok", "", "a key with non-ASCII UTF-8", &unicode)?,
        case("ok-empty-key", "ok", "", "an empty key decodes; the key policy refuses it", &empty_key)?,
        case("empty-input", "malformed_request", "domain", "no bytes at all", &[])?,
        case("wrong-domain", "malformed_request", "domain", "a label byte changed", &with(&get, 5, b'X'))?,
        case(
            "version-2",
            "unsupported_version",
            "version",
            "a version this spec does not define",
            &with(&get, version_at, 2),
        )?,
        case("operation-0", "malformed_request", "operation", "operation code 0", &with(&get, version_at + 1, 0))?,
        case("operation-4", "malformed_request", "operation", "operation code 4", &with(&get, version_at + 1, 4))?,
        case("empty-gatekeeper-id", "malformed_request", "gatekeeper_id", "a zero-length gatekeeper id", &empty_gk)?,
        case(
            "gatekeeper-id-space",
            "malformed_request",
            "gatekeeper_id",
            "a space in the gatekeeper id",
            &with(&get, gk_at + 2, b' '),
        )?,
        case("key-not-utf8", "malformed_request", "key", "the key is not UTF-8", &bad_utf8)?,
        case(
            "key-over-wire-limit",
            "malformed_request",
            "key",
            "a key length of 4097, over the wire limit of 4096",
            &long_key,
        )?,
        case(
            "truncated-in-session-key",
            "malformed_request",
            "session_key",
            "cut inside the session key",
            &get[..get.len() - 1],
        )?,
        case("truncated-in-nonce", "malformed_request", "nonce", "cut inside the nonce", &get[..get.len() - 40])?,
        case(
            "truncated-before-sha256",
            "malformed_request",
            "sha256",
            "has_sha256 is 1 but no digest follows",
            &put_sha[..put_sha.len() - 33],
        )?,
        case(
            "has-sha256-is-2",
            "malformed_request",
            "has_sha256",
            "a flag other than 0 or 1",
            &with(&put_sha, put_sha.len() - 34, 2),
        )?,
        case(
            "content-length-over-5gib",
            "malformed_request",
            "content_length",
            "one byte more than S3 takes in one PUT",
            &too_big,
        )?,
        case("ok-put-content-type", "ok", "", "a put that declares the plaintext's media type", &typed)?,
        case(
            "content-type-upper-case",
            "malformed_request",
            "content_type",
            "media types are lower case",
            &retyped(b"Image/PNG"),
        )?,
        case("content-type-parameters", "malformed_request", "content_type", "no parameters", &retyped(b"t/p;q=1.0"))?,
        case("content-type-no-slash", "malformed_request", "content_type", "type and subtype", &retyped(b"image-png"))?,
        case(
            "has-content-type-is-2",
            "malformed_request",
            "has_content_type",
            "a flag other than 0 or 1",
            &with(&put_plain, put_plain.len() - 1, 2),
        )?,
        case("trailing-byte", "malformed_request", "end", "one byte after the last field", &trailing)?,
        case(
            "get-with-put-fields",
            "malformed_request",
            "end",
            "put fields after a get request",
            &[get.as_slice(), &put_sha[put_sha.len() - 42..]].concat(),
        )?,
    ])
}
