//! Vectors for the vendor and client signatures and the gatekeeper's verification order
//! (`docs/protocol.md`, sections 4 and 5), and for receipts (section 4.3).

use ed25519_dalek::{Signer, SigningKey};
use s3gk_protocol::policy::acl::{Acl, Rules};
use s3gk_protocol::policy::object_key::RootPrefix;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::request::{AccessRequest, Operation};
use s3gk_protocol::sign::{self, Authorization, Keyring, SignedReceipt, VerifyPolicy};
use s3gk_protocol::{GatekeeperId, KeyId};

use crate::forgery;
use crate::request::base;
use crate::vector::Vector;
use crate::{expect, seed};

const NOW: u64 = 1_800_000_030;
const ROOT: &str = "tickets/";

fn keys() -> (SigningKey, SigningKey, KeyId) {
    (
        SigningKey::from_bytes(&seed("vendor")),
        SigningKey::from_bytes(&seed("session")),
        KeyId::new("vendor-2026-01").unwrap(),
    )
}

fn policy() -> VerifyPolicy {
    let (vendor, _, vid) = keys();
    let mut vendor_keys = Keyring::new();
    vendor_keys.insert(vid, vendor.verifying_key().as_bytes()).unwrap();
    VerifyPolicy {
        gatekeeper_id: GatekeeperId::new("acme-gk.example:eu-1").unwrap(),
        root: RootPrefix::new(ROOT).unwrap(),
        time: TimePolicy::default(),
        vendor_keys,
    }
}

/// A correctly signed authorization for `req`.
fn signed(req: &AccessRequest) -> Authorization {
    let (vendor, session, vid) = keys();
    let request = req.encode().unwrap();
    let vendor_signature = sign::vendor_sign(&vendor, &vid, &request);
    let client_signature = sign::client_sign(&session, &request, &vid, &vendor_signature);
    Authorization { request, vendor_key_id: vid.to_string(), vendor_signature, client_signature }
}

fn case(name: &str, intended: &str, comment: &str, auth: &Authorization) -> Result<Vector, String> {
    let p = policy();
    let verdict = auth.verify(&p, NOW);
    let actual = verdict.as_ref().map_or_else(|d| d.code(), |_| "ok");
    expect(name, intended, actual)?;
    let (vendor, _, vid) = keys();
    let mut v = Vector::new("signature", name, intended, comment)
        .field("gatekeeper_id", &p.gatekeeper_id)
        .field("root_prefix", ROOT)
        .field("now", NOW)
        .field("max_lifetime", p.time.max_lifetime())
        .field("max_skew", p.time.max_skew())
        .field("vendor_key_id", &vid)
        .hex("vendor_public_key", vendor.verifying_key().as_bytes())
        .hex("request", &auth.request)
        .field("presented_vendor_key_id", &auth.vendor_key_id)
        .hex("vendor_signature", auth.vendor_signature)
        .hex("client_signature", auth.client_signature);
    if verdict.is_ok() {
        v = v
            .hex("vendor_seed", seed("vendor"))
            .hex("session_seed", seed("session"))
            .hex("vendor_signed_bytes", sign::vendor_signed_bytes(&vid, &auth.request))
            .hex("client_signed_bytes", sign::client_signed_bytes(&auth.request, &vid, &auth.vendor_signature));
    }
    Ok(v)
}

/// `req` with `session_key`, a point of order 1 or 2, and a client signature (`S = 0`) that the
/// cofactorless equation accepts; the nonce's last byte is changed until one exists.
fn forged_session_key(req: &AccessRequest, session_key: [u8; 32]) -> Authorization {
    (0..=u8::MAX)
        .find_map(|tweak| {
            let mut r = req.clone();
            r.session_key = session_key;
            r.nonce[15] ^= tweak;
            let mut auth = signed(&r);
            auth.client_signature = forgery::small_order_session_key(&auth, &session_key)?;
            Some(auth)
        })
        .expect("half of all messages give each parity of k")
}

