//! The router without a socket (`tower::ServiceExt::oneshot` on `http::app`, with the `PeerAddr`
//! that `serve` inserts): every route's answers, the shape of every error, CORS, the media type of
//! authorize bodies, the audit API's refusals, and the security headers on all of them.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use http_body_util::BodyExt as _;
use s3gk_gatekeeper::audit::SearchQuery;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::http::{self, PeerAddr};
use s3gk_protocol::Operation;
use serde_json::{json, Value};
use tower::ServiceExt as _;

use common::*;

/// A gatekeeper without servers; presigning a GET needs no S3 server.
async fn state(opts: Options) -> (Arc<Gatekeeper>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let gk = gatekeeper(&opts, &dir, &S3Endpoint::unchecked("http://127.0.0.1:9")).await;
    (gk, dir)
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

/// Sends `req` through the router as if from `peer`.
async fn send(gk: &Arc<Gatekeeper>, peer: &str, mut req: Request<Body>) -> Answer {
    req.extensions_mut().insert(PeerAddr(peer.parse().unwrap()));
    let response = http::app(gk.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let answer = Answer { status, headers, text: String::from_utf8(bytes.to_vec()).unwrap() };
    assert_secure(&answer);
    answer
}

fn request(method: Method, uri: &str) -> Request<Body> {
    Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()
}

/// The security headers every answer carries.
fn assert_secure(answer: &Answer) {
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("cache-control", "no-store"), ("referrer-policy", "no-referrer")]
    {
        let got = answer.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(got, Some(value), "{name} on a {} answer: {}", answer.status, answer.text);
    }
}

/// An error answer in exactly the documented shape, with this status and code.
fn assert_error(answer: &Answer, status: u16, code: &str) {
    let body = answer.json();
    assert_eq!((answer.status, body["error"]["code"].as_str()), (status, Some(code)), "{}", answer.text);
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert_eq!(body["error"].as_object().map(|o| o.len()), Some(2), "{body}");
    let content_type = answer.headers.get("content-type").and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/json"), "{}", answer.text);
}

/// `(decision, reason)` of every audit entry from `ip`.
async fn audited(gk: &Arc<Gatekeeper>, ip: &str) -> Vec<(String, String)> {
    let (audit, ip) = (gk.audit.clone(), ip.to_owned());
    let query = SearchQuery { ip: Some(ip), ..SearchQuery::default() };
    let entries = tokio::task::spawn_blocking(move || audit.search(&query)).await.unwrap().unwrap();
    entries.into_iter().map(|e| (e.entry.decision().to_string(), e.entry.reason().to_owned())).collect()
}

fn denied(reason: &str, n: usize) -> Vec<(String, String)> {
    vec![("denied".to_owned(), reason.to_owned()); n]
}

#[tokio::test]
async fn info_healthz_and_metrics() {
    let (gk, _dir) = state(Options::default()).await;
    let info = send(&gk, "127.0.0.1", request(Method::GET, "/v1/info")).await;
    assert_eq!((info.status, &info.json()["gatekeeper_id"]), (200, &json!(GATEKEEPER_ID)));
    assert_eq!(info.json()["limits"]["max_body_bytes"], 16384);
    let health = send(&gk, "127.0.0.1", request(Method::GET, "/healthz")).await;
    assert_eq!((health.status, health.json()), (200, json!({ "status": "ok" })));
    let metrics = send(&gk, "127.0.0.1", request(Method::GET, "/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.text.contains("gatekeeper_authorize_duration_seconds"), "{}", metrics.text);
}

#[tokio::test]
async fn cors_preflight_answers_only_the_exact_origin() {
    let (gk, _dir) = state(Options::default()).await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/authorize")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = send(&gk, "127.0.0.1", preflight(ORIGIN)).await;
    assert_eq!(allowed.headers.get("access-control-allow-origin").unwrap(), ORIGIN);
    let methods = allowed.headers.get("access-control-allow-methods").unwrap().to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
    for look_alike in ["http://localhost:8000.evil.example", "http://evil.localhost:8000", "https://localhost:8000"] {
        let refused = send(&gk, "127.0.0.1", preflight(look_alike)).await;
        assert!(refused.headers.get("access-control-allow-origin").is_none(), "{look_alike} must not be allowed");
    }
    // A preflight is no authorize request: nothing is audited.
    assert_eq!(audited(&gk, "127.0.0.1").await, []);
}

#[tokio::test]
async fn every_error_answer_has_the_documented_shape() {
    let (gk, _dir) = state(Options::default()).await;
    for path in ["/", "/v1", "/v1/nothing", "/v1/authorize/", "/healthz/x", "/v2/info"] {
        assert_error(&send(&gk, "127.0.0.1", request(Method::GET, path)).await, 404, "not_found");
    }
    let wrong = [
        (Method::POST, "/v1/info", "GET,HEAD"),
        (Method::DELETE, "/v1/audit", "GET,HEAD"),
        (Method::POST, "/healthz", "GET,HEAD"),
        (Method::PUT, "/metrics", "GET,HEAD"),
        (Method::GET, "/v1/authorize", "POST"),
    ];
    for (method, path, allow) in wrong {
        let answer = send(&gk, "127.0.0.1", request(method.clone(), path)).await;
        assert_error(&answer, 405, "method_not_allowed");
        assert_eq!(answer.headers.get("allow").unwrap(), allow, "{method} {path}");
    }
}

#[tokio::test]
async fn wrong_methods_on_authorize_are_audited() {
    let (gk, _dir) = state(Options::default()).await;
    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        let answer = send(&gk, "127.0.0.21", request(method, "/v1/authorize")).await;
        assert_error(&answer, 405, "method_not_allowed");
    }
    // HEAD gets the same answer without its body.
    assert_eq!(send(&gk, "127.0.0.21", request(Method::HEAD, "/v1/authorize")).await.status, 405);
    assert_eq!(audited(&gk, "127.0.0.21").await, denied("method_not_allowed", 5));
    // OPTIONS is CORS's: answered (with no CORS headers without an allowed origin), not refused.
    let options = send(&gk, "127.0.0.21", request(Method::OPTIONS, "/v1/authorize")).await;
    assert_eq!((options.status, options.headers.get("access-control-allow-origin")), (200, None));
    assert_eq!(audited(&gk, "127.0.0.21").await.len(), 5);
}

#[tokio::test]
async fn an_authorize_body_must_be_declared_json() {
    let (gk, _dir) = state(Options::default()).await;
    let client = Client::signer();
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a")).to_string();
    let post = |content_type: Option<&str>| {
        let mut req = Request::builder().method(Method::POST).uri("/v1/authorize");
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        req.body(Body::from(body.clone())).unwrap()
    };
    // A cross-site page can send these without a preflight; none reaches the checks.
    for refused in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let answer = send(&gk, "127.0.0.22", post(refused)).await;
        assert_error(&answer, 415, "unsupported_media_type");
    }
    assert_eq!(audited(&gk, "127.0.0.22").await, denied("unsupported_media_type", 3));
    // The same body, declared JSON (media type compared without case, parameters allowed), is
    // granted: its nonce was never spent by the refusals. The grant holds key material: no-store.
    let granted = send(&gk, "127.0.0.22", post(Some("Application/JSON; charset=utf-8"))).await;
    assert_eq!(granted.status, 200, "{}", granted.text);
    assert!(granted.json()["objects"][0]["key_material"].is_array(), "{}", granted.text);
    let mut expected = denied("unsupported_media_type", 3);
    expected.push(("granted".to_owned(), "granted".to_owned()));
    assert_eq!(audited(&gk, "127.0.0.22").await, expected);
}

#[tokio::test]
async fn the_audit_api_refuses_bad_parameters_with_400() {
    let (gk, _dir) = state(Options::default()).await;
    // One denied entry from 127.0.0.1, to find.
    send(&gk, "127.0.0.1", request(Method::GET, "/v1/authorize")).await;
    let search = |query: &str, token: Option<&str>| {
        let mut req = Request::builder().uri(format!("/v1/audit?{query}"));
        if let Some(t) = token {
            req = req.header("authorization", t);
        }
        req.body(Body::empty()).unwrap()
    };
    let admin = format!("Bearer {ADMIN_TOKEN}");
    for token in [None, Some("Bearer wrong-token"), Some(ADMIN_TOKEN), Some(&*format!("Basic {ADMIN_TOKEN}"))] {
        // Even a bad parameter is not looked at before the token.
        assert_error(&send(&gk, "127.0.0.1", search("limit=0", token)).await, 401, "unauthorized");
    }
    let long = "a".repeat(1025);
    let bad = [
        format!("q={long}"),
        format!("key_prefix={long}"),
        format!("ip={long}"),
        "ip=not-an-ip".to_owned(),
        "decision=maybe".to_owned(),
        "operation=delete".to_owned(),
        "limit=0".to_owned(),
        "limit=1001".to_owned(),
        "limit=ten".to_owned(),
        "from_ms=-1".to_owned(),
        "to_ms=soon".to_owned(),
        "after_seq=1.5".to_owned(),
        "decision=granted&decision=denied".to_owned(),
        "colour=blue".to_owned(),
    ];
    for query in bad {
        let answer = send(&gk, "127.0.0.1", search(&query, Some(&admin))).await;
        assert_error(&answer, 400, "malformed_query");
        assert!(!answer.text.contains(&long), "the message must not echo the value");
    }
    // The bounds themselves are fine; an IPv4-mapped address finds the IPv4 entries.
    let fine = [format!("q={}", "a".repeat(1024)), "limit=1000".to_owned(), "operation=".to_owned()];
    for query in fine {
        assert_eq!(send(&gk, "127.0.0.1", search(&query, Some(&admin))).await.status, 200, "{query}");
    }
    let found = send(&gk, "127.0.0.1", search("ip=::ffff:127.0.0.1&decision=denied", Some(&admin))).await;
    assert_eq!(found.json()["entries"][0]["reason"], "method_not_allowed", "{}", found.text);

    let (no_admin, _dir) = state(Options { admin_token: false, ..Options::default() }).await;
    assert_error(&send(&no_admin, "127.0.0.1", search("", Some(&admin))).await, 403, "admin_disabled");
}
