//! The isolated viewer's routes through the router without a socket: the page and every file under
//! the strict policy, each script the page names pinned by the digest of the bytes served, wrong
//! paths and methods answered in the documented shape (with the policy too), and nothing at all
//! when `[viewer]` is off.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::http::{self, PeerAddr};
use s3gk_gatekeeper::viewer::Integrity;
use serde_json::Value;
use tower::ServiceExt as _;

use common::viewer::{client_dir, MODULE, SNIPPET, WASM};
use common::*;

const VENDOR: &str = "https://helpdesk.vendor.example";
async fn state(viewer: bool) -> (Arc<Gatekeeper>, tempfile::TempDir, tempfile::TempDir) {
    let (dir, client) = (tempfile::tempdir().unwrap(), client_dir());
    let section = format!(
        "{}[[viewer.renderers]]\nname = \"helpdesk\"\nurl = \"{VENDOR}/renderers/helpdesk.js\"\nsha384 = \"{}\"\n",
        common::viewer::section(&client, VENDOR),
        Integrity::of(b"export function render() {}"),
    );
    let opts = Options { viewer: if viewer { section } else { String::new() }, ..Options::default() };
    let gk = gatekeeper(&opts, &dir, &S3Endpoint::unchecked("http://127.0.0.1:9")).await;
    (gk, dir, client)
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

async fn send(gk: &Arc<Gatekeeper>, method: Method, uri: &str) -> Answer {
    let mut req = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
    req.extensions_mut().insert(PeerAddr("127.0.0.1".parse().unwrap()));
    let response = http::app(gk.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    let answer = Answer { status, headers, body };
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("cache-control", "no-store"), ("referrer-policy", "no-referrer")]
    {
        assert_eq!(answer.header(name), Some(value), "{name} on {uri}");
    }
    answer
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} in {text}")) + start.len();
    &text[from..from + text[from..].find(end).unwrap()]
}

#[tokio::test]
async fn the_page_and_every_file_carry_the_strict_policy() {
    let (gk, _dir, _client) = state(true).await;
    let policy = gk.settings.viewer.as_ref().unwrap().policy().to_str().unwrap().to_owned();
    assert!(policy.contains(&format!("frame-ancestors {VENDOR};")), "{policy}");
    assert!(policy.contains("connect-src 'self' http://127.0.0.1:9;"), "{policy}");

    let page = send(&gk, Method::GET, "/v1/viewer/").await;
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert_eq!(page.header("content-security-policy"), Some(policy.as_str()));
    // Embedded by the vendor's page: frame-ancestors decides who may.
    assert_eq!(page.header("cross-origin-resource-policy"), Some("cross-origin"));

    for (path, body, content_type) in [
        ("frame.js", include_str!("../../../viewer/frame.js").as_bytes(), "text/javascript; charset=utf-8"),
        ("report.js", include_str!("../../../viewer/report.js").as_bytes(), "text/javascript; charset=utf-8"),
        ("viewer.css", include_str!("../../../viewer/viewer.css").as_bytes(), "text/css; charset=utf-8"),
        ("client/s3_gatekeeper_client.js", MODULE.as_bytes(), "text/javascript; charset=utf-8"),
        ("client/snippets/c-1/js/io.js", SNIPPET.as_bytes(), "text/javascript; charset=utf-8"),
        ("client/s3_gatekeeper_client_bg.wasm", WASM, "application/wasm"),
    ] {
        let answer = send(&gk, Method::GET, &format!("/v1/viewer/{path}")).await;
        assert_eq!((answer.status, answer.body.as_slice()), (200, body), "{path}");
        assert_eq!(answer.header("content-type"), Some(content_type), "{path}");
        assert_eq!(answer.header("content-security-policy"), Some(policy.as_str()), "{path}");
        assert_eq!(answer.header("cross-origin-resource-policy"), Some("same-origin"), "{path}");
    }

    let moved = send(&gk, Method::GET, "/v1/viewer").await;
    assert_eq!((moved.status, moved.header("location")), (308, Some("viewer/")));
    for uri in [
        "/v1/viewer/app.js",
        "/v1/viewer/client/../frame.js",
        "/v1/viewer/client/%2e%2e/frame.js",
        "/v1/viewer/client/x.d.ts",
    ] {
        let missing = send(&gk, Method::GET, uri).await;
        let body: Value = serde_json::from_slice(&missing.body).unwrap();
        assert_eq!((missing.status, body["error"]["code"].as_str()), (404, Some("not_found")), "{uri}");
        assert_eq!(missing.header("content-security-policy"), Some(policy.as_str()), "{uri}");
    }
    let posted = send(&gk, Method::POST, "/v1/viewer/").await;
    let body: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!((posted.status, body["error"]["code"].as_str()), (405, Some("method_not_allowed")));
    assert_eq!(posted.header("content-security-policy"), Some(policy.as_str()));
    // The API's own answers are unchanged.
    assert_eq!(send(&gk, Method::GET, "/healthz").await.header("content-security-policy"), None);
}

