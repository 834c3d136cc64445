//! Signatures (docs/protocol.md sections 2, 4 and 5 steps 5–6; SECURITY.md T1, T3, T4, T5): every
//! byte class of tampering on the vendor and client signatures, signatures by the wrong key, over
//! the wrong label, bytes or re-encoding, swapped roles, key ids that are not the configured one,
//! weak and non-canonical session keys, `S + L`. The attacker holds the session key, so whenever
//! the vendor signature is spoiled the client signature is re-made over the spoiled one: only the
//! check under test can refuse.
//! No row depends on another row's effects: each spoils its own fresh request.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde_json::json;

use s3gk_protocol::sign::{CLIENT_LABEL, RECEIPT_LABEL, VENDOR_LABEL};

use super::forge::{
    add_l, flip, hex32, identity_signature, not_on_curve, sign_pae, sign_raw, NON_CANONICAL, SMALL_ORDER,
};
use super::harness::{row, send, Case, Fresh, Threat::Signature, AUDITED};
use crate::common::{seed, VENDOR_KEY_ID};

const BAD_VENDOR: &str = "bad_vendor_signature";
const BAD_CLIENT: &str = "bad_client_signature";
const VID: &[u8] = VENDOR_KEY_ID.as_bytes();

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&seed(n))
}

fn set_r(sig: [u8; 64], r: [u8; 32]) -> [u8; 64] {
    let mut out = sig;
    out[..32].copy_from_slice(&r);
    out
}

fn set_s_zero(sig: [u8; 64]) -> [u8; 64] {
    let mut out = sig;
    out[32..].fill(0);
    out
}

/// `(name, how the vendor signature is spoiled, status, code)`; the client re-signs over it.
type VendorSpoiled = (&'static str, fn([u8; 64]) -> [u8; 64], u16, &'static str);
/// `(name, how the client signature is spoiled, status, code)`; the vendor signature is valid.
type ClientSpoiled = VendorSpoiled;
/// `(name, how the vendor signature is made from the request bytes, status, code)`.
type VendorMade = (&'static str, fn(&Fresh, &[u8]) -> [u8; 64], u16, &'static str);
/// `(name, how the client signature is made from the request bytes and vendor signature, status, code)`.
type ClientMade = (&'static str, fn(&Fresh, &[u8], &[u8; 64]) -> [u8; 64], u16, &'static str);

/// Every byte class: R low, middle, sign bit; S low, middle, top; malleable and degenerate values.
const VENDOR_SPOILED: &[VendorSpoiled] = &[
    ("vendor_sig_r_first_byte", |s| flip(s, 0, 0x01), 403, BAD_VENDOR),
    ("vendor_sig_r_middle_byte", |s| flip(s, 15, 0x10), 403, BAD_VENDOR),
    ("vendor_sig_r_sign_bit", |s| flip(s, 31, 0x80), 403, BAD_VENDOR),
    ("vendor_sig_s_first_byte", |s| flip(s, 32, 0x01), 403, BAD_VENDOR),
    ("vendor_sig_s_middle_byte", |s| flip(s, 47, 0x08), 403, BAD_VENDOR),
    ("vendor_sig_s_last_byte_low_bit", |s| flip(s, 63, 0x01), 403, BAD_VENDOR),
    ("vendor_sig_s_top_bit", |s| flip(s, 63, 0x80), 403, BAD_VENDOR),
    ("vendor_sig_s_plus_l", |s| add_l(s, 1), 403, BAD_VENDOR),
    ("vendor_sig_s_plus_2l", |s| add_l(s, 2), 403, BAD_VENDOR),
    ("vendor_sig_s_zero", set_s_zero, 403, BAD_VENDOR),
    ("vendor_sig_r_zero", |s| set_r(s, [0; 32]), 403, BAD_VENDOR),
    ("vendor_sig_all_zero", |_| [0; 64], 403, BAD_VENDOR),
    ("vendor_sig_all_ff", |_| [0xff; 64], 403, BAD_VENDOR),
    ("vendor_sig_r_identity_s_zero", |_| identity_signature(), 403, BAD_VENDOR),
    ("vendor_sig_r_small_order", |s| set_r(s, hex32(SMALL_ORDER[4].1)), 403, BAD_VENDOR),
    ("vendor_sig_r_non_canonical", |s| set_s_zero(set_r(s, hex32(NON_CANONICAL[1].1))), 403, BAD_VENDOR),
    ("vendor_sig_halves_swapped", |s| swap_halves(&s), 403, BAD_VENDOR),
    ("vendor_sig_bytes_reversed", reversed, 403, BAD_VENDOR),
];

