//! `strict::precheck` in front of a lenient verifier gives strict verification's answer on every
//! signature of the `signature` and `receipt` vectors (`docs/protocol.md` section 2.1), while the
//! lenient verifier alone does not: the browser client relies on exactly this for WebCrypto.
//!
//! The lenient verifier here is ed25519-dalek's plain `verify` on a key decoded without admission
//! checks: cofactorless, but accepting small-order and non-canonical keys and `R`, as BoringSSL,
//! OpenSSL and Go do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashMap;

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use s3gk_protocol::keys::parse_public_key;
use s3gk_protocol::sign::{client_signed_bytes, receipt_signed_bytes, vendor_signed_bytes};
use s3gk_protocol::strict::precheck;
use s3gk_protocol::{AccessRequest, KeyId};

fn fields(text: &str) -> HashMap<String, String> {
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn arr<const N: usize>(hex: &str) -> [u8; N] {
    hex::decode(hex).unwrap().try_into().unwrap()
}

fn lenient(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key).is_ok_and(|k| k.verify(msg, &Signature::from_bytes(sig)).is_ok())
}

fn strict(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    parse_public_key(key).is_some_and(|k| k.verify_strict(msg, &Signature::from_bytes(sig)).is_ok())
}

/// A named signature: the public key, the signed message and the 64 bytes.
type Case = (String, [u8; 32], Vec<u8>, [u8; 64]);

/// Every (key, message, signature) the vectors hold, named.
fn signatures() -> Vec<Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for path in names {
        let v = fields(&std::fs::read_to_string(&path).unwrap());
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        match v["kind"].as_str() {
            "signature" => {
                let request = hex::decode(&v["request"]).unwrap();
                let Ok(id) = KeyId::new(&v["presented_vendor_key_id"]) else { continue };
                let vendor_sig = arr::<64>(&v["vendor_signature"]);
                let vendor_key = arr::<32>(&v["vendor_public_key"]);
                out.push((format!("{name} (vendor)"), vendor_key, vendor_signed_bytes(&id, &request), vendor_sig));
                if let Ok(decoded) = AccessRequest::decode(&request) {
                    let msg = client_signed_bytes(&request, &id, &vendor_sig);
                    let client_sig = arr::<64>(&v["client_signature"]);
                    out.push((format!("{name} (client)"), decoded.session_key, msg, client_sig));
                }
            }
            "receipt" => {
                let Ok(id) = KeyId::new(&v["gatekeeper_key_id"]) else { continue };
                let msg = receipt_signed_bytes(&id, &hex::decode(&v["receipt"]).unwrap());
                let key = arr::<32>(&v["gatekeeper_public_key"]);
                out.push((name, key, msg, arr::<64>(&v["receipt_signature"])));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn a_lenient_verifier_behind_the_precheck_is_strict_on_every_vector() {
    let all = signatures();
    assert!(all.len() >= 39, "section 2.1 counts 39 signatures, found {}", all.len());
    let mut lenient_alone_wrong = Vec::new();
    for (name, key, msg, sig) in &all {
        let expected = strict(key, msg, sig);
        assert_eq!(precheck(key, sig) && lenient(key, msg, sig), expected, "{name}");
        if lenient(key, msg, sig) != expected {
            lenient_alone_wrong.push(name.clone());
        }
    }
    // The weak-key and small-order-R vectors: what the precheck is for.
    for weak in [
        "signature-small-order-session-key (client)",
        "signature-non-canonical-session-key (client)",
        "signature-session-key-x-zero-sign-bit (client)",
        "signature-session-key-minus-one-sign-bit (client)",
        "signature-client-r-small-order (client)",
    ] {
        assert!(lenient_alone_wrong.iter().any(|n| n == weak), "{weak}: {lenient_alone_wrong:?}");
    }
}
