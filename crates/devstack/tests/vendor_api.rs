//! The demo vendor through real HTTP: login, co-signing and its refusals, a grant through the
//! real gatekeeper that lists, downloads and decrypts the seeded ticket, and the page's policy
//! naming this stack's gatekeeper and S3.

mod common;

use common::*;
use s3gk_protocol::object;
use s3gk_protocol::sign::{vendor_signed_bytes, verify_receipt, SignedReceipt};
use s3gk_protocol::{KeyId, Operation};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;

#[tokio::test]
async fn login_and_session() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), false).await;
    let mut browser = Browser::new(&stack);

    let (status, body) = browser.login("alice", "wrong").await;
    assert_eq!((status, code(&body)), (401, "bad_credentials"), "{body}");
    assert!(browser.cookie.is_none());
    let (status, body) = browser.get("/api/session").await;
    assert_eq!((status, code(&body)), (401, "not_logged_in"));
    let (status, body) = browser.post("/api/login", &json!({ "username": "alice" })).await;
    assert_eq!((status, code(&body)), (400, "malformed_json"));

    let (status, body) = browser.login("alice", "alice-demo").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = browser.get("/api/session").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "user": "alice", "prefixes": ["tickets/1001/", "tickets/1002/"] }));

    let (status, _) = browser.post("/api/logout", &json!({})).await;
    assert_eq!(status, 200);
    let (status, body) = browser.get("/api/session").await;
    assert_eq!((status, code(&body)), (401, "not_logged_in"), "the old cookie is dead");
    stack.shutdown().await;
}

#[tokio::test]
async fn cosign_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), false).await;
    let mut alice = Browser::new(&stack);
    let read = alice.request(Operation::ListPrefix, "tickets/1001/", 60).encode().unwrap();

    let (status, body) = alice.cosign(&read).await;
    assert_eq!((status, code(&body)), (401, "not_logged_in"), "{body}");

    alice.login("alice", "alice-demo").await;
    let other = alice.request(Operation::Get, "tickets/2001/x", 60).encode().unwrap();
    let (status, body) = alice.cosign(&other).await;
    assert_eq!((status, code(&body)), (403, "vendor_denied"), "{body}");
    let dots = alice.request(Operation::Get, "tickets/1001/../2001/x", 60).encode().unwrap();
    let (status, body) = alice.cosign(&dots).await;
    assert_eq!((status, code(&body)), (400, "key_dot_segment"), "{body}");
    let long = alice.request(Operation::Get, "tickets/1001/x", 301).encode().unwrap();
    let (status, body) = alice.cosign(&long).await;
    assert_eq!((status, code(&body)), (400, "lifetime_too_long"), "{body}");
    let mut elsewhere = alice.request(Operation::Get, "tickets/1001/x", 60);
    elsewhere.gatekeeper_id = "another-gk".into();
    let (status, body) = alice.cosign(&elsewhere.encode().unwrap()).await;
    assert_eq!((status, code(&body)), (403, "wrong_audience"), "{body}");
    let (status, body) = alice.cosign(b"not a request").await;
    assert_eq!((status, code(&body)), (400, "malformed_request"), "{body}");
    // Windows that do not start now are never co-signed: 30 days ahead, and one that ended
    // yesterday (both would be valid at the gatekeeper at some time).
    let days = |d: u64| d * 86_400;
    let mut ahead = alice.request(Operation::Get, "tickets/1001/x", 60);
    (ahead.issued_at, ahead.expires_at) = (ahead.issued_at + days(30), ahead.expires_at + days(30));
    let (status, body) = alice.cosign(&ahead.encode().unwrap()).await;
    assert_eq!((status, code(&body)), (400, "not_yet_valid"), "{body}");
    let mut ended = alice.request(Operation::Get, "tickets/1001/x", 60);
    (ended.issued_at, ended.expires_at) = (ended.issued_at - days(1), ended.expires_at - days(1));
    let (status, body) = alice.cosign(&ended.encode().unwrap()).await;
    assert_eq!((status, code(&body)), (400, "stale_request"), "{body}");

    let mut bob = Browser::new(&stack);
    bob.login("bob", "bob-demo").await;
    let (status, body) = bob.cosign(&read).await;
    assert_eq!((status, code(&body)), (403, "vendor_denied"), "bob may not read alice's ticket: {body}");
    let (status, body) = bob.get("/api/audit?prefix=tickets/1001/").await;
    assert_eq!((status, code(&body)), (403, "vendor_denied"), "{body}");
    stack.shutdown().await;
}