/// Valid Ed25519 signatures, but by the wrong key, over the wrong label, parts or bytes.
const VENDOR_MADE: &[VendorMade] = &[
    ("vendor_signed_by_the_session_key", |f, b| sign_pae(&f.client.session, &[VENDOR_LABEL, VID, b]), 403, BAD_VENDOR),
    ("vendor_signed_by_the_gatekeeper_key", |_, b| sign_pae(&key(2), &[VENDOR_LABEL, VID, b]), 403, BAD_VENDOR),
    ("vendor_signed_by_an_unconfigured_key", |_, b| sign_pae(&key(9), &[VENDOR_LABEL, VID, b]), 403, BAD_VENDOR),
    (
        "vendor_signed_with_the_client_label",
        |f, b| sign_pae(&f.client.vendor, &[CLIENT_LABEL, VID, b]),
        403,
        BAD_VENDOR,
    ),
    (
        "vendor_signed_with_the_receipt_label",
        |f, b| sign_pae(&f.client.vendor, &[RECEIPT_LABEL, VID, b]),
        403,
        BAD_VENDOR,
    ),
    ("vendor_signed_the_raw_request", |f, b| sign_raw(&f.client.vendor, b), 403, BAD_VENDOR),
    (
        "vendor_signed_a_plain_concatenation",
        |f, b| sign_raw(&f.client.vendor, &[VENDOR_LABEL, VID, b].concat()),
        403,
        BAD_VENDOR,
    ),
    (
        "vendor_signed_another_key_id",
        |f, b| sign_pae(&f.client.vendor, &[VENDOR_LABEL, b"vendor-2", b]),
        403,
        BAD_VENDOR,
    ),
    ("vendor_signed_parts_reordered", |f, b| sign_pae(&f.client.vendor, &[VENDOR_LABEL, b, VID]), 403, BAD_VENDOR),
    ("vendor_signed_another_request", |f, _| f.vendor_sig(&other_request(f, 0)), 403, BAD_VENDOR),
    ("vendor_signed_a_re_encoding", |f, b| f.vendor_sig(&[b, &[0u8]].concat()), 403, BAD_VENDOR),
    ("vendor_signed_the_base64_text", |f, b| f.vendor_sig(B64.encode(b).as_bytes()), 403, BAD_VENDOR),
];

const CLIENT_SPOILED: &[ClientSpoiled] = &[
    ("client_sig_r_first_byte", |s| flip(s, 0, 0x01), 403, BAD_CLIENT),
    ("client_sig_r_sign_bit", |s| flip(s, 31, 0x80), 403, BAD_CLIENT),
    ("client_sig_s_first_byte", |s| flip(s, 32, 0x01), 403, BAD_CLIENT),
    ("client_sig_s_middle_byte", |s| flip(s, 50, 0x40), 403, BAD_CLIENT),
    ("client_sig_s_top_bit", |s| flip(s, 63, 0x80), 403, BAD_CLIENT),
    ("client_sig_s_plus_l", |s| add_l(s, 1), 403, BAD_CLIENT),
    ("client_sig_s_plus_2l", |s| add_l(s, 2), 403, BAD_CLIENT),
    ("client_sig_s_zero", set_s_zero, 403, BAD_CLIENT),
    ("client_sig_all_zero", |_| [0; 64], 403, BAD_CLIENT),
    ("client_sig_all_ff", |_| [0xff; 64], 403, BAD_CLIENT),
    ("client_sig_r_identity_s_zero", |_| identity_signature(), 403, BAD_CLIENT),
    ("client_sig_r_small_order", |s| set_s_zero(set_r(s, hex32(SMALL_ORDER[6].1))), 403, BAD_CLIENT),
];

