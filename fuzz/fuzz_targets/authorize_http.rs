//! `POST /v1/authorize` through the gatekeeper's router (`http::app`, `tower::ServiceExt::oneshot`,
//! no socket): JSON and base64 parsing, the pipeline's checks, the replay cache, the ACL, the audit
//! log and, for grants, presigning and key release.
//!
//! Input: `flags u8`, `X-Forwarded-For (u8 length, bytes)`, then the body. Flags bits 0-1 choose the
//! peer (loopback, a trusted proxy, a public address, an IPv4-mapped one), bit 2 *re-signs* the
//! body: if its `request` decodes, the target sets a current window, a fresh nonce (bit 6: the
//! previous one, a replay) and the known session key, and signs it with the vendor key its
//! `vendor_key_id` names; bit 3 declares the body `text/plain` instead of `application/json`;
//! bit 4 sends it with `PUT`.
//! The gatekeeper's clock stands at the signature vectors' `now`, so their authorizations are
//! current as they are (each grants once; its nonce is then spent).
//! The gatekeeper is built once (`s3gk_fuzz::service`), and again every 20 000 calls so its audit
//! log stays small.
//! Seeds: the signature vectors' authorizations as JSON, re-signed and raw.
//! Oracles: nothing panics; every answer is either a grant (only of a request honestly signed by a
//! configured vendor key and the session key: no forgery) or
//! the documented error shape with a code, never a 500; every call adds at least one audit entry;
//! a read grant releases the per-object key of its object only, a write grant only a write key;
//! no answer contains a master key, the signing seed, the S3 secret or the admin token.
#![no_main]

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::body::Body;
use axum::http::{header, Method, Request};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use s3gk_fuzz::service::{Service, ADMIN_TOKEN, MASTER_KEY, S3_SECRET, SIGNING_SEED};
use s3gk_fuzz::{Bytes, VENDOR_KEY_ID, VENDOR_KEY_ID_2};
use s3gk_gatekeeper::http::{self, PeerAddr};
use s3gk_protocol::sign::{client_sign, vendor_sign};
use s3gk_protocol::{AccessRequest, KeyId, ObjectKey};
use serde_json::Value;
use tower::ServiceExt as _;

const CALLS_PER_STATE: u64 = 20_000;

/// The gatekeeper, how many calls it has answered, and the last nonce the target signed.
struct State {
    service: Service,
    calls: u64,
    last_nonce: [u8; 16],
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Re-signs the body's request for now, with a fresh (or the previous) nonce; `None` if it has
/// none that decodes.
fn resign(body: &[u8], state: &mut State, replay: bool) -> Option<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(body).ok()?;
    let raw = B64.decode(json.get("request")?.as_str()?).ok()?;
    let mut request = AccessRequest::decode(&raw).ok()?;
    let now = s3gk_fuzz::VECTOR_NOW;
    let lifetime = request.expires_at.saturating_sub(request.issued_at).clamp(1, 300);
    (request.issued_at, request.expires_at) = (now, now + lifetime);
    if !replay {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        state.last_nonce = [n.to_be_bytes(), u64::from(std::process::id()).to_be_bytes()].concat().try_into().ok()?;
    }
    request.nonce = state.last_nonce;
    let session = s3gk_fuzz::session_key();
    request.session_key = session.verifying_key().to_bytes();
    let bytes = request.encode().ok()?;
    let id_text = json.get("vendor_key_id").and_then(Value::as_str).unwrap_or(VENDOR_KEY_ID).to_owned();
    let key = if id_text == VENDOR_KEY_ID_2 { s3gk_fuzz::vendor_key_2() } else { s3gk_fuzz::vendor_key() };
    let id = KeyId::new(&id_text).unwrap_or_else(|_| KeyId::new(VENDOR_KEY_ID).expect("valid"));
    let vendor = vendor_sign(&key, &id, &bytes);
    let client = client_sign(&session, &bytes, &id, &vendor);
    let object = json.as_object_mut()?;
    object.insert("request".into(), B64.encode(&bytes).into());
    object.insert("vendor_signature".into(), B64.encode(vendor).into());
    object.insert("client_signature".into(), B64.encode(client).into());
    serde_json::to_vec(&json).ok()
}

