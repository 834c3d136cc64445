//! Encodings (docs/protocol.md section 3; SECURITY.md T2): every field of the access request
//! missing, truncated, too short, too long or invalid, trailing bytes, unknown operations, bad
//! flags, huge content lengths and content types that are not `type/subtype`. Each input is signed
//! correctly by the vendor and the session key, so the decoder is the only thing that can refuse
//! it; the audit entry cannot name a nonce (nothing decoded). Requests that decode but name another
//! gatekeeper end the table.
//! No row takes its bytes from the crate's encoder: they come from `forge::Segments`.

use s3gk_protocol::Operation;

use super::forge::{b16, b16_claiming, Segments, DOMAIN};
use super::harness::{row, send, Case, Fresh, Threat::Encoding, AUDITED};

const MALFORMED: &str = "malformed_request";

fn get(f: &Fresh) -> Segments {
    Segments::of(&f.req)
}

fn list(f: &Fresh) -> Segments {
    let mut req = f.req.clone();
    req.operation = Operation::ListPrefix;
    req.key = "tickets/".into();
    Segments::of(&req)
}

/// A put with every optional field present: digest and content type.
pub fn put(f: &Fresh) -> Segments {
    let mut req = f.req.clone();
    req.operation =
        Operation::Put { content_length: 1000, sha256: Some([7; 32]), content_type: Some("text/plain".into()) };
    Segments::of(&req)
}

