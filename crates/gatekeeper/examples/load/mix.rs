//! The soak's mix of requests, each kind with the one answer it must get: grants (get, put,
//! prefix read), denials (a client address the ACL refuses, a bad vendor co-signature, a granted
//! body sent again) and malformed input (not JSON, bad base64, the wrong media type, a body over
//! the limit).
//!
//! The kinds are laid out over a shuffled cycle of 100 slots by weight, so every stretch of 100
//! requests has the same mix. Signed bodies are made ahead of their send time by a thread of
//! their own ([`produce`]), so signing is not on the sending path.

use std::sync::Arc;

use rand_core::{OsRng, RngCore as _};
use s3gk_protocol::Operation;
use tokio::sync::mpsc;

use crate::client::{json, Signed, Signer};
use crate::procs::VENDOR_KEY_ID;

/// A kind of request in the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Get,
    Put,
    List,
    AclDenied,
    BadCosign,
    Replay,
    NotJson,
    BadBase64,
    WrongType,
    Oversized,
}

/// Each kind's share of 100 requests.
const WEIGHTS: [(Kind, u32); 10] = [
    (Kind::Get, 55),
    (Kind::Put, 8),
    (Kind::List, 2),
    (Kind::AclDenied, 8),
    (Kind::BadCosign, 7),
    (Kind::Replay, 7),
    (Kind::NotJson, 4),
    (Kind::BadBase64, 3),
    (Kind::WrongType, 3),
    (Kind::Oversized, 3),
];

impl Kind {
    /// Its name in the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Get => "grant get",
            Kind::Put => "grant put",
            Kind::List => "grant list_prefix",
            Kind::AclDenied => "denied by the ACL",
            Kind::BadCosign => "bad co-signature",
            Kind::Replay => "replay",
            Kind::NotJson => "not JSON",
            Kind::BadBase64 => "bad base64",
            Kind::WrongType => "wrong media type",
            Kind::Oversized => "oversized body",
        }
    }

    /// The refusal it must get (status, code); `None` for the kinds that must be granted.
    pub(crate) fn expected_refusal(self) -> Option<(u16, &'static str)> {
        match self {
            Kind::Get | Kind::Put | Kind::List => None,
            Kind::AclDenied => Some((403, "acl_denied_ip")),
            Kind::BadCosign => Some((403, "bad_vendor_signature")),
            Kind::Replay => Some((403, "replayed_nonce")),
            Kind::NotJson => Some((400, "malformed_json")),
            Kind::BadBase64 => Some((400, "malformed_request")),
            Kind::WrongType => Some((415, "unsupported_media_type")),
            Kind::Oversized => Some((413, "body_too_large")),
        }
    }
}

/// One request, ready to send at its slot.
pub(crate) struct Job {
    pub(crate) kind: Kind,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: &'static str,
    /// For the kinds that must be granted (and the get a replay falls back to): the request, to
    /// check the grant against.
    pub(crate) signed: Option<Signed>,
    /// Send from 127.0.0.2 (which the ACL refuses).
    pub(crate) from_denied_address: bool,
}

/// The cycle of 100 kinds, shuffled.
fn cycle() -> Vec<Kind> {
    let mut slots: Vec<Kind> = WEIGHTS.iter().flat_map(|&(kind, n)| std::iter::repeat_n(kind, n as usize)).collect();
    for i in (1..slots.len()).rev() {
        slots.swap(i, OsRng.next_u64() as usize % (i + 1));
    }
    slots
}

/// Makes `count` jobs in slot order on a thread of its own, `ahead` at most waiting in the queue;
/// the prefix reads ask for `seeded`.
pub(crate) fn produce(signer: Arc<Signer>, count: u64, ahead: usize, seeded: String) -> mpsc::Receiver<Job> {
    let (tx, rx) = mpsc::channel(ahead.max(1));
    std::thread::spawn(move || {
        let slots = cycle();
        let session = Signer::session();
        for i in 0..count {
            let kind = slots.get((i % 100) as usize).copied().unwrap_or(Kind::Get);
            let Some(job) = make(&signer, &session, kind, &seeded) else { return };
            if tx.blocking_send(job).is_err() {
                return;
            }
        }
    });
    rx
}

/// A job of `kind`; `None` if signing failed (the harness then stops early and reports it).
fn make(signer: &Signer, session: &ed25519_dalek::SigningKey, kind: Kind, seeded: &str) -> Option<Job> {
    let sign = |operation: Operation, key: &str| signer.sign(session, operation, key).ok();
    let get = || sign(Operation::Get, &format!("tickets/soak/{}/report.json", OsRng.next_u32() % 1000));
    let job = |body: Vec<u8>, signed: Option<Signed>| Job {
        kind,
        body,
        content_type: "application/json",
        signed,
        from_denied_address: kind == Kind::AclDenied,
    };
    Some(match kind {
        // A replay's body is picked at send time from recent grants; this get is its fallback.
        Kind::Get | Kind::Replay | Kind::AclDenied => {
            let signed = get()?;
            job(json(&signed.body), Some(signed))
        }
        Kind::Put => {
            let put = Operation::Put { content_length: 4096, sha256: None, content_type: None };
            let signed = sign(put, &format!("tickets/soak/upload-{:016x}.bin", OsRng.next_u64()))?;
            job(json(&signed.body), Some(signed))
        }
        Kind::List => {
            let signed = sign(Operation::ListPrefix, seeded)?;
            job(json(&signed.body), Some(signed))
        }
        Kind::BadCosign => {
            let signed = get()?;
            let mut body = signed.body.clone();
            let mut vendor = body.vendor_signature.decode()?;
            *vendor.first_mut()? ^= 0x01;
            body.vendor_signature = s3gk_wire::Base64::encode(vendor);
            job(json(&body), None)
        }
        Kind::NotJson => job(b"{\"request\": \"AAAA\", \"vendor_key_id\": ".to_vec(), None),
        Kind::BadBase64 => {
            let text = format!(
                r#"{{"request":"not*base64","vendor_key_id":"{VENDOR_KEY_ID}","vendor_signature":"AAAA","client_signature":"AAAA"}}"#
            );
            job(text.into_bytes(), None)
        }
        Kind::WrongType => {
            let signed = get()?;
            Job { content_type: "text/plain", ..job(json(&signed.body), None) }
        }
        // Over the 16 KiB `max_body_bytes` by a quarter; its Content-Length says so.
        Kind::Oversized => job(vec![b' '; 20 * 1024], None),
    })
}
