//! Each verification step refuses for its own cause, in order.

use super::*;
use crate::codec::DecodeProblem;
use crate::policy::acl::{Cidr, Rules};
use crate::policy::object_key::{KeyPrefix, KeyProblem, ObjectKey};
use crate::policy::time::TimeProblem;

pub(crate) struct Fixture {
    pub vendor: SigningKey,
    pub session: SigningKey,
    pub gatekeeper: SigningKey,
    pub policy: VerifyPolicy,
}

pub(crate) fn fixture() -> Fixture {
    let vendor = SigningKey::from_bytes(&[1; 32]);
    let session = SigningKey::from_bytes(&[2; 32]);
    let gatekeeper = SigningKey::from_bytes(&[3; 32]);
    let mut vendor_keys = Keyring::new();
    vendor_keys.insert(KeyId::new("vendor-1").unwrap(), vendor.verifying_key().as_bytes()).unwrap();
    let policy = VerifyPolicy {
        gatekeeper_id: GatekeeperId::new("acme-gk").unwrap(),
        root: RootPrefix::new("tickets/").unwrap(),
        time: TimePolicy::default(),
        vendor_keys,
    };
    Fixture { vendor, session, gatekeeper, policy }
}

const NOW: u64 = 1_800_000_000;

fn request(session: &SigningKey) -> AccessRequest {
    AccessRequest {
        gatekeeper_id: "acme-gk".into(),
        operation: Operation::Get,
        key: "tickets/42/screen.png".into(),
        issued_at: NOW,
        expires_at: NOW + 60,
        nonce: [5; 16],
        session_key: session.verifying_key().to_bytes(),
    }
}

fn authorize(f: &Fixture, req: &AccessRequest) -> Authorization {
    let bytes = req.encode().unwrap();
    let vid = KeyId::new("vendor-1").unwrap();
    let vendor_signature = vendor_sign(&f.vendor, &vid, &bytes);
    let client_signature = client_sign(&f.session, &bytes, &vid, &vendor_signature);
    Authorization { request: bytes, vendor_key_id: "vendor-1".into(), vendor_signature, client_signature }
}

fn verdict(f: &Fixture, auth: &Authorization) -> Result<(), Denial> {
    auth.verify(&f.policy, NOW).map(|_| ())
}

#[test]
fn a_well_signed_request_verifies() {
    let f = fixture();
    let auth = authorize(&f, &request(&f.session));
    let v = auth.verify(&f.policy, NOW).unwrap();
    assert_eq!(v.request().key, "tickets/42/screen.png");
    assert_eq!(v.key(), &CheckedKey::Object(ObjectKey::parse("tickets/42/screen.png").unwrap()));
    assert_eq!(v.vendor_key_id().as_str(), "vendor-1");

    let mut list = request(&f.session);
    (list.operation, list.key) = (Operation::ListPrefix, "tickets/42/".into());
    let v = authorize(&f, &list).verify(&f.policy, NOW).unwrap();
    assert_eq!(v.key(), &CheckedKey::Prefix(KeyPrefix::parse("tickets/42/").unwrap()));
}

#[test]
fn each_check_refuses_for_its_own_cause() {
    let f = fixture();
    let base = request(&f.session);
    let with = |edit: &dyn Fn(&mut AccessRequest)| {
        let mut r = base.clone();
        edit(&mut r);
        verdict(&f, &authorize(&f, &r))
    };
    assert_eq!(with(&|r| r.gatekeeper_id = "other-gk".into()), Err(Denial::WrongAudience));
    assert_eq!(with(&|r| r.key = "tickets/../etc/x".into()), Err(Denial::Key(KeyProblem::DotSegment)));
    assert_eq!(with(&|r| r.key = "other/x".into()), Err(Denial::Key(KeyProblem::OutsideRoot)));
    assert_eq!(with(&|r| r.operation = Operation::ListPrefix), Err(Denial::Key(KeyProblem::PrefixNotDirectory)));
    assert_eq!(with(&|r| r.expires_at = NOW + 301), Err(Denial::Time(TimeProblem::LifetimeTooLong)));
    assert_eq!(
        with(&|r| {
            r.issued_at = NOW - 200;
            r.expires_at = NOW - 100;
        }),
        Err(Denial::Time(TimeProblem::Expired))
    );

    let mut malformed = authorize(&f, &base);
    malformed.request.push(0);
    assert_eq!(verdict(&f, &malformed).unwrap_err().code(), "malformed_request");

    let mut unknown = authorize(&f, &base);
    unknown.vendor_key_id = "vendor-2".into();
    assert_eq!(verdict(&f, &unknown), Err(Denial::UnknownVendorKey));
    unknown.vendor_key_id = "not a key id".into();
    assert_eq!(verdict(&f, &unknown), Err(Denial::UnknownVendorKey));

    let mut bad_vendor = authorize(&f, &base);
    bad_vendor.vendor_signature[0] ^= 1;
    assert_eq!(verdict(&f, &bad_vendor), Err(Denial::BadVendorSignature));

    let mut bad_client = authorize(&f, &base);
    bad_client.client_signature[5] ^= 1;
    assert_eq!(verdict(&f, &bad_client), Err(Denial::BadClientSignature));
}