#[tokio::test]
async fn every_script_the_page_names_is_pinned_by_the_digest_of_what_is_served() {
    let (gk, _dir, _client) = state(true).await;
    let page = send(&gk, Method::GET, "/v1/viewer/").await;
    let (html, policy) = (page.text(), page.header("content-security-policy").unwrap().to_owned());
    let script_src = between(&policy, "script-src ", ";");
    let pinned = |integrity: &str| script_src.split(' ').any(|source| source == format!("'{integrity}'"));

    // The import map is inline: its exact text is pinned by hash.
    let map_text = between(&html, "<script type=\"importmap\">", "</script>");
    assert!(pinned(&Integrity::of(map_text.as_bytes()).to_string()), "{map_text}");
    let map: Value = serde_json::from_str(map_text).unwrap();
    let integrity = map["integrity"].as_object().unwrap();
    let mut served = 0;
    for (url, value) in integrity {
        let Some(path) = url.strip_prefix("./") else {
            assert_eq!(url, &format!("{VENDOR}/renderers/helpdesk.js"));
            assert!(pinned(value.as_str().unwrap()));
            continue;
        };
        let answer = send(&gk, Method::GET, &format!("/v1/viewer/{path}")).await;
        assert_eq!(value.as_str().unwrap(), Integrity::of(&answer.body).to_string(), "{url}");
        assert!(pinned(value.as_str().unwrap()), "{url}");
        served += 1;
    }
    assert_eq!(served, 3, "report.js, the client module and its snippet: {integrity:?}");
    let frame_integrity = between(&html, "src=\"frame.js\" integrity=\"", "\"");
    let frame = send(&gk, Method::GET, "/v1/viewer/frame.js").await;
    assert_eq!(frame_integrity, Integrity::of(&frame.body).to_string());
    assert!(pinned(frame_integrity));
    // import map, frame.js, report.js, client module, snippet, renderer: nothing else may run.
    assert_eq!(script_src.split(' ').filter(|s| s.starts_with("'sha384-")).count(), 6, "{script_src}");

    // The frame pins this gatekeeper's own key, and the wasm by digest.
    let config: Value = serde_json::from_str(between(&html, "id=\"viewer-config\">", "</script>")).unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode(gk.settings.gatekeeper_public_key());
    assert_eq!(config["gatekeeperPublicKey"], key.as_str());
    assert_eq!(config["gatekeeperKeyId"], "gk-test-1");
    assert_eq!(config["gatekeeperId"], GATEKEEPER_ID);
    assert_eq!(config["client"]["wasmIntegrity"], Integrity::of(WASM).to_string().as_str());
    assert_eq!(config["vendorOrigins"], serde_json::json!([VENDOR]));
}

#[tokio::test]
async fn without_the_viewer_its_paths_do_not_exist() {
    let (gk, _dir, _client) = state(false).await;
    for uri in ["/v1/viewer/", "/v1/viewer", "/v1/viewer/frame.js"] {
        let answer = send(&gk, Method::GET, uri).await;
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!((answer.status, body["error"]["code"].as_str()), (404, Some("not_found")), "{uri}");
        assert_eq!(answer.header("content-security-policy"), None);
    }
}

#[test]
fn check_config_prints_every_digest_it_pins_and_refuses_a_client_that_differs() {
    let (dir, client) = (tempfile::tempdir().unwrap(), client_dir());
    let vendor_public = hex::encode(ed25519_dalek::SigningKey::from_bytes(&seed(1)).verifying_key().as_bytes());
    let config = |extra: &str| {
        let text = format!(
            "gatekeeper_id = \"gk\"\nsigning_key = \"env:GK_SIGNING_KEY\"\nsigning_key_id = \"gk-1\"\n\
             [[vendor_keys]]\nid = \"v1\"\npublic_key = \"{vendor_public}\"\n\
             [[master_keys]]\nid = \"mk-1\"\nkey = \"env:GK_MASTER_KEY_1\"\n\
             [s3]\nendpoint = \"http://127.0.0.1:9000\"\nregion = \"us-east-1\"\nbucket = \"reports\"\npath_style = true\n\
             access_key_id = \"test\"\nsecret_access_key = \"env:S3_SECRET\"\n{}{extra}",
            common::viewer::section(&client, VENDOR)
        );
        let path = dir.path().join("gatekeeper.toml");
        std::fs::write(&path, text).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper"))
            .args(["check-config", "--config", path.to_str().unwrap()])
            .env("GK_SIGNING_KEY", hex::encode(seed(2)))
            .env("GK_MASTER_KEY_1", hex::encode(seed(3)))
            .env("S3_SECRET", "secret")
            .env("S3GK_GEO_DB", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geolite2-country-sample.mmdb"))
            .output()
            .unwrap()
    };
    let ok = config("");
    let out = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(ok.status.success(), "{out}{}", String::from_utf8_lossy(&ok.stderr));
    for (digest, path) in [
        (Integrity::of(include_str!("../../../viewer/frame.js").as_bytes()), "frame.js"),
        (Integrity::of(MODULE.as_bytes()), "client/s3_gatekeeper_client.js"),
        (Integrity::of(WASM), "client/s3_gatekeeper_client_bg.wasm"),
        (Integrity::of(SNIPPET.as_bytes()), "client/snippets/c-1/js/io.js"),
    ] {
        assert!(out.contains(&format!("  {digest}  {path}\n")), "{path} in {out}");
    }
    // A client folder that no longer holds the pinned files: the gatekeeper would not start.
    let stale = config(&format!("client_sha384 = [\"{}\"]\n", Integrity::of(b"an older client")));
    assert_eq!(stale.status.code(), Some(1));
    let errors = String::from_utf8_lossy(&stale.stderr);
    assert!(errors.contains("viewer.client_sha384: s3_gatekeeper_client.js has sha384-"), "{errors}");
    assert!(errors.contains("viewer.client_sha384[0]: no file in client_dir has this digest"), "{errors}");
}
