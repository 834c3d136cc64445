//! The customer's side: audit search over HTTP, `gatekeeper audit verify` on a tampered database,
//! CORS by exact origin, and the info, health and metrics endpoints.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3gk_protocol::Operation;

#[tokio::test]
async fn audit_search_requires_the_admin_token_and_finds_decisions() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    assert_eq!(client.authorize(&client.request(Operation::Get, "tickets/5/a.txt")).await.0, 200);
    assert_eq!(client.authorize(&client.request(Operation::Get, "invoices/5.pdf")).await.0, 403);

    let url = format!("{}/v1/audit?key_prefix=tickets/5/", stack.base);
    let resp = client.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client.http.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let found: serde_json::Value =
        client.http.get(&url).bearer_auth(ADMIN_TOKEN).send().await.unwrap().json().await.unwrap();
    let entries = found["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{found}");
    assert_eq!(entries[0]["decision"], "granted");
    assert_eq!(entries[0]["client_ip"], "127.0.0.1");
    assert_eq!(entries[0]["country"], "US");

    let url = format!("{}/v1/audit?decision=denied", stack.base);
    let found: serde_json::Value =
        client.http.get(&url).bearer_auth(ADMIN_TOKEN).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["entries"][0]["reason"], "key_outside_root");
    let resp =
        client.http.get(format!("{}/v1/audit?colour=red", stack.base)).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    stack.stop().await;
}

#[tokio::test]
async fn audit_verify_names_the_first_edited_entry() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    for i in 0..25 {
        client.authorize(&client.request(Operation::Get, &format!("tickets/{i}/a"))).await;
    }
    let (db, _keep) = (stack.audit_db(), stack.dir.clone());
    let public = hex::encode(stack.gatekeeper_key.verifying_key().as_bytes());
    stack.stop().await;

    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper"))
            .args(["audit", "verify", "--db", db.to_str().unwrap(), "--public-key", &public])
            .output()
            .unwrap()
    };
    let clean = verify();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));

    // Across a rotation several keys are given; a checkpoint needs one of them. A wrong key alone fails.
    let other = hex::encode(ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key().as_bytes());
    let run = |keys: &[&str]| {
        let mut args = vec!["audit", "verify", "--db", db.to_str().unwrap()];
        for k in keys {
            args.extend(["--public-key", k]);
        }
        std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper")).args(&args).output().unwrap()
    };
    assert!(run(&[&other, &public]).status.success());
    assert_eq!(run(&[&other]).status.code(), Some(1));

    let conn = rusqlite::Connection::open(&db).unwrap();
    let changed = conn.execute("UPDATE audit_entries SET client_ip = '10.9.9.9' WHERE seq = 17", []).unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let tampered = verify();
    assert_eq!(tampered.status.code(), Some(1));
    let out = String::from_utf8_lossy(&tampered.stdout);
    assert!(out.contains("17"), "must name entry 17: {out}");
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let stack = Stack::start(Options::default()).await;
    let http = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, format!("{}/v1/authorize", stack.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(ORIGIN).await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], ORIGIN);
    for evil in [
        "http://localhost:8000.evil.example",
        "http://evil.localhost:8000",
        "http://localhost:8001",
        "https://localhost:8000",
    ] {
        let resp = preflight(evil).await.unwrap();
        assert!(resp.headers().get("access-control-allow-origin").is_none(), "{evil} must not be allowed");
    }
    stack.stop().await;
}

#[tokio::test]
async fn info_health_and_metrics() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let info: serde_json::Value =
        client.http.get(format!("{}/v1/info", stack.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["gatekeeper_id"], GATEKEEPER_ID);
    assert_eq!(info["protocol_versions"][0], 1);
    assert_eq!(info["upload_master_key_id"], "mk-2", "the first configured master key encrypts uploads");
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode(stack.gatekeeper_key.verifying_key().as_bytes());
    assert_eq!(info["signing_keys"][0]["public_key"], key.as_str());
    assert!((info["server_time"].as_u64().unwrap() as i64 - now() as i64).abs() < 5);

    let health = client.http.get(format!("{}/healthz", stack.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);

    client.authorize(&client.request(Operation::Get, "tickets/1/a")).await;
    client.authorize(&client.request(Operation::Get, "tickets/../a")).await;
    let text = client.http.get(format!("{}/metrics", stack.base)).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("gatekeeper_decisions_total{outcome=\"granted\",reason=\"granted\"} 1"), "{text}");
    assert!(text.contains("gatekeeper_decisions_total{outcome=\"denied\",reason=\"key_dot_segment\"} 1"), "{text}");
    assert!(text.contains("gatekeeper_authorize_duration_seconds_count 2"), "{text}");
    stack.stop().await;
}
