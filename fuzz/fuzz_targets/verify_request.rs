//! The gatekeeper's checks 1 to 6 (`Authorization::verify`), the co-signer's checks, the ACL and the
//! receipt, on requests the target signs itself, so every valid-signature path is reachable.
//!
//! Input: `flags u8`, `clock i8`, `client ipv4 [4]`, then
//! - *signed* (flags bit 7 clear): the encoded request. If it decodes, bit 0 puts the known session
//!   key in it; the target signs it with the vendor key chosen by bits 1-2 (configured, the rotated
//!   second key, an unknown id, an id of bad syntax) and with the session key; bits 3-6 damage the
//!   signatures (flip a vendor bit, flip a client bit, client signs with the vendor key, vendor
//!   signs under the client label). The clock is `issued_at + clock`.
//! - *raw* (bit 7 set): `key id (u8 length, bytes)`, `vendor signature [64]`, `client signature [64]`,
//!   the request; the clock is the signature vectors' `now + clock`.
//!
//! Seeds: every request of `vectors/` signed honestly, and the signature vectors in raw form.
//! Oracles: nothing panics; a verified request re-encodes to the bytes received; a verified request
//! carries exactly the deterministic signatures of a configured vendor key and of the session key
//! (no forgery, however the bytes were made); an honest request is never refused for a signature;
//! what the co-signer accepts under the root prefix, honestly signed, the gatekeeper accepts at the
//! same clock; a grant's signed receipt verifies under the pinned key, for the sent request only,
//! and round-trips.
#![no_main]

use core::net::IpAddr;
use std::sync::OnceLock;

use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use s3gk_fuzz::{Bytes, VECTOR_NOW, VENDOR_KEY_ID, VENDOR_KEY_ID_2};
use s3gk_protocol::codec::pae;
use s3gk_protocol::cosign::CosignPolicy;
use s3gk_protocol::policy::acl::{normalize_ip, Acl, Rules};
use s3gk_protocol::policy::object_key::{self, KeyKind};
use s3gk_protocol::sign::{self, verify_receipt, Authorization, Receipt, VerifyPolicy, CLIENT_LABEL};
use s3gk_protocol::{AccessRequest, KeyId, Operation, ReceiptError};

struct Fixture {
    policy: VerifyPolicy,
    cosign: CosignPolicy,
    acl: Acl,
    vendor: [SigningKey; 2],
    session: SigningKey,
    gatekeeper: SigningKey,
    gatekeeper_id: KeyId,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let policy = s3gk_fuzz::verify_policy();
        let rules = Rules {
            allow_cidrs: Some(vec![
                "203.0.113.0/24".parse().expect("valid"),
                "198.51.100.0/24".parse().expect("valid"),
            ]),
            deny_cidrs: vec!["198.51.100.128/25".parse().expect("valid")],
            allow_countries: None,
            deny_countries: Vec::new(),
        };
        Fixture {
            cosign: CosignPolicy { gatekeeper_id: s3gk_fuzz::gatekeeper_id(), time: policy.time },
            policy,
            acl: Acl::uniform(rules),
            vendor: [s3gk_fuzz::vendor_key(), s3gk_fuzz::vendor_key_2()],
            session: s3gk_fuzz::session_key(),
            gatekeeper: s3gk_fuzz::gatekeeper_key(),
            gatekeeper_id: KeyId::new("gk-2026-01").expect("valid"),
        }
    })
}