#[tokio::test]
async fn alice_reads_the_seeded_ticket_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), true).await;
    assert_eq!(stack.seeded().unwrap().uploaded.len(), SEEDED);
    let info = stack.info().clone();
    let mut alice = Browser::new(&stack);
    alice.login("alice", "alice-demo").await;

    // The vendor's signature verifies under its published key, over the exact request bytes.
    let req = alice.request(Operation::ListPrefix, "tickets/1001/", 60);
    let bytes = req.encode().unwrap();
    let (status, cosigned) = alice.cosign(&bytes).await;
    assert_eq!(status, 200, "{cosigned}");
    assert_eq!(cosigned["vendor_key_id"], info.vendor_key_id);
    let signature: [u8; 64] = B64.decode(cosigned["vendor_signature"].as_str().unwrap()).unwrap().try_into().unwrap();
    let signed = vendor_signed_bytes(&KeyId::new(&info.vendor_key_id).unwrap(), &bytes);
    b64_key(&info.vendor_public_key)
        .verify_strict(&signed, &ed25519_dalek::Signature::from_bytes(&signature))
        .expect("vendor signature verifies");

    // With the client signature the real gatekeeper grants the whole prefix.
    let (status, grant) = alice.authorize(&bytes, &cosigned).await;
    assert_eq!(status, 200, "{grant}");
    let receipt = SignedReceipt {
        bytes: B64.decode(grant["receipt"]["bytes"].as_str().unwrap()).unwrap(),
        key_id: KeyId::new(grant["receipt"]["key_id"].as_str().unwrap()).unwrap(),
        signature: B64.decode(grant["receipt"]["signature"].as_str().unwrap()).unwrap().try_into().unwrap(),
    };
    verify_receipt(&receipt, &b64_key(&info.gatekeeper_public_key), &bytes).expect("receipt verifies under the pin");
    let names: Vec<String> =
        ["app.log", "screenshot-1.png", "screenshot-2.png", "screenshot-3.png", "system-info.txt", "ticket.json"]
            .iter()
            .map(|n| format!("tickets/1001/{n}"))
            .collect();
    assert_eq!(keys(&grant), names);

    // Download and decrypt two of them.
    for object in grant["objects"].as_array().unwrap() {
        let key = object["key"].as_str().unwrap();
        if !(key.ends_with("ticket.json") || key.ends_with("screenshot-1.png")) {
            continue;
        }
        let resp = alice.http.get(object["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let ciphertext = resp.bytes().await.unwrap();
        assert!(!ciphertext.windows(8).any(|w| w == b"Northwin"), "stored encrypted");
        let plain = object::decrypt(&key_material(object), &ciphertext).unwrap();
        if key.ends_with("ticket.json") {
            let ticket: serde_json::Value = serde_json::from_slice(&plain).unwrap();
            assert_eq!(ticket["id"], 1001);
            assert!(ticket["technician_notes"].as_array().unwrap().len() >= 2);
        } else {
            assert_eq!(&plain[..8], b"\x89PNG\r\n\x1a\n");
        }
    }

    // The demo audit proxy shows the grant, for a prefix alice may read.
    let (status, audit) = alice.get("/api/audit?prefix=tickets/1001/").await;
    assert_eq!(status, 200, "{audit}");
    let entries = audit["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["operation"] == "list_prefix" && e["decision"] == "granted"), "{audit}");
    assert!(entries.iter().all(|e| e["key"].as_str().unwrap().starts_with("tickets/1001/")));
    let (status, body) = alice.get("/api/audit?prefix=tickets/").await;
    assert_eq!((status, code(&body)), (403, "vendor_denied"));
    stack.shutdown().await;
}

#[tokio::test]
async fn cors_and_origins_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.extra_origins = vec!["http://127.0.0.1:8123".into()];
    let stack = s3gk_devstack::DevStack::start(config).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/api/session", stack.info().vendor);
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("http://127.0.0.1:8123").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "http://127.0.0.1:8123");
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    let other = preflight("http://127.0.0.1:8124").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // A login POSTed from a foreign origin is refused; from the page's own origin it is not.
    let login = json!({ "username": "alice", "password": "alice-demo" });
    let login_url = format!("{}/api/login", stack.info().vendor);
    let foreign = http.post(&login_url).header("origin", "http://evil.example").json(&login).send().await.unwrap();
    assert_eq!(foreign.status(), 403);
    let own = http.post(&login_url).header("origin", stack.info().vendor.as_str()).json(&login).send().await.unwrap();
    assert_eq!(own.status(), 200);

    let bad = s3gk_devstack::DevStack::start({
        let mut c = common::config(dir.path());
        c.extra_origins = vec!["http://127.0.0.1:8123/".into()];
        c
    })
    .await;
    assert!(bad.unwrap_err().to_string().contains("exact"));
    stack.shutdown().await;
}

#[tokio::test]
async fn the_page_policy_names_exactly_this_stacks_gatekeeper_and_s3() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), false).await;
    let info = stack.info().clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/", "/api/config"] {
        let resp = http.get(format!("{}{path}", info.vendor)).send().await.unwrap();
        let policy = resp.headers()["content-security-policy"].to_str().unwrap();
        let connect = policy.split(';').map(str::trim).find(|d| d.starts_with("connect-src ")).unwrap();
        assert_eq!(connect, format!("connect-src 'self' {} {}", info.gatekeeper, info.s3.trim_end_matches('/')));
        assert!(policy.starts_with("default-src 'none'; "), "{policy}");
        assert_eq!(resp.headers()["cross-origin-opener-policy"], "same-origin");
    }
    stack.shutdown().await;
}
