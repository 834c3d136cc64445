//! The handshake against the protocol crate's own gatekeeper-side verification and receipt
//! signing: what the client builds verifies there, and what it signs comes back verifiable here.

use std::net::IpAddr;

use ed25519_dalek::SigningKey;
use s3gk_protocol::policy::acl::{Acl, Rules};
use s3gk_protocol::policy::object_key::RootPrefix;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::sign::{vendor_sign, verify_receipt, Authorization, Keyring, SignedReceipt, VerifyPolicy};
use s3gk_protocol::GatekeeperId;

use super::*;
use s3gk_wire::{GrantedDecision, KeyMaterial, ObjectGrant, PresignedMethod, ReceiptJson, WriteKeyJson};

const NOW: u64 = 1_800_000_000;

fn session() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn session_key() -> [u8; 32] {
    session().verifying_key().to_bytes()
}

fn vendor() -> (SigningKey, KeyId) {
    (SigningKey::from_bytes(&[2; 32]), KeyId::new("vendor-1").expect("valid id"))
}

fn gatekeeper() -> (SigningKey, KeyId) {
    (SigningKey::from_bytes(&[3; 32]), KeyId::new("gk-1").expect("valid id"))
}

fn pinned() -> PinnedKey {
    PinnedKey { key: gatekeeper().0.verifying_key().to_bytes(), key_id: gatekeeper().1 }
}

fn prepared(operation: Operation, key: &str) -> Prepared {
    prepare("acme-gk", operation, key, NOW, Some(300), [9; 16], &session_key()).expect("prepares")
}

/// What the vendor answers for `prepared`.
fn cosign(prepared: &Prepared) -> CosignAnswer {
    let (key, id) = vendor();
    CosignAnswer {
        vendor_key_id: id.to_string(),
        vendor_signature: Base64::encode(vendor_sign(&key, &id, &prepared.bytes)),
    }
}

/// What the gatekeeper answers: verify `body` as the gatekeeper does, sign a receipt with
/// `signer`, and grant `objects`.
fn gatekeeper_answer(body: &AuthorizeRequest, signer: &SigningKey, objects: Vec<ObjectGrant>) -> Grant {
    let (vendor_key, vendor_id) = vendor();
    let mut vendor_keys = Keyring::new();
    vendor_keys.insert(vendor_id, vendor_key.verifying_key().as_bytes()).expect("valid key");
    let policy = VerifyPolicy {
        gatekeeper_id: GatekeeperId::new("acme-gk").expect("a valid id"),
        root: RootPrefix::default(),
        time: TimePolicy::default(),
        vendor_keys,
    };
    let auth = Authorization {
        request: body.request.decode().expect("base64"),
        vendor_key_id: body.vendor_key_id.clone(),
        vendor_signature: body.vendor_signature.decode_array().expect("64 bytes"),
        client_signature: body.client_signature.decode_array().expect("64 bytes"),
    };
    let verified = auth.verify(&policy, NOW + 1).expect("the gatekeeper accepts what the client built");
    let any = Acl::uniform(Rules { allow_countries: None, ..Rules::default() });
    let grant = verified.check_acl(&any, IpAddr::from([203, 0, 113, 7]), None).expect("allowed");
    let signed = grant.receipt(42, NOW + 1).sign(signer, &gatekeeper().1);
    Grant {
        decision: GrantedDecision::Granted,
        gatekeeper_id: "acme-gk".into(),
        bucket: "b".into(),
        receipt: ReceiptJson {
            bytes: Base64::encode(&signed.bytes),
            signature: Base64::encode(signed.signature),
            key_id: signed.key_id.to_string(),
            sequence: 42,
        },
        objects,
    }
}

fn object(key: &str, method: PresignedMethod) -> ObjectGrant {
    let put = method == PresignedMethod::Put;
    ObjectGrant {
        key: key.into(),
        size: None,
        sequence: 43,
        method,
        url: format!("https://s3.example/b/{key}?X-Amz-Signature=0"),
        headers: Vec::new(),
        expires_at: NOW + 60,
        key_material: if put {
            Vec::new()
        } else {
            vec![KeyMaterial { master_key_id: "mk-1".into(), key: Base64::encode([5u8; 32]) }]
        },
        write_key: put.then(|| WriteKeyJson {
            master_key_id: "mk-1".into(),
            salt: Base64::encode([6u8; 32]),
            key: Base64::encode([7u8; 32]),
        }),
    }
}