/// Builds the authorization the input describes; also returns whether it is honestly signed.
fn authorization(f: &Fixture, flags: u8, clock: i8, mut b: Bytes<'_>) -> (Authorization, bool, u64) {
    if flags & 0x80 != 0 {
        let vendor_key_id = String::from_utf8_lossy(b.short()).into_owned();
        let (vendor_signature, client_signature) = (b.array::<64>(), b.array::<64>());
        let auth = Authorization { request: b.rest().to_vec(), vendor_key_id, vendor_signature, client_signature };
        return (auth, false, VECTOR_NOW.saturating_add_signed(clock.into()));
    }
    let raw = b.rest();
    let decoded = AccessRequest::decode(raw).ok().map(|mut request| {
        if flags & 0x01 != 0 {
            request.session_key = f.session.verifying_key().to_bytes();
        }
        request
    });
    let now = decoded.as_ref().map_or(VECTOR_NOW, |r| r.issued_at).saturating_add_signed(clock.into());
    let request = decoded.as_ref().map_or_else(|| raw.to_vec(), |r| r.encode().expect("a decoded request encodes"));
    let choice = (flags >> 1) & 3;
    let (id, key) = match choice {
        0 => (VENDOR_KEY_ID, &f.vendor[0]),
        1 => (VENDOR_KEY_ID_2, &f.vendor[1]),
        2 => ("vendor-2025-12", &f.vendor[0]),
        _ => ("vendor 2026/01", &f.vendor[0]),
    };
    let label = if flags & 0x40 != 0 { CLIENT_LABEL } else { sign::VENDOR_LABEL };
    let mut vendor_signature = key.sign(&pae(&[label, id.as_bytes(), &request])).to_bytes();
    let client_key = if flags & 0x20 != 0 { key } else { &f.session };
    let client_msg = pae(&[CLIENT_LABEL, &request, id.as_bytes(), &vendor_signature]);
    let mut client_signature = client_key.sign(&client_msg).to_bytes();
    let bit = usize::from(clock.unsigned_abs() % 64);
    if flags & 0x08 != 0 {
        vendor_signature[bit] ^= 1;
    }
    if flags & 0x10 != 0 {
        client_signature[bit] ^= 1;
    }
    let honest = decoded.is_some() && flags & 0x01 != 0 && choice <= 1 && flags & 0x78 == 0;
    (Authorization { request, vendor_key_id: id.to_owned(), vendor_signature, client_signature }, honest, now)
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut b = Bytes::new(data);
    let (flags, clock) = (b.u8(), b.u8() as i8);
    let ip = IpAddr::from(b.array::<4>());
    let (auth, honest, now) = authorization(f, flags, clock, b);
    let verified = auth.verify(&f.policy, now);
    let cosigned = f.cosign.check(&auth.request, now).map(|_| ()).map_err(|d| d.code());
    let decoded = AccessRequest::decode(&auth.request).ok();

    let verified = match verified {
        Err(denial) => {
            let signature =
                matches!(denial.code(), "unknown_vendor_key" | "bad_vendor_signature" | "bad_client_signature");
            assert!(!(honest && signature), "an honest signature was refused: {denial:?}");
            if let (true, Ok(()), Some(r)) = (honest, cosigned, &decoded) {
                let kind = if r.operation == Operation::ListPrefix { KeyKind::Prefix } else { KeyKind::Object };
                let under_root = object_key::check(&r.key, kind, &f.policy.root).is_ok();
                assert!(!under_root, "the co-signer accepted what the gatekeeper refuses: {denial:?}");
            }
            return;
        }
        Ok(verified) => verified,
    };
    // No forgery: the signatures are exactly those of a configured vendor key and the session key.
    let request = verified.request();
    assert_eq!(Some(request), decoded.as_ref());
    assert_eq!(request.encode().expect("a verified request encodes"), auth.request);
    let (vendor_sig, client_sig) = (&auth.vendor_signature, &auth.client_signature);
    assert!(
        s3gk_fuzz::honestly_signed(&auth.request, &auth.vendor_key_id, vendor_sig, client_sig),
        "a forgery verified"
    );
    assert!(matches!(cosigned, Ok(()) | Err("stale_request")), "verified but the co-signer says {cosigned:?}");

    let op = request.operation.kind();
    let Ok(grant) = verified.check_acl(&f.acl, ip, None) else {
        assert!(f.acl.evaluate(op, ip, None).is_err());
        return;
    };
    assert_eq!(grant.client_ip(), normalize_ip(ip));
    let receipt = grant.receipt(u64::from(flags), now);
    let signed = receipt.sign(&f.gatekeeper, &f.gatekeeper_id);
    let pinned = f.gatekeeper.verifying_key();
    let check = |key, sent: &[u8]| verify_receipt(&signed, key, sent).map(|v| v.receipt().clone());
    assert_eq!(check(&pinned, &auth.request), Ok(receipt.clone()));
    assert_eq!(Receipt::decode(&signed.bytes), Ok(receipt));
    let other = f.session.verifying_key();
    assert_eq!(check(&other, &auth.request), Err(ReceiptError::BadSignature));
    assert_eq!(check(&pinned, &[auth.request.as_slice(), &[0]].concat()), Err(ReceiptError::Mismatch));
});