#[test]
fn signatures_are_not_interchangeable_between_roles() {
    let f = fixture();
    let base = request(&f.session);
    let bytes = base.encode().unwrap();
    let vid = KeyId::new("vendor-1").unwrap();
    // The vendor signs the raw request bytes, without the label: refused.
    let raw = f.vendor.sign(&bytes).to_bytes();
    let auth = Authorization {
        request: bytes.clone(),
        vendor_key_id: "vendor-1".into(),
        vendor_signature: raw,
        client_signature: client_sign(&f.session, &bytes, &vid, &raw),
    };
    assert_eq!(verdict(&f, &auth), Err(Denial::BadVendorSignature));
    // The session key signs with the vendor's label: refused.
    let mut auth = authorize(&f, &base);
    auth.client_signature = f.session.sign(&vendor_signed_bytes(&vid, &bytes)).to_bytes();
    assert_eq!(verdict(&f, &auth), Err(Denial::BadClientSignature));
}

#[test]
fn non_canonical_s_and_small_order_keys_are_refused() {
    let f = fixture();
    let mut auth = authorize(&f, &request(&f.session));
    // s + L still satisfies the verification equation; verify_strict must refuse it.
    add_group_order(&mut auth.vendor_signature);
    assert_eq!(verdict(&f, &auth), Err(Denial::BadVendorSignature));

    // A small-order session key (the identity) with any signature is refused.
    let mut req = request(&f.session);
    req.session_key = [0; 32];
    req.session_key[0] = 1;
    let auth = authorize(&f, &req);
    assert_eq!(verdict(&f, &auth), Err(Denial::BadClientSignature));

    let mut ring = Keyring::new();
    assert!(ring.insert(KeyId::new("weak").unwrap(), &req.session_key).is_err());
}

/// Adds the Ed25519 group order L to the little-endian scalar `s` (bytes 32..64).
pub(crate) fn add_group_order(sig: &mut [u8; 64]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let v = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = v as u8;
        carry = v >> 8;
    }
}

#[test]
fn acl_then_receipt_round_trip() {
    let f = fixture();
    let auth = authorize(&f, &request(&f.session));
    let verified = auth.verify(&f.policy, NOW).unwrap();
    let acl = Acl::uniform(Rules {
        allow_cidrs: Some(vec!["127.0.0.0/8".parse::<Cidr>().unwrap()]),
        allow_countries: None,
        ..Rules::default()
    });
    assert_eq!(verified.clone().check_acl(&acl, "10.0.0.1".parse().unwrap(), None).unwrap_err(), Denial::AclDeniedIp);
    let grant = verified.check_acl(&acl, "::ffff:127.0.0.2".parse().unwrap(), None).unwrap();
    assert_eq!(grant.client_ip(), "127.0.0.2".parse::<IpAddr>().unwrap());

    let gk_id = KeyId::new("gk-1").unwrap();
    let signed = grant.receipt(7, NOW + 1).sign(&f.gatekeeper, &gk_id);
    let verified = verify_receipt(&signed, &f.gatekeeper.verifying_key(), &auth.request).unwrap();
    assert_eq!(verified.gatekeeper_key_id(), &gk_id);
    let receipt = verified.receipt();
    assert_eq!((receipt.sequence(), receipt.decided_at()), (7, NOW + 1));
    assert_eq!(receipt.client_signature(), &auth.client_signature);

    let other = SigningKey::from_bytes(&[9; 32]);
    assert_eq!(verify_receipt(&signed, &other.verifying_key(), &auth.request), Err(ReceiptError::BadSignature));
    assert_eq!(verify_receipt(&signed, &f.gatekeeper.verifying_key(), b"another request"), Err(ReceiptError::Mismatch));
    let mut tampered = signed.clone();
    tampered.bytes[40] ^= 1;
    assert_eq!(
        verify_receipt(&tampered, &f.gatekeeper.verifying_key(), &auth.request),
        Err(ReceiptError::BadSignature)
    );
    let mut relabelled = signed;
    relabelled.key_id = KeyId::new("gk-2").unwrap();
    assert_eq!(
        verify_receipt(&relabelled, &f.gatekeeper.verifying_key(), &auth.request),
        Err(ReceiptError::BadSignature)
    );
}

#[test]
fn receipt_decoding_is_total() {
    let f = fixture();
    let auth = authorize(&f, &request(&f.session));
    let grant = auth
        .verify(&f.policy, NOW)
        .unwrap()
        .check_acl(
            &Acl::uniform(Rules { allow_countries: None, ..Rules::default() }),
            "2001:db8::1".parse().unwrap(),
            None,
        )
        .unwrap();
    let bytes = grant.receipt(1, NOW).encode();
    assert_eq!(Receipt::decode(&bytes).unwrap().encode(), bytes);
    for cut in 0..bytes.len() {
        assert!(Receipt::decode(&bytes[..cut]).is_err());
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(Receipt::decode(&long).unwrap_err().problem(), DecodeProblem::TrailingBytes);
}

#[test]
fn configured_vendor_keys_with_x_zero_and_the_sign_bit_are_refused() {
    // (0, 1) and (0, -1) encoded with the sign bit set: non-canonical (RFC 8032 5.1.3) and of
    // small order, so a keyring built from configuration refuses them.
    let mut identity_signed = [0u8; 32];
    identity_signed[0] = 1;
    identity_signed[31] = 0x80;
    let mut minus_one_signed = [0xffu8; 32];
    minus_one_signed[0] = 0xec;
    for key in [identity_signed, minus_one_signed] {
        let mut ring = Keyring::new();
        assert!(ring.insert(KeyId::new("vendor-1").unwrap(), &key).is_err(), "{key:02x?}");
    }
}
