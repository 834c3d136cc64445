//! The demo vendor's router, called with `oneshot` (no socket): every answer, the report page's,
//! the API's, errors and CORS preflights, carries the Content-Security-Policy and the security
//! headers; the API's answers are never stored; the page itself needs nothing inline.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use ed25519_dalek::SigningKey;
use s3gk_demo_vendor::{app, session::Sessions, PagePolicy, Site, VendorState};
use s3gk_protocol::{GatekeeperId, KeyId};
use tower::ServiceExt as _;
use zeroize::Zeroizing;

const PAGE: &str = "http://127.0.0.1:8080";
const TEST_RUNNER: &str = "http://127.0.0.1:8123";

fn www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www")
}

fn policy() -> PagePolicy {
    PagePolicy::new("http://127.0.0.1:8081", "http://127.0.0.1:8082", None).unwrap()
}

fn vendor(www: Option<PathBuf>) -> Router {
    let state = VendorState {
        sessions: Sessions::default(),
        signer: SigningKey::from_bytes(&[7; 32]),
        signer_key_id: KeyId::new("vendor-test-1").unwrap(),
        gatekeeper_id: GatekeeperId::new("gk-test").unwrap(),
        gatekeeper_url: "http://127.0.0.1:8081".into(),
        admin_token: Zeroizing::new("t".repeat(32)),
        http: reqwest::Client::new(),
        post_origins: vec![PAGE.into()],
        page_config: serde_json::json!({ "gatekeeper_url": "http://127.0.0.1:8081" }),
        page_policy: policy(),
    };
    app(Arc::new(state), &Site { www, cors_origins: vec![TEST_RUNNER.into()], ..Site::default() })
}

async fn send(router: &Router, request: Request<Body>) -> Response {
    router.clone().oneshot(request).await.unwrap()
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn login(origin: &str) -> Request<Body> {
    Request::post("/api/login")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"username":"alice","password":"alice-demo"}"#))
        .unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).map_or("<missing>", |v| v.to_str().unwrap())
}

/// The four headers every answer carries, with exactly these values.
fn assert_secure(response: &Response, what: &str) {
    assert_eq!(header(response, "content-security-policy"), policy().as_str(), "{what}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(response, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(response, "cross-origin-opener-policy"), "same-origin", "{what}");
}

#[tokio::test]
async fn the_page_and_its_files_carry_the_policy_and_revalidate() {
    let router = vendor(Some(www()));
    for (path, status, kind) in [
        ("/", StatusCode::OK, "text/html"),
        ("/index.html", StatusCode::OK, "text/html"),
        ("/app.js", StatusCode::OK, "text/javascript"),
        ("/style.css", StatusCode::OK, "text/css"),
        ("/no-such-file.js", StatusCode::NOT_FOUND, ""),
    ] {
        let response = send(&router, get(path)).await;
        assert_eq!(response.status(), status, "{path}");
        assert_secure(&response, path);
        assert!(header(&response, "content-type").starts_with(kind), "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}: static files revalidate");
    }
    // Without a page folder the placeholder is served under the same policy.
    let placeholder = send(&vendor(None), get("/")).await;
    assert_eq!(placeholder.status(), StatusCode::OK);
    assert_secure(&placeholder, "placeholder");
}

#[tokio::test]
async fn every_api_answer_carries_the_headers_and_is_never_stored() {
    let router = vendor(Some(www()));
    let logged_in = send(&router, login(PAGE)).await;
    assert_eq!(logged_in.status(), StatusCode::OK);
    let cookie = header(&logged_in, "set-cookie").split(';').next().unwrap().to_owned();
    let session = Request::get("/api/session").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/session")
        .header(header::ORIGIN, TEST_RUNNER)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap();
    let wrong_method = Request::builder().method(Method::DELETE).uri("/api/login").body(Body::empty()).unwrap();

    let answers = [
        ("login", StatusCode::OK, logged_in),
        ("session", StatusCode::OK, send(&router, session).await),
        ("config", StatusCode::OK, send(&router, get("/api/config")).await),
        ("no session", StatusCode::UNAUTHORIZED, send(&router, get("/api/session")).await),
        ("foreign origin", StatusCode::FORBIDDEN, send(&router, login("http://evil.example")).await),
        ("unknown endpoint", StatusCode::NOT_FOUND, send(&router, get("/api/nope")).await),
        ("wrong method", StatusCode::METHOD_NOT_ALLOWED, send(&router, wrong_method).await),
        ("cors preflight", StatusCode::OK, send(&router, preflight).await),
    ];
    for (what, status, response) in &answers {
        assert_eq!(response.status(), *status, "{what}");
        assert_secure(response, what);
        assert_eq!(header(response, "cache-control"), "no-store", "{what}");
    }
    let preflight = &answers[7].2;
    assert_eq!(header(preflight, "access-control-allow-origin"), TEST_RUNNER);
}

/// Under `default-src 'none'` without `'unsafe-inline'`, an inline script, style block, `style=`
/// attribute or event-handler attribute would be blocked: the page has none.
#[test]
fn the_page_needs_nothing_inline() {
    let html = std::fs::read_to_string(www().join("index.html")).unwrap().to_ascii_lowercase();
    assert!(!html.contains("<style"), "inline <style>");
    assert!(!html.contains(" style="), "style= attribute");
    assert!(!html.contains("javascript:"), "javascript: URL");
    for (at, _) in html.match_indices("<script") {
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        assert!(tag.contains(" src="), "inline script: {tag}");
    }
    for attribute in html.split_whitespace().filter(|w| w.contains('=')).filter_map(|w| w.split('=').next()) {
        assert!(
            !(attribute.starts_with("on") && attribute.len() > 2 && attribute.bytes().all(|b| b.is_ascii_lowercase())),
            "event-handler attribute {attribute}"
        );
    }
    let script = std::fs::read_to_string(www().join("app.js")).unwrap();
    for forbidden in ["eval(", "new Function", ".innerHTML", "setAttribute(\"style\"", "insertAdjacentHTML"] {
        assert!(!script.contains(forbidden), "app.js uses {forbidden}");
    }
}