const CLIENT_MADE: &[ClientMade] = &[
    (
        "client_signed_by_the_vendor_key",
        |f, b, v| sign_pae(&f.client.vendor, &[CLIENT_LABEL, b, VID, v]),
        403,
        BAD_CLIENT,
    ),
    ("client_signed_by_another_session_key", |_, b, v| sign_pae(&key(7), &[CLIENT_LABEL, b, VID, v]), 403, BAD_CLIENT),
    (
        "client_signed_with_the_vendor_label",
        |f, b, v| sign_pae(&f.client.session, &[VENDOR_LABEL, b, VID, v]),
        403,
        BAD_CLIENT,
    ),
    ("client_signed_the_request_only", |f, b, _| sign_pae(&f.client.session, &[CLIENT_LABEL, b]), 403, BAD_CLIENT),
    (
        "client_signed_without_the_vendor_sig",
        |f, b, _| sign_pae(&f.client.session, &[CLIENT_LABEL, b, VID]),
        403,
        BAD_CLIENT,
    ),
    ("client_signed_another_vendor_sig", |f, b, v| f.client_sig(b, &flip(*v, 40, 0x02)), 403, BAD_CLIENT),
    (
        "client_signed_another_key_id",
        |f, b, v| sign_pae(&f.client.session, &[CLIENT_LABEL, b, b"vendor-2", v]),
        403,
        BAD_CLIENT,
    ),
    (
        "client_signed_a_plain_concatenation",
        |f, b, v| sign_raw(&f.client.session, &[CLIENT_LABEL, b, VID, v].concat()),
        403,
        BAD_CLIENT,
    ),
    ("client_sig_is_the_vendor_sig", |_, _, v| *v, 403, BAD_CLIENT),
    (
        "client_sig_from_another_request",
        |f, _, _| {
            let o = other_request(f, 1);
            f.client_sig(&o, &f.vendor_sig(&o))
        },
        403,
        BAD_CLIENT,
    ),
];

fn swap_halves(s: &[u8; 64]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&s[32..]);
    out[32..].copy_from_slice(&s[..32]);
    out
}

fn reversed(s: [u8; 64]) -> [u8; 64] {
    let mut out = s;
    out.reverse();
    out
}

/// The fresh request with one nonce bit flipped, encoded.
fn other_request(f: &Fresh, byte: usize) -> Vec<u8> {
    let mut other = f.req.clone();
    other.nonce[byte] ^= 1;
    other.encode().expect("encodes")
}

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for &(name, spoil, status, code) in VENDOR_SPOILED {
        let how = send(move |f| f.signed_with(spoil(f.vendor_sig(&f.bytes())), None));
        cases.push(row(name, Signature, how, status, code, AUDITED));
    }
    for &(name, make, status, code) in VENDOR_MADE {
        let how = send(move |f| f.signed_with(make(f, &f.bytes()), None));
        cases.push(row(name, Signature, how, status, code, AUDITED));
    }
    for &(name, spoil, status, code) in CLIENT_SPOILED {
        let how = send(move |f| {
            let (bytes, v) = (f.bytes(), f.vendor_sig(&f.bytes()));
            f.signed_with(v, Some(spoil(f.client_sig(&bytes, &v))))
        });
        cases.push(row(name, Signature, how, status, code, AUDITED));
    }
    for &(name, make, status, code) in CLIENT_MADE {
        let how = send(move |f| {
            let (bytes, v) = (f.bytes(), f.vendor_sig(&f.bytes()));
            f.signed_with(v, Some(make(f, &bytes, &v)))
        });
        cases.push(row(name, Signature, how, status, code, AUDITED));
    }
    let swapped = send(|f| {
        let bytes = f.bytes();
        let v = f.vendor_sig(&bytes);
        f.signed_with(f.client_sig(&bytes, &v), Some(v))
    });
    cases.push(row("roles_swapped", Signature, swapped, 403, BAD_VENDOR, AUDITED));
    cases.extend(session_keys());
    cases.extend(key_ids_and_lengths());
    cases
}

