//! Vectors for the vendor co-signer's own checks (`docs/protocol.md`, section 4.1): decode,
//! audience, key syntax and a window issued now by the co-signer's clock, then the signature.

use ed25519_dalek::SigningKey;
use s3gk_protocol::cosign::CosignPolicy;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::request::{AccessRequest, Operation};
use s3gk_protocol::sign::vendor_signed_bytes;
use s3gk_protocol::{GatekeeperId, KeyId};

use crate::request::base;
use crate::vector::Vector;
use crate::{expect, seed};

/// The co-signer's clock: ten seconds after the base request's `issued_at`.
const NOW: u64 = 1_800_000_010;
const DAY: u64 = 86_400;

fn policy() -> CosignPolicy {
    CosignPolicy { gatekeeper_id: GatekeeperId::new("acme-gk.example:eu-1").unwrap(), time: TimePolicy::default() }
}

fn at(issued_at: u64, lifetime: u64) -> AccessRequest {
    AccessRequest {
        issued_at,
        expires_at: issued_at.saturating_add(lifetime),
        ..base(Operation::Get, "tickets/4711/a.png")
    }
}

fn case(name: &str, intended: &str, comment: &str, request: &[u8]) -> Result<Vector, String> {
    let p = policy();
    let vendor = SigningKey::from_bytes(&seed("vendor"));
    let vid = KeyId::new("vendor-2026-01").unwrap();
    let checked = p.check(request, NOW);
    expect(name, intended, checked.as_ref().map_or_else(|d| d.code(), |_| "ok"))?;
    let mut v = Vector::new("cosign", name, intended, comment)
        .field("gatekeeper_id", &p.gatekeeper_id)
        .field("now", NOW)
        .field("max_lifetime", p.time.max_lifetime())
        .field("max_skew", p.time.max_skew())
        .field("vendor_key_id", &vid)
        .hex("vendor_seed", seed("vendor"))
        .hex("request", request);
    if let Ok(candidate) = checked {
        v = v
            .hex("vendor_signed_bytes", vendor_signed_bytes(&vid, request))
            .hex("vendor_signature", candidate.sign(&vendor, &vid));
    }
    Ok(v)
}

fn enc(r: &AccessRequest) -> Vec<u8> {
    r.encode().unwrap()
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    let skew = TimePolicy::default().max_skew();
    let put = AccessRequest {
        operation: Operation::Put { content_length: 1234, sha256: None, content_type: Some("image/png".into()) },
        ..base(Operation::Get, "tickets/4711/new.png")
    };
    let mut trailing = enc(&at(NOW, 60));
    trailing.push(0);
    let mut version_2 = enc(&at(NOW, 60));
    version_2[33] = 2;
    Ok(vec![
        case("ok-get", "ok", "a get issued now", &enc(&at(NOW, 60)))?,
        case("ok-put", "ok", "a put issued now", &enc(&AccessRequest { issued_at: NOW, expires_at: NOW + 60, ..put }))?,
        case(
            "ok-list-prefix",
            "ok",
            "a prefix read",
            &enc(&AccessRequest {
                issued_at: NOW,
                expires_at: NOW + 60,
                ..base(Operation::ListPrefix, "tickets/4711/")
            }),
        )?,
        case("ok-issued-skew-ahead", "ok", "issued_at = now + max_skew (inclusive)", &enc(&at(NOW + skew, 60)))?,
        case("ok-issued-skew-behind", "ok", "issued_at = now - max_skew (inclusive)", &enc(&at(NOW - skew, 60)))?,
        case("ok-longest-window", "ok", "expires_at - issued_at = max_lifetime", &enc(&at(NOW, 300)))?,
        case("issued-after-skew", "not_yet_valid", "issued_at = now + max_skew + 1", &enc(&at(NOW + skew + 1, 60)))?,
        case(
            "issued-in-30-days",
            "not_yet_valid",
            "a window starting 30 days from now: never co-signed in advance",
            &enc(&at(NOW + 30 * DAY, 60)),
        )?,
        case("issued-before-skew", "stale_request", "issued_at = now - max_skew - 1", &enc(&at(NOW - skew - 1, 120)))?,
        case("ended-yesterday", "stale_request", "a window that ended yesterday", &enc(&at(NOW - DAY, 60)))?,
        case("lifetime-too-long", "lifetime_too_long", "a window one second over max_lifetime", &enc(&at(NOW, 301)))?,
        case("empty-window", "invalid_time_window", "expires_at = issued_at", &enc(&at(NOW, 0)))?,
        case(
            "wrong-audience",
            "wrong_audience",
            "a request for another gatekeeper",
            &enc(&AccessRequest { gatekeeper_id: "other-gk".into(), ..at(NOW, 60) }),
        )?,
        case(
            "dot-segment",
            "key_dot_segment",
            "a key that would pass a naive prefix check: tickets/4711/../4712/a.png",
            &enc(&AccessRequest { key: "tickets/4711/../4712/a.png".into(), ..at(NOW, 60) }),
        )?,
        case(
            "prefix-without-slash",
            "key_prefix_not_directory",
            "a prefix read of tickets/4711",
            &enc(&AccessRequest {
                issued_at: NOW,
                expires_at: NOW + 60,
                ..base(Operation::ListPrefix, "tickets/4711")
            }),
        )?,
        case("trailing-byte", "malformed_request", "one byte after the last field", &trailing)?,
        case("version-2", "unsupported_version", "a version this co-signer does not speak", &version_2)?,
    ])
}