fn round_trip(operation: Operation, key: &str, objects: Vec<ObjectGrant>) -> Result<VerifiedGrant, ClientError> {
    let p = prepared(operation, key);
    let body = authorize_body(&p, &cosign(&p), &session())?;
    verify_grant(gatekeeper_answer(&body, &gatekeeper().0, objects), &pinned(), &p)
}

#[test]
fn requests_are_built_from_the_corrected_clock() {
    let p = prepared(Operation::Get, "tickets/1/a.png");
    assert_eq!((p.request.issued_at, p.request.expires_at), (NOW, NOW + REQUEST_LIFETIME_SECS));
    assert_eq!(p.request.session_key, session().verifying_key().to_bytes());
    assert_eq!(AccessRequest::decode(&p.bytes).expect("decodes"), p.request);
    let short = prepare("acme-gk", Operation::Get, "k", NOW, Some(30), [0; 16], &session_key()).expect("prepares");
    assert_eq!(short.request.expires_at, NOW + 30);
}

#[test]
fn bad_keys_are_refused_before_anyone_is_asked() {
    let code = |op, key| {
        prepare("g", op, key, NOW, None, [0; 16], &session_key()).map(|_| ()).expect_err(key).code().to_owned()
    };
    assert_eq!(code(Operation::Get, "a/../b"), "key_dot_segment");
    assert_eq!(code(Operation::Get, "/a"), "key_leading_slash");
    assert_eq!(code(Operation::Get, "a/"), "key_empty_segment");
    assert_eq!(code(Operation::ListPrefix, "tickets/1"), "key_prefix_not_directory");
    assert_eq!(code(Operation::Get, ""), "key_empty");
}

#[test]
fn a_get_round_trip_verifies_and_summarises_the_receipt() {
    let grant = round_trip(Operation::Get, "tickets/1/a.png", vec![object("tickets/1/a.png", PresignedMethod::Get)])
        .expect("verifies");
    let r = &grant.receipt;
    assert_eq!((r.key.as_str(), r.sequence, r.decided_at), ("tickets/1/a.png", 42, NOW + 1));
    assert_eq!(
        (r.vendor_key_id.as_str(), r.gatekeeper_key_id.as_str(), r.client_ip.as_str()),
        ("vendor-1", "gk-1", "203.0.113.7")
    );
    let json = serde_json::to_value(r).expect("serializes");
    assert_eq!(json["verified"], true);
    assert_eq!(json["vendorKeyId"], "vendor-1");
    assert_eq!(grant.objects.first().map(|o| o.keys.len()), Some(1));
    assert_eq!(grant.summaries(), std::slice::from_ref(&grant.receipt), "one object, one receipt");
}

#[test]
fn a_receipt_keeps_its_signed_form_and_object_summaries_have_none() {
    let p = prepared(Operation::ListPrefix, "t/1/");
    let body = authorize_body(&p, &cosign(&p), &session()).expect("signs");
    let mut answer = gatekeeper_answer(&body, &gatekeeper().0, vec![object("t/1/a", PresignedMethod::Get)]);
    let received = answer.receipt.clone();
    // The number beside the bytes is not what was signed: the signed form takes the one inside.
    answer.receipt.sequence = 7;
    let grant = verify_grant(answer, &pinned(), &p).expect("verifies");
    assert_eq!(grant.receipt.signed.as_ref(), Some(&received), "the bytes, signature and key id as received");

    // One line of a receipts file: exactly the answer's four fields, and it verifies on its own.
    let line = serde_json::to_value(&grant.receipt).expect("serializes")["signed"].clone();
    let fields: Vec<&str> = line.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(fields, ["bytes", "key_id", "sequence", "signature"]);
    let signed: ReceiptJson = serde_json::from_value(line).expect("the wire type reads it");
    let again = SignedReceipt {
        bytes: signed.bytes.decode().expect("base64"),
        key_id: KeyId::new(&signed.key_id).expect("id"),
        signature: signed.signature.decode_array().expect("64 bytes"),
    };
    let key = ed25519_dalek::VerifyingKey::from_bytes(&pinned().key).expect("key");
    let verified = verify_receipt(&again, &key, &p.bytes).expect("the kept form verifies under the pinned key");
    assert_eq!(verified.sequence(), signed.sequence);

    let summaries = grant.summaries();
    assert_eq!(summaries.iter().map(|r| r.signed.is_some()).collect::<Vec<_>>(), [true, false]);
    let object = serde_json::to_value(&summaries[1]).expect("serializes");
    assert!(object.get("signed").is_none(), "nothing was signed for an object alone: {object}");
}