fn be(v: u64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// `(name, bytes of the request, status, code)`.
type Row = (&'static str, fn(&Fresh) -> Vec<u8>, u16, &'static str);

const TABLE: &[Row] = &[
    // domain
    ("request_empty", |_| vec![], 400, MALFORMED),
    ("request_one_zero_byte", |_| vec![0], 400, MALFORMED),
    ("domain_length_zero", |f| get(f).set("domain", b16(b"")).bytes(), 400, MALFORMED),
    ("domain_one_byte_short", |f| get(f).set("domain", b16(&DOMAIN[..30])).bytes(), 400, MALFORMED),
    ("domain_one_byte_long", |f| get(f).set("domain", b16(&[DOMAIN, b"x"].concat())).bytes(), 400, MALFORMED),
    ("domain_v2_label", |f| get(f).set("domain", b16(b"s3-gatekeeper/v2 access-request")).bytes(), 400, MALFORMED),
    ("domain_receipt_label", |f| get(f).set("domain", b16(b"s3-gatekeeper/v1 receipt")).bytes(), 400, MALFORMED),
    ("domain_upper_case", |f| get(f).set("domain", b16(&DOMAIN.to_ascii_uppercase())).bytes(), 400, MALFORMED),
    ("domain_length_claims_ffff", |f| get(f).set("domain", b16_claiming(0xffff, DOMAIN)).bytes(), 400, MALFORMED),
    ("domain_truncated", |f| get(f).cut("domain", 10), 400, MALFORMED),
    ("domain_half_a_length_prefix", |f| get(f).cut("domain", 1), 400, MALFORMED),
    ("domain_without_length_prefix", |f| get(f).set("domain", DOMAIN.to_vec()).bytes(), 400, MALFORMED),
    // version
    ("version_0", |f| get(f).set("version", vec![0]).bytes(), 400, "unsupported_version"),
    ("version_2", |f| get(f).set("version", vec![2]).bytes(), 400, "unsupported_version"),
    ("version_255", |f| get(f).set("version", vec![255]).bytes(), 400, "unsupported_version"),
    ("version_missing", |f| get(f).cut("version", 0), 400, MALFORMED),
    // operation
    ("operation_0", |f| get(f).set("operation", vec![0]).bytes(), 400, MALFORMED),
    ("operation_4", |f| get(f).set("operation", vec![4]).bytes(), 400, MALFORMED),
    ("operation_255", |f| get(f).set("operation", vec![255]).bytes(), 400, MALFORMED),
    ("operation_missing", |f| get(f).cut("operation", 0), 400, MALFORMED),
    ("put_code_without_put_fields", |f| get(f).set("operation", vec![2]).bytes(), 400, MALFORMED),
    ("get_code_with_put_fields", |f| put(f).set("operation", vec![1]).bytes(), 400, MALFORMED),
    ("list_code_with_put_fields", |f| put(f).set("operation", vec![3]).bytes(), 400, MALFORMED),
    // gatekeeper_id
    ("gatekeeper_id_empty", |f| get(f).set("gatekeeper_id", b16(b"")).bytes(), 400, MALFORMED),
    ("gatekeeper_id_129_bytes", |f| get(f).set("gatekeeper_id", b16(&[b'g'; 129])).bytes(), 400, MALFORMED),
    ("gatekeeper_id_with_space", |f| get(f).set("gatekeeper_id", b16(b"test gk")).bytes(), 400, MALFORMED),
    ("gatekeeper_id_with_slash", |f| get(f).set("gatekeeper_id", b16(b"test/gk")).bytes(), 400, MALFORMED),
    (
        "gatekeeper_id_non_ascii",
        |f| get(f).set("gatekeeper_id", b16("t\u{e9}st-gk".as_bytes())).bytes(),
        400,
        MALFORMED,
    ),
    ("gatekeeper_id_with_nul", |f| get(f).set("gatekeeper_id", b16(b"test-gk\0")).bytes(), 400, MALFORMED),
    (
        "gatekeeper_id_length_over_range",
        |f| get(f).set("gatekeeper_id", b16_claiming(200, b"test-gk")).bytes(),
        400,
        MALFORMED,
    ),
    (
        "gatekeeper_id_length_swallows_the_key",
        |f| get(f).set("gatekeeper_id", b16_claiming(20, b"test-gk")).bytes(),
        400,
        MALFORMED,
    ),
    ("gatekeeper_id_truncated", |f| get(f).cut("gatekeeper_id", 5), 400, MALFORMED),
    // key (wire rules only: UTF-8 and at most 4096 bytes; policy comes later)
    ("key_not_utf8", |f| get(f).set("key", b16(b"tickets/\xff.bin")).bytes(), 400, MALFORMED),
    ("key_overlong_utf8_slash", |f| get(f).set("key", b16(b"tickets/..\xc0\xafa")).bytes(), 400, MALFORMED),
    ("key_utf8_surrogate", |f| get(f).set("key", b16(b"tickets/\xed\xa0\x80")).bytes(), 400, MALFORMED),
    ("key_4097_bytes", |f| get(f).set("key", b16(&[b'k'; 4097])).bytes(), 400, MALFORMED),
    ("key_length_ffff", |f| get(f).set("key", b16_claiming(0xffff, b"tickets/a")).bytes(), 400, MALFORMED),
    ("key_length_past_the_end", |f| get(f).set("key", b16_claiming(4000, b"tickets/a")).bytes(), 400, MALFORMED),
    ("key_truncated", |f| get(f).cut("key", 1), 400, MALFORMED),
    // fixed-size fields
    ("issued_at_truncated", |f| get(f).cut("issued_at", 3), 400, MALFORMED),
    ("expires_at_truncated", |f| get(f).cut("expires_at", 7), 400, MALFORMED),
    ("nonce_15_bytes", |f| get(f).cut("nonce", 15), 400, MALFORMED),
    ("session_key_missing", |f| get(f).cut("session_key", 0), 400, MALFORMED),
    ("session_key_31_bytes", |f| get(f).cut("session_key", 31), 400, MALFORMED),
    // put fields
    ("put_content_length_missing", |f| put(f).cut("content_length", 0), 400, MALFORMED),
    ("put_content_length_truncated", |f| put(f).cut("content_length", 4), 400, MALFORMED),
    ("put_content_length_5_gib_plus_1", |f| put(f).set("content_length", be((5 << 30) + 1)).bytes(), 400, MALFORMED),
    ("put_content_length_2_pow_63", |f| put(f).set("content_length", be(1 << 63)).bytes(), 400, MALFORMED),
    ("put_content_length_u64_max", |f| put(f).set("content_length", be(u64::MAX)).bytes(), 400, MALFORMED),
    ("put_has_sha256_2", |f| put(f).set("has_sha256", vec![2]).bytes(), 400, MALFORMED),
    ("put_has_sha256_ff", |f| put(f).set("has_sha256", vec![0xff]).bytes(), 400, MALFORMED),
    ("put_has_sha256_missing", |f| put(f).cut("has_sha256", 0), 400, MALFORMED),
    ("put_sha256_31_bytes", |f| put(f).cut("sha256", 31), 400, MALFORMED),
    ("put_sha256_flag_0_with_digest", |f| put(f).set("has_sha256", vec![0]).bytes(), 400, MALFORMED),
    ("put_has_content_type_2", |f| put(f).set("has_content_type", vec![2]).bytes(), 400, MALFORMED),
    ("put_has_content_type_missing", |f| put(f).cut("has_content_type", 0), 400, MALFORMED),
    ("put_content_type_flag_0_with_type", |f| put(f).set("has_content_type", vec![0]).bytes(), 400, MALFORMED),
    ("put_content_type_empty", |f| put(f).set("content_type", b16(b"")).bytes(), 400, MALFORMED),
    ("put_content_type_128_bytes", |f| put(f).set("content_type", b16(&ct128())).bytes(), 400, MALFORMED),
    ("put_content_type_upper_case", |f| put(f).set("content_type", b16(b"Text/Plain")).bytes(), 400, MALFORMED),
    (
        "put_content_type_with_parameters",
        |f| put(f).set("content_type", b16(b"text/plain; charset=utf-8")).bytes(),
        400,
        MALFORMED,
    ),
    ("put_content_type_without_slash", |f| put(f).set("content_type", b16(b"textplain")).bytes(), 400, MALFORMED),
    ("put_content_type_empty_subtype", |f| put(f).set("content_type", b16(b"text/")).bytes(), 400, MALFORMED),
    ("put_content_type_empty_type", |f| put(f).set("content_type", b16(b"/plain")).bytes(), 400, MALFORMED),
    ("put_content_type_two_slashes", |f| put(f).set("content_type", b16(b"text/plain/x")).bytes(), 400, MALFORMED),
    (
        "put_content_type_non_ascii",
        |f| put(f).set("content_type", b16("text/pla\u{ed}n".as_bytes())).bytes(),
        400,
        MALFORMED,
    ),
    ("put_content_type_with_nul", |f| put(f).set("content_type", b16(b"text/html\0")).bytes(), 400, MALFORMED),
    ("put_content_type_with_space", |f| put(f).set("content_type", b16(b"text/ html")).bytes(), 400, MALFORMED),
    (
        "put_content_type_length_past_the_end",
        |f| put(f).set("content_type", b16_claiming(100, b"text/plain")).bytes(),
        400,
        MALFORMED,
    ),
    ("put_content_type_truncated", |f| put(f).cut("content_type", 5), 400, MALFORMED),
    // trailing bytes and overall length
    ("get_plus_one_zero_byte", |f| get(f).append(&[0]).bytes(), 400, MALFORMED),
    ("get_plus_1000_bytes", |f| get(f).append(&[0x41; 1000]).bytes(), 400, MALFORMED),
    ("get_twice_concatenated", |f| [get(f).bytes(), get(f).bytes()].concat(), 400, MALFORMED),
    ("list_plus_one_byte", |f| list(f).append(&[1]).bytes(), 400, MALFORMED),
    ("put_plus_one_byte", |f| put(f).append(&[0]).bytes(), 400, MALFORMED),
    ("request_4499_bytes", |f| padded(f, 4499), 400, MALFORMED),
    ("request_12000_bytes", |f| padded(f, 12_000), 400, MALFORMED),
];

/// A valid get followed by padding up to `len` bytes: longer than any request may be.
fn padded(f: &Fresh, len: usize) -> Vec<u8> {
    let mut bytes = get(f).bytes();
    bytes.resize(len, 0);
    bytes
}

fn ct128() -> Vec<u8> {
    let mut ct = b"text/".to_vec();
    ct.resize(128, b'x');
    ct
}

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = TABLE
        .iter()
        .map(|&(name, make, status, code)| row(name, Encoding, send(move |f| f.raw(make(f))), status, code, AUDITED))
        .collect();
    // Decodes, but names another gatekeeper (the audience is signed and checked first).
    for (name, id) in [
        ("other_gatekeeper", "other-gk"),
        ("upper_case", "TEST-GK"),
        ("trailing_dot", "test-gk."),
        ("with_a_port", "test-gk:1"),
        ("prefix_of_ours", "test-g"),
        ("ours_as_a_prefix", "test-gkx"),
        ("ours_with_a_suffix", "test-gk-eu"),
    ] {
        let how = send(move |f| f.with(|r| r.gatekeeper_id = id.to_owned()));
        cases.push(row(format!("audience_{name}"), Encoding, how, 403, "wrong_audience", AUDITED));
    }
    cases
}
