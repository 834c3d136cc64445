//! Ed25519 in the browser: WebCrypto behind the strict pre-checks (`docs/protocol.md` 2.1) agrees
//! with `verify_strict` on every signature of the `signature` and `receipt` vectors, and every
//! receipt vector gets its expected outcome through the client's WebCrypto receipt path. Weak keys
//! and small-order `R` values are refused although BoringSSL alone accepts some of them.

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};
use s3_gatekeeper_client::protocol::keys::parse_public_key;
use s3_gatekeeper_client::protocol::sign::{
    client_signed_bytes, receipt_signed_bytes, vendor_signed_bytes, PendingReceipt, SignedReceipt,
};
use s3_gatekeeper_client::protocol::strict::precheck;
use s3_gatekeeper_client::protocol::{AccessRequest, KeyId};
use s3_gatekeeper_client::webcrypto_verify;
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! vectors {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../vectors/", $name)))),*]
    };
}

/// Every `signature` and `receipt` vector (`tests/vector_list.rs` checks the list is complete).
pub(crate) const VECTORS: &[(&str, &str)] = vectors![
    "receipt-for-another-request.txt",
    "receipt-ok-ipv4.txt",
    "receipt-ok-ipv6.txt",
    "receipt-other-key.txt",
    "receipt-relabelled-key-id.txt",
    "receipt-tampered.txt",
    "receipt-trailing-byte.txt",
    "signature-client-r-not-canonical.txt",
    "signature-client-r-small-order.txt",
    "signature-client-s-not-canonical.txt",
    "signature-client-used-vendor-label.txt",
    "signature-dot-segment.txt",
    "signature-expired.txt",
    "signature-lifetime-too-long.txt",
    "signature-malformed.txt",
    "signature-non-canonical-session-key.txt",
    "signature-not-yet-valid.txt",
    "signature-ok-get.txt",
    "signature-ok-list-prefix.txt",
    "signature-ok-put.txt",
    "signature-outside-root.txt",
    "signature-prefix-without-slash.txt",
    "signature-request-tampered.txt",
    "signature-session-key-minus-one-sign-bit.txt",
    "signature-session-key-x-zero-sign-bit.txt",
    "signature-small-order-session-key.txt",
    "signature-unknown-vendor-key.txt",
    "signature-vendor-s-not-canonical.txt",
    "signature-vendor-signature-for-other-request.txt",
    "signature-vendor-signed-raw-request.txt",
    "signature-wrong-audience.txt",
];

fn fields(text: &str) -> HashMap<&str, &str> {
    text.lines().filter_map(|line| line.split_once(": ")).collect()
}

fn arr<const N: usize>(hex: &str) -> [u8; N] {
    hex::decode(hex).expect("hex").try_into().expect("length")
}

fn strict(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    parse_public_key(key).is_some_and(|k| k.verify_strict(msg, &Signature::from_bytes(sig)).is_ok())
}

#[wasm_bindgen_test]
async fn webcrypto_behind_the_prechecks_is_strict_on_every_vector_signature() {
    let mut checked = 0;
    let mut webcrypto_alone_lenient = Vec::new();
    for (file, text) in VECTORS {
        let v = fields(text);
        let mut signatures = Vec::new();
        if v["kind"] == "signature" {
            let request = hex::decode(v["request"]).expect("hex");
            let Ok(id) = KeyId::new(v["presented_vendor_key_id"]) else { continue };
            let vendor_sig = arr::<64>(v["vendor_signature"]);
            signatures.push((arr::<32>(v["vendor_public_key"]), vendor_signed_bytes(&id, &request), vendor_sig));
            if let Ok(decoded) = AccessRequest::decode(&request) {
                let msg = client_signed_bytes(&request, &id, &vendor_sig);
                signatures.push((decoded.session_key, msg, arr::<64>(v["client_signature"])));
            }
        } else {
            let id = KeyId::new(v["gatekeeper_key_id"]).expect("key id");
            let msg = receipt_signed_bytes(&id, &hex::decode(v["receipt"]).expect("hex"));
            signatures.push((arr::<32>(v["gatekeeper_public_key"]), msg, arr::<64>(v["receipt_signature"])));
        }
        for (key, msg, sig) in signatures {
            let expected = strict(&key, &msg, &sig);
            let webcrypto = webcrypto_verify(&key, &msg, &sig).await.expect("WebCrypto Ed25519");
            assert_eq!(precheck(&key, &sig) && webcrypto, expected, "{file}");
            if webcrypto && !expected {
                webcrypto_alone_lenient.push(*file);
            }
            checked += 1;
        }
    }
    assert!(checked >= 39, "{checked}");
    // For the record (docs/protocol.md 2.1): what this browser's WebCrypto accepts on its own.
    wasm_bindgen_test::console_log!("WebCrypto alone accepts: {webcrypto_alone_lenient:?}");
}

#[wasm_bindgen_test]
async fn every_receipt_vector_gets_its_outcome_through_webcrypto() {
    for (file, text) in VECTORS.iter().filter(|(f, _)| f.starts_with("receipt-")) {
        let v = fields(text);
        let signed = SignedReceipt {
            bytes: hex::decode(v["receipt"]).expect("hex"),
            key_id: KeyId::new(v["gatekeeper_key_id"]).expect("key id"),
            signature: arr::<64>(v["receipt_signature"]),
        };
        let pinned = arr::<32>(v["gatekeeper_public_key"]);
        assert!(VerifyingKey::from_bytes(&pinned).is_ok(), "{file}");
        let sent = hex::decode(v["sent_request"]).expect("hex");
        let outcome = match PendingReceipt::new(&signed, &pinned) {
            Err(e) => Err(e),
            Ok(pending) => {
                let valid = webcrypto_verify(pending.public_key(), pending.message(), pending.signature())
                    .await
                    .expect("WebCrypto Ed25519");
                pending.finish(valid, &sent).map(|r| r.sequence())
            }
        };
        match v["expect"] {
            "ok" => assert_eq!(outcome.expect(file).to_string(), v["sequence"], "{file}"),
            code => assert_eq!(outcome.expect_err(file).code(), code, "{file}"),
        }
    }
}