#[test]
fn a_receipt_signed_by_another_key_is_refused() {
    let p = prepared(Operation::Get, "k");
    let body = authorize_body(&p, &cosign(&p), &session()).expect("signs");
    let impostor = SigningKey::from_bytes(&[4; 32]);
    let err = verify_grant(gatekeeper_answer(&body, &impostor, vec![object("k", PresignedMethod::Get)]), &pinned(), &p)
        .expect_err("impostor");
    assert_eq!(err.code(), "bad_receipt_signature");

    let mut answer = gatekeeper_answer(&body, &gatekeeper().0, vec![object("k", PresignedMethod::Get)]);
    answer.receipt.key_id = "gk-2".into();
    assert_eq!(verify_grant(answer, &pinned(), &p).expect_err("key id is signed").code(), "bad_receipt_signature");

    let pinned_other_id = PinnedKey { key_id: KeyId::new("gk-9").expect("id"), ..pinned() };
    let answer = gatekeeper_answer(&body, &gatekeeper().0, vec![object("k", PresignedMethod::Get)]);
    assert_eq!(verify_grant(answer, &pinned_other_id, &p).expect_err("pinned id").code(), "bad_receipt_signature");
}

#[test]
fn a_receipt_for_another_request_is_refused() {
    let p = prepared(Operation::Get, "k");
    let body = authorize_body(&p, &cosign(&p), &session()).expect("signs");
    let answer = gatekeeper_answer(&body, &gatekeeper().0, vec![object("k", PresignedMethod::Get)]);
    let other = prepare("acme-gk", Operation::Get, "k", NOW, None, [8; 16], &session_key()).expect("prepares");
    assert_eq!(verify_grant(answer, &pinned(), &other).expect_err("other request").code(), "receipt_mismatch");
}

#[test]
fn objects_must_match_the_request() {
    let bad = |op: Operation, key: &str, objects| round_trip(op, key, objects).expect_err(key).code().to_owned();
    assert_eq!(bad(Operation::Get, "k", vec![object("other", PresignedMethod::Get)]), "bad_response");
    assert_eq!(bad(Operation::Get, "k", vec![object("k", PresignedMethod::Put)]), "bad_response");
    assert_eq!(
        bad(Operation::Get, "k", vec![object("k", PresignedMethod::Get), object("k", PresignedMethod::Get)]),
        "bad_response"
    );
    assert_eq!(bad(Operation::Get, "k", Vec::new()), "bad_response");
    assert_eq!(bad(Operation::ListPrefix, "t/1/", vec![object("t/10/a", PresignedMethod::Get)]), "bad_response");
    let mut no_keys = object("k", PresignedMethod::Get);
    no_keys.key_material.clear();
    assert_eq!(bad(Operation::Get, "k", vec![no_keys]), "bad_response");
    let mut read_with_write_key = object("k", PresignedMethod::Get);
    read_with_write_key.write_key = object("k", PresignedMethod::Put).write_key;
    assert_eq!(bad(Operation::Get, "k", vec![read_with_write_key]), "bad_response");
    let mut script = object("k", PresignedMethod::Get);
    script.url = "javascript:alert(1)".into();
    assert_eq!(bad(Operation::Get, "k", vec![script]), "bad_response");

    let listed = round_trip(
        Operation::ListPrefix,
        "t/1/",
        vec![object("t/1/a", PresignedMethod::Get), object("t/1/b/c", PresignedMethod::Get)],
    );
    let listed = listed.expect("a listing verifies");
    assert_eq!(listed.objects.len(), 2);
    let summaries = listed.summaries();
    let keys: Vec<(&str, u64)> = summaries.iter().map(|r| (r.key.as_str(), r.sequence)).collect();
    assert_eq!(keys, [("t/1/", 42), ("t/1/a", 43), ("t/1/b/c", 43)], "the prefix's receipt, then each object");
    assert!(summaries.iter().all(|r| r.verified && r.gatekeeper_key_id == "gk-1"));
    let empty = round_trip(Operation::ListPrefix, "t/1/", Vec::new()).expect("an empty listing is fine");
    assert!(empty.objects.is_empty());
}

