//! Base64 forms (docs/api.md: "Binary values are standard base64 with padding"; SECURITY.md T2):
//! the request and both signatures sent in every other form a lenient decoder might accept — the
//! URL-safe alphabet, without padding, with extra padding, with whitespace or line breaks, with
//! non-zero trailing bits, as hex, twice encoded, as a data URI. One byte string has one text form,
//! so none of these may decode: each is 400 `malformed_request`, audited (with the request's nonce
//! when only a signature was re-encoded).
//! A row never sends the standard form: if a request gives no distinct form, the case fails.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;

use super::harness::{row, send, Attempt, Case, Fresh, Threat::Encoding, AUDITED};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `(name, the other form of a standard base64 text, or None when it would be the same text)`.
type Form = (&'static str, fn(&str) -> Option<String>);

const FORMS: &[Form] = &[
    ("url_safe_alphabet", |t| t.contains(['+', '/']).then(|| t.replace('+', "-").replace('/', "_"))),
    ("padding_removed", |t| t.ends_with('=').then(|| t.trim_end_matches('=').to_owned())),
    ("extra_padding", |t| Some(format!("{t}="))),
    ("space_inside", |t| Some(format!("{} {}", &t[..8], &t[8..]))),
    ("tab_inside", |t| Some(format!("{}\t{}", &t[..12], &t[12..]))),
    ("leading_space", |t| Some(format!(" {t}"))),
    ("trailing_newline", |t| Some(format!("{t}\n"))),
    ("mime_line_breaks", |t| (t.len() > 76).then(|| format!("{}\r\n{}", &t[..76], &t[76..]))),
    ("invalid_character", |t| Some(format!("*{}", &t[1..]))),
    ("non_canonical_trailing_bits", non_canonical),
    ("hex_instead", |t| B64.decode(t).ok().map(hex::encode)),
    ("encoded_twice", |t| Some(B64.encode(t))),
    ("data_uri", |t| Some(format!("data:application/octet-stream;base64,{t}"))),
];

/// The same bytes with the unused low bits of the last character before the padding set: a
/// lenient decoder reads the same bytes, a strict one refuses.
fn non_canonical(text: &str) -> Option<String> {
    let padding = text.len() - text.trim_end_matches('=').len();
    let at = text.len().checked_sub(padding + 1).filter(|_| padding > 0)?;
    let value = ALPHABET.iter().position(|&c| c == text.as_bytes()[at])?;
    let mut out = text.as_bytes().to_vec();
    out[at] = ALPHABET[value | 1];
    (out[at] != text.as_bytes()[at]).then(|| String::from_utf8(out).expect("ASCII"))
}

/// The valid body with `field` in the other `form`, varying the request until the form differs.
fn in_form(f: &Fresh, field: &str, form: fn(&str) -> Option<String>) -> Attempt {
    for i in 0..=255u8 {
        let mut req = f.req.clone();
        req.nonce[15] = i;
        req.key.push_str(&"x".repeat(usize::from(i % 3)));
        let mut body = f.client.signed(&req);
        let Some(other) = body[field].as_str().and_then(form) else { continue };
        body[field] = json!(other);
        let decoded = (field != "request").then_some(req);
        return Attempt::authorize(f.from, body.to_string().into_bytes(), decoded);
    }
    panic!("no request gives field {field} a distinct form");
}

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for field in ["request", "vendor_signature", "client_signature"] {
        for &(name, form) in FORMS {
            let how = send(move |f| in_form(f, field, form));
            cases.push(row(format!("{field}_{name}"), Encoding, how, 400, "malformed_request", AUDITED));
        }
    }
    cases
}
