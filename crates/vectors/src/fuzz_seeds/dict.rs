//! Dictionaries: the protocol's labels and magic values, and the key ids, gatekeeper ids, object
//! keys and media types the vectors use, in libFuzzer's dictionary syntax.

use std::collections::BTreeSet;

use s3gk_protocol::object::MAGIC;
use s3gk_protocol::request::REQUEST_DOMAIN;
use s3gk_protocol::sign::{CLIENT_LABEL, RECEIPT_DOMAIN, RECEIPT_LABEL, VENDOR_LABEL};

use super::{Case, Corpora};

/// `bytes16(x)`: a `u16` length, then `x`.
fn prefixed(x: &[u8]) -> Vec<u8> {
    let len = u16::try_from(x.len()).unwrap_or(u16::MAX).to_be_bytes();
    [&len[..], x].concat()
}

/// Tokens for the protocol targets, from the crate's constants and the vectors' values.
pub(super) fn protocol(c: &mut Corpora, cases: &[Case]) -> Result<(), String> {
    let mut ids: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut names: BTreeSet<Vec<u8>> = BTreeSet::new();
    for case in cases {
        for key in ["gatekeeper_id", "vendor_key_id", "presented_vendor_key_id", "gatekeeper_key_id", "content_type"] {
            if let Some(v) = case.text(key).filter(|v| *v != "none") {
                ids.insert(v.as_bytes().to_vec());
            }
        }
        for key in ["key", "object_key", "stored_object_key"] {
            if let Some(v) = case.hex(key)? {
                names.insert(v);
            }
        }
    }
    let labels = [VENDOR_LABEL, CLIENT_LABEL, RECEIPT_LABEL];
    let mut request: Vec<Vec<u8>> = vec![prefixed(REQUEST_DOMAIN), vec![1, 1], vec![1, 2], vec![1, 3]];
    request.extend([
        b"/".to_vec(),
        b"..".to_vec(),
        b"./".to_vec(),
        b"tickets/".to_vec(),
        vec![0, 0, 0, 1, 64, 0, 0, 0],
    ]);
    request.extend(ids.iter().map(|i| prefixed(i)).chain(names.iter().map(|n| prefixed(n))));
    c.tokens("decode_request", &request);
    c.tokens("verify_request", &request);
    c.tokens("verify_request", labels.iter().chain(&[b"vendor-2026-02".as_slice(), b"vendor-2025-12"]));
    let receipt = [prefixed(RECEIPT_DOMAIN), vec![4], vec![6], vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]];
    c.tokens("decode_receipt", receipt.iter().chain(&request));
    let object = [
        [&MAGIC[..], &[1]].concat(),
        b"\x04mk-1".to_vec(),
        b"\x04mk-2".to_vec(),
        vec![0, 0, 0, 16],
        vec![0, 0, 0, 32],
        vec![1, 0, 0, 0],
        vec![1, 0, 0, 1],
    ];
    for target in ["decrypt_object", "open_framer"] {
        c.tokens(target, object.iter().chain(&names));
    }
    Ok(())
}

/// The dictionary file: one quoted token per line, bytes outside printable ASCII as `\xNN`.
pub(super) fn render(tokens: &BTreeSet<Vec<u8>>) -> String {
    let mut out = String::new();
    for token in tokens {
        out.push('"');
        for &b in token {
            match b {
                b'"' | b'\\' => out.push_str(&format!("\\{}", b as char)),
                0x20..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out.push_str("\"\n");
    }
    out
}