#[test]
fn a_vendor_answer_that_is_not_a_signature_is_a_bad_response() {
    let p = prepared(Operation::Get, "k");
    let mut answer = cosign(&p);
    answer.vendor_signature = Base64::encode([0u8; 63]);
    assert_eq!(authorize_body(&p, &answer, &session()).expect_err("short").code(), "bad_response");
    let answer = CosignAnswer { vendor_key_id: "a b".into(), ..cosign(&p) };
    assert_eq!(authorize_body(&p, &answer, &session()).expect_err("bad id").code(), "bad_response");
}

#[test]
fn uploads_bind_the_length_under_the_announced_key() {
    let mk1 = KeyId::new("mk-1").expect("id");
    let len = upload_length(100_000, &mk1).expect("fits");
    assert_eq!(len, 78 + 4 + 2 * 16 + 100_000);
    let op = Operation::Put { content_length: len, sha256: None, content_type: None };
    let mut put = object("up/a.bin", PresignedMethod::Put);
    put.headers = vec![
        ("content-length".into(), len.to_string()),
        ("if-none-match".into(), "*".into()),
        ("x-amz-server-side-encryption".into(), "AES256".into()),
    ];
    let granted = || {
        let grant = round_trip(op.clone(), "up/a.bin", vec![put.clone()]).expect("verifies");
        grant.objects.into_iter().next().expect("one object")
    };
    let plan = upload_plan(granted(), &mk1, len).expect("plan");
    assert_eq!((plan.write_key.master_key_id(), plan.write_key.salt()), (&mk1, &[6u8; 32]));
    assert_eq!(plan.headers.len(), 2);
    assert!(plan.headers.iter().all(|(n, _)| n != "content-length"));

    let mk2 = KeyId::new("mk-2").expect("id");
    assert_eq!(upload_plan(granted(), &mk2, len).expect_err("other key").code(), "upload_key_mismatch");
    assert_eq!(upload_plan(granted(), &mk1, len + 1).expect_err("other length").code(), "bad_response");
    let mut unbound = granted();
    unbound.headers.retain(|(n, _)| n != "content-length");
    assert_eq!(upload_plan(unbound, &mk1, len).expect_err("unbound").code(), "bad_response");
    // A put answered with a per-object key (which would open what is stored) is refused.
    let mut leaky = put.clone();
    leaky.key_material = object("up/a.bin", PresignedMethod::Get).key_material;
    let op2 = op.clone();
    assert_eq!(round_trip(op2, "up/a.bin", vec![leaky]).expect_err("leaky").code(), "bad_response");
}

#[test]
fn uploads_past_the_format_or_s3_limits_are_too_large() {
    let id = KeyId::new("mk-1").expect("id");
    let code = upload_length(usize::MAX, &id).expect_err("too large").code().to_owned();
    assert_eq!(code, "object_too_large");
}

#[test]
fn a_receipt_is_checked_strictly_around_any_verifier() {
    let p = prepared(Operation::Get, "k");
    let body = authorize_body(&p, &cosign(&p), &session()).expect("signs");
    let answer = || gatekeeper_answer(&body, &gatekeeper().0, vec![object("k", PresignedMethod::Get)]);
    let pinned = pinned();
    // The verifier's "no" is final, and its "yes" is asked for only after the pre-checks.
    let check = GrantCheck::new(answer(), &pinned, &p).expect("passes the pre-checks");
    assert!(strict_verify(&pinned.key, check.message(), check.signature()));
    assert_eq!(check.finish(false).expect_err("verifier said no").code(), "bad_receipt_signature");
    let mut oversized_s = answer();
    let mut signature = oversized_s.receipt.signature.decode_array::<64>().expect("64 bytes");
    signature[63] |= 0xf0; // S >= L
    oversized_s.receipt.signature = Base64::encode(signature);
    assert_eq!(GrantCheck::new(oversized_s, &pinned, &p).expect_err("S + L").code(), "bad_receipt_signature");
    // Weak keys cannot be pinned at all.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(PinnedKey::new(identity, gatekeeper().1).is_none());
    assert!(PinnedKey::new(pinned.key, gatekeeper().1).is_some());
}