/// Adds the group order L to the scalar half of a signature: the same verification equation holds,
/// but the encoding is not canonical.
fn add_group_order(sig: &mut [u8; 64]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let v = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = v.to_le_bytes()[0];
        carry = v >> 8;
    }
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    let (vendor, session, vid) = keys();
    let get = base(Operation::Get, "tickets/4711/screenshot-1.png");
    let ok = signed(&get);
    let edited = |f: &dyn Fn(&mut AccessRequest)| {
        let mut r = get.clone();
        f(&mut r);
        signed(&r)
    };

    let mut non_canonical_vendor = ok.clone();
    add_group_order(&mut non_canonical_vendor.vendor_signature);
    let mut non_canonical_client = ok.clone();
    add_group_order(&mut non_canonical_client.client_signature);

    // The classic weak-key forgery: session key = identity, R = identity, S = 0 satisfies the
    // cofactored equation for any message. Strict verification refuses the key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut weak = edited(&|r| r.session_key = identity);
    weak.client_signature = [0; 64];
    weak.client_signature[0] = 1;
    // y = p + 1: a non-canonical encoding of the identity point.
    let mut y_p1 = [0xffu8; 32];
    y_p1[0] = 0xee;
    y_p1[31] = 0x7f;
    let mut non_canonical_key = edited(&|r| r.session_key = y_p1);
    non_canonical_key.client_signature = weak.client_signature;

    let sign_bit_identity = forged_session_key(&get, forgery::with_sign(forgery::IDENTITY));
    let sign_bit_minus_one = forged_session_key(&get, forgery::with_sign(forgery::MINUS_ONE));
    let mut r_small_order = ok.clone();
    r_small_order.client_signature = forgery::identity_r(&ok, &session, &forgery::IDENTITY);
    let mut r_not_canonical = ok.clone();
    r_not_canonical.client_signature = forgery::identity_r(&ok, &session, &forgery::IDENTITY_Y_P_PLUS_1);

    let mut raw_vendor = ok.clone();
    raw_vendor.vendor_signature = vendor.sign(&raw_vendor.request).to_bytes();
    raw_vendor.client_signature = sign::client_sign(&session, &raw_vendor.request, &vid, &raw_vendor.vendor_signature);
    let mut swapped = ok.clone();
    swapped.client_signature = session.sign(&sign::vendor_signed_bytes(&vid, &ok.request)).to_bytes();
    let mut other_id = ok.clone();
    other_id.vendor_key_id = "vendor-2025-12".into();
    let mut tampered = ok.clone();
    let at = tampered.request.len() - 40;
    tampered.request[at] ^= 0x01;
    let mut unsigned_vendor_swap = ok.clone();
    unsigned_vendor_swap.vendor_signature = signed(&base(Operation::Get, "tickets/4711/other.png")).vendor_signature;
    let mut malformed = ok.clone();
    malformed.request.push(0);

    let put = base(
        Operation::Put { content_length: 4242, sha256: Some(seed("digest")), content_type: None },
        "tickets/4711/upload.bin",
    );
    let list = base(Operation::ListPrefix, "tickets/4711/");

    let mut out = vec![
        case("ok-get", "ok", "vendor and client signatures over a get", &ok)?,
        case("ok-put", "ok", "a put with length and digest", &signed(&put))?,
        case("ok-list-prefix", "ok", "a prefix read", &signed(&list))?,
        case("malformed", "malformed_request", "a trailing byte after the request", &malformed)?,
        case(
            "wrong-audience",
            "wrong_audience",
            "signed for another gatekeeper",
            &edited(&|r| r.gatekeeper_id = "other-gk".into()),
        )?,
        case("dot-segment", "key_dot_segment", "a '..' segment", &edited(&|r| r.key = "tickets/../secrets/x".into()))?,
        case(
            "outside-root",
            "key_outside_root",
            "a key outside the root prefix",
            &edited(&|r| r.key = "invoices/1.pdf".into()),
        )?,
        case(
            "prefix-without-slash",
            "key_prefix_not_directory",
            "a prefix read of 'tickets/47'",
            &edited(&|r| {
                r.operation = Operation::ListPrefix;
                r.key = "tickets/47".into();
            }),
        )?,
        case(
            "expired",
            "expired",
            "expired more than the skew ago",
            &edited(&|r| {
                r.issued_at = NOW - 300;
                r.expires_at = NOW - 61;
            }),
        )?,
        case(
            "not-yet-valid",
            "not_yet_valid",
            "issued further ahead than the skew",
            &edited(&|r| {
                r.issued_at = NOW + 61;
                r.expires_at = NOW + 120;
            }),
        )?,
        case(
            "lifetime-too-long",
            "lifetime_too_long",
            "a window of 301 seconds",
            &edited(&|r| r.expires_at = r.issued_at + 301),
        )?,
        case("unknown-vendor-key", "unknown_vendor_key", "a key id the gatekeeper does not have", &other_id)?,
        case("vendor-s-not-canonical", "bad_vendor_signature", "vendor signature with S + L", &non_canonical_vendor)?,
        case(
            "vendor-signed-raw-request",
            "bad_vendor_signature",
            "the vendor signed the request without the label",
            &raw_vendor,
        )?,
        case(
            "vendor-signature-for-other-request",
            "bad_vendor_signature",
            "a vendor signature lifted from another request",
            &unsigned_vendor_swap,
        )?,
        case("request-tampered", "bad_vendor_signature", "one nonce bit flipped after signing", &tampered)?,
        case("client-s-not-canonical", "bad_client_signature", "client signature with S + L", &non_canonical_client)?,
        case(
            "client-used-vendor-label",
            "bad_client_signature",
            "the session key signed the vendor's message",
            &swapped,
        )?,
        case(
            "small-order-session-key",
            "bad_client_signature",
            "identity session key with R = identity, S = 0",
            &weak,
        )?,
        case(
            "non-canonical-session-key",
            "bad_client_signature",
            "session key encoded with y = p + 1",
            &non_canonical_key,
        )?,
        case(
            "session-key-x-zero-sign-bit",
            "bad_client_signature",
            "session key (0, 1) encoded with the sign bit set: x = 0 makes it non-canonical",
            &sign_bit_identity,
        )?,
        case(
            "session-key-minus-one-sign-bit",
            "bad_client_signature",
            "session key (0, -1), of order 2, encoded with the sign bit set",
            &sign_bit_minus_one,
        )?,
        case(
            "client-r-small-order",
            "bad_client_signature",
            "the real session key signed with R = identity, S = k*a",
            &r_small_order,
        )?,
        case(
            "client-r-not-canonical",
            "bad_client_signature",
            "the real session key signed with R = identity encoded as y = p + 1, S = k*a",
            &r_not_canonical,
        )?,
    ];
    out.extend(receipts(&ok)?);
    Ok(out)
}