/// True when the body carries a request honestly signed by a configured vendor key and the session
/// key (the only kind the gatekeeper may grant).
fn honest(body: &[u8]) -> bool {
    let Ok(json) = serde_json::from_slice::<Value>(body) else { return false };
    let bytes = |field: &str| json[field].as_str().and_then(|t| B64.decode(t).ok());
    let signature = |field: &str| bytes(field).and_then(|b| <[u8; 64]>::try_from(b).ok());
    let (Some(request), Some(id), Some(vendor), Some(client)) = (
        bytes("request"),
        json["vendor_key_id"].as_str(),
        signature("vendor_signature"),
        signature("client_signature"),
    ) else {
        return false;
    };
    s3gk_fuzz::honestly_signed(&request, id, &vendor, &client)
}

/// A read releases the per-object key of exactly its object; a write releases only a write key.
fn check_key_release(object: &Value) {
    let key = object["key"].as_str().expect("each object has a key");
    match object["method"].as_str() {
        Some("GET") => {
            let name = ObjectKey::parse(key).expect("only valid keys are granted");
            let expected = s3gk_fuzz::master_key().object_key(s3gk_fuzz::BUCKET, &name);
            let released = object["key_material"][0]["key"].as_str().expect("a read releases a key");
            assert_eq!(released, B64.encode(expected.as_bytes()), "a key for another object");
            assert!(object.get("write_key").is_none());
        }
        Some("PUT") => {
            assert!(object.get("key_material").is_none(), "a write released a per-object key");
            assert!(object["write_key"]["key"].is_string(), "a write without its write key");
        }
        other => panic!("unknown method {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes::new(data);
    let flags = b.u8();
    let forwarded = b.short().to_vec();
    let body = b.rest();

    let mut guard = STATE.lock().unwrap_or_else(|p| p.into_inner());
    if guard.as_ref().is_none_or(|s| s.calls >= CALLS_PER_STATE) {
        *guard = None;
        *guard = Some(State { service: Service::new(), calls: 0, last_nonce: [0; 16] });
    }
    let state = guard.as_mut().expect("built above");
    state.calls += 1;
    let peer: IpAddr = match flags & 3 {
        0 => "127.0.0.1",
        1 => "10.0.0.7",
        2 => "203.0.113.9",
        _ => "::ffff:198.51.100.200",
    }
    .parse()
    .expect("valid");
    let signed = if flags & 4 != 0 { resign(body, state, flags & 0x40 != 0) } else { None };
    let content_type = if flags & 8 != 0 { "text/plain" } else { "application/json" };
    let mut request = Request::builder()
        .method(if flags & 0x10 != 0 { Method::PUT } else { Method::POST })
        .uri("/v1/authorize")
        .header(header::CONTENT_TYPE, content_type);
    if !forwarded.is_empty() {
        if let Ok(value) = axum::http::HeaderValue::from_bytes(&forwarded) {
            request = request.header("x-forwarded-for", value);
        }
    }
    let sent = signed.unwrap_or_else(|| body.to_vec());
    let mut request = request.body(Body::from(sent.clone())).expect("a request");
    request.extensions_mut().insert(PeerAddr(peer));

    let before = state.service.gk.audit.head().0;
    let app = http::app(state.service.gk.clone());
    let (status, text) = state.service.runtime.block_on(async {
        let response = app.oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.expect("the answer is readable");
        (status, String::from_utf8(bytes.to_vec()).expect("answers are UTF-8"))
    });
    assert!(state.service.gk.audit.head().0 > before, "an authorize call left no audit entry: {status} {text}");
    assert_ne!(status, 500, "an internal error: {text}");
    let answer: Value = serde_json::from_str(&text).expect("every answer is JSON");
    if status == 200 {
        assert!(honest(&sent), "a grant for a request not honestly signed");
        assert_eq!(answer["decision"], "granted");
        for object in answer["objects"].as_array().expect("a grant lists objects") {
            check_key_release(object);
        }
    } else {
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        assert!(!code.is_empty() && answer["error"]["message"].is_string(), "not the error shape: {text}");
    }
    let master_b64 = B64.encode(s3gk_fuzz::master_key_bytes());
    for secret in [MASTER_KEY, SIGNING_SEED, S3_SECRET, ADMIN_TOKEN, master_b64.as_str()] {
        assert!(!text.contains(secret), "a secret in an answer");
    }
});