/// Weak session keys: the vendor signs whatever key the client names; the gatekeeper must refuse
/// small-order, non-canonical and off-curve keys whatever the client signature.
fn session_keys() -> Vec<Case> {
    let weak: Vec<(String, [u8; 32])> = SMALL_ORDER
        .iter()
        .chain(NON_CANONICAL.iter())
        .map(|(name, hex)| (format!("session_key_{name}"), hex32(hex)))
        .chain([("session_key_not_on_the_curve".to_owned(), not_on_curve())])
        .collect();
    weak.into_iter()
        .map(|(name, key)| {
            let how = send(move |f| {
                let mut req = f.req.clone();
                req.session_key = key;
                let bytes = req.encode().expect("encodes");
                let v = f.vendor_sig(&bytes);
                f.parts(&bytes, VENDOR_KEY_ID, v, identity_signature())
            });
            row(name, Signature, how, 403, BAD_CLIENT, AUDITED)
        })
        .collect()
}

/// Key ids other than the configured one, and signatures of the wrong length.
fn key_ids_and_lengths() -> Vec<Case> {
    let unknown = [
        ("well_formed_but_unknown", "vendor-9".to_owned()),
        ("empty", String::new()),
        ("65_characters", "v".repeat(65)),
        ("10000_characters", "v".repeat(10_000)),
        ("with_a_space", "vendor 1".to_owned()),
        ("with_a_newline", "vendor-1\n".to_owned()),
        ("with_a_nul", "vendor-1\0".to_owned()),
        ("upper_case", "VENDOR-1".to_owned()),
        ("trailing_space", "vendor-1 ".to_owned()),
        ("cyrillic_look_alike", "v\u{435}ndor-1".to_owned()),
        ("path_traversal", "../vendor-1".to_owned()),
        ("wildcard", "*".to_owned()),
    ];
    let mut cases: Vec<Case> = unknown
        .into_iter()
        .map(|(name, id)| {
            // The vendor really signed under the presented id: only the id itself is wrong.
            let how = send(move |f| {
                let bytes = f.bytes();
                let v = sign_pae(&f.client.vendor, &[VENDOR_LABEL, id.as_bytes(), &bytes]);
                let c = sign_pae(&f.client.session, &[CLIENT_LABEL, &bytes, id.as_bytes(), &v]);
                f.parts(&bytes, &id, v, c)
            });
            row(format!("vendor_key_id_{name}"), Signature, how, 403, "unknown_vendor_key", AUDITED)
        })
        .collect();
    for (name, value) in [("number", json!(1)), ("null", json!(null)), ("array", json!(["vendor-1"]))] {
        let how = send(move |f| {
            let mut body = f.body();
            body["vendor_key_id"] = value.clone();
            f.post(&body).undecoded()
        });
        cases.push(row(format!("vendor_key_id_as_{name}"), Signature, how, 400, "malformed_json", AUDITED));
    }
    for (field, len) in [("vendor", 63), ("vendor", 65), ("vendor", 0), ("client", 63), ("client", 65), ("client", 0)] {
        let how = send(move |f| {
            let bytes = f.bytes();
            let v = f.vendor_sig(&bytes);
            let c = f.client_sig(&bytes, &v);
            let resize = |s: [u8; 64]| {
                let mut out = s.to_vec();
                out.resize(len, 0x5a);
                out
            };
            let (v, c) = if field == "vendor" { (resize(v), c.to_vec()) } else { (v.to_vec(), resize(c)) };
            let body = super::forge::body(&bytes, VENDOR_KEY_ID, &v, &c).to_string().into_bytes();
            super::harness::Attempt::authorize(f.from, body, Some(f.req.clone()))
        });
        cases.push(row(format!("{field}_sig_{len}_bytes"), Signature, how, 400, "malformed_request", AUDITED));
    }
    cases
}