fn receipt_case(name: &str, intended: &str, comment: &str, s: &SignedReceipt, sent: &[u8]) -> Result<Vector, String> {
    let gk = SigningKey::from_bytes(&seed("gatekeeper"));
    let verdict = sign::verify_receipt(s, &gk.verifying_key(), sent);
    let actual = verdict.as_ref().map_or_else(|e| e.code(), |_| "ok");
    expect(name, intended, actual)?;
    let mut v = Vector::new("receipt", name, intended, comment)
        .field("gatekeeper_key_id", &s.key_id)
        .hex("gatekeeper_public_key", gk.verifying_key().as_bytes())
        .hex("receipt", &s.bytes)
        .hex("receipt_signature", s.signature)
        .hex("sent_request", sent);
    if let Ok(r) = verdict {
        v = v
            .field("sequence", r.sequence())
            .field("decided_at", r.decided_at())
            .field("client_ip", r.client_ip())
            .hex("receipt_signed_bytes", sign::receipt_signed_bytes(&s.key_id, &s.bytes));
    }
    Ok(v)
}

fn receipts(ok: &Authorization) -> Result<Vec<Vector>, String> {
    let gk = SigningKey::from_bytes(&seed("gatekeeper"));
    let gk_id = KeyId::new("gk-2026-01").unwrap();
    let acl = Acl::uniform(Rules { allow_countries: None, ..Rules::default() });
    let verified = ok.verify(&policy(), NOW).unwrap();
    let v4 = verified.clone().check_acl(&acl, "::ffff:203.0.113.7".parse().unwrap(), None).unwrap();
    let v6 = verified.check_acl(&acl, "2001:db8::42".parse().unwrap(), None).unwrap();
    let signed4 = v4.receipt(1042, NOW + 1).sign(&gk, &gk_id);
    let signed6 = v6.receipt(1043, NOW + 2).sign(&gk, &gk_id);

    let mut tampered = signed4.clone();
    let at = tampered.bytes.len() - 6;
    tampered.bytes[at] ^= 1;
    let other = SigningKey::from_bytes(&seed("impostor"));
    let impostor = SignedReceipt {
        signature: other.sign(&sign::receipt_signed_bytes(&gk_id, &signed4.bytes)).to_bytes(),
        ..signed4.clone()
    };
    let mut relabelled = signed4.clone();
    relabelled.key_id = KeyId::new("gk-2026-02").unwrap();
    let mut trailing = signed4.clone();
    trailing.bytes.push(0);
    trailing.signature = gk.sign(&sign::receipt_signed_bytes(&gk_id, &trailing.bytes)).to_bytes();

    Ok(vec![
        receipt_case("ok-ipv4", "ok", "an IPv4-mapped client address is sent as family 4", &signed4, &ok.request)?,
        receipt_case("ok-ipv6", "ok", "an IPv6 client address", &signed6, &ok.request)?,
        receipt_case(
            "tampered",
            "bad_receipt_signature",
            "one bit of the sequence number flipped",
            &tampered,
            &ok.request,
        )?,
        receipt_case(
            "other-key",
            "bad_receipt_signature",
            "signed by a key other than the pinned one",
            &impostor,
            &ok.request,
        )?,
        receipt_case(
            "relabelled-key-id",
            "bad_receipt_signature",
            "the key id changed after signing",
            &relabelled,
            &ok.request,
        )?,
        receipt_case(
            "for-another-request",
            "receipt_mismatch",
            "a valid receipt for another request",
            &signed4,
            &signed(&base(Operation::Get, "tickets/1/x")).request,
        )?,
        receipt_case(
            "trailing-byte",
            "malformed_receipt",
            "a correctly signed receipt with a trailing byte",
            &trailing,
            &ok.request,
        )?,
    ])
}
