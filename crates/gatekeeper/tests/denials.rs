//! Each refusal over real HTTP, caused for real: wrong signatures, a second loopback address for
//! the IP rules, the real country database for the country rules, a real full audit database.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3gk_protocol::Operation;
use serde_json::json;

#[tokio::test]
async fn each_protocol_check_refuses_for_its_own_cause() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let get = |key: &str| client.request(Operation::Get, key);
    let cases: Vec<(&str, s3gk_protocol::AccessRequest)> = vec![
        ("wrong_audience", {
            let mut r = get("tickets/1/a");
            r.gatekeeper_id = "other-gk".into();
            r
        }),
        ("key_dot_segment", get("tickets/../secrets/a")),
        ("key_outside_root", get("invoices/1.pdf")),
        ("key_prefix_not_directory", client.request(Operation::ListPrefix, "tickets/1")),
        ("expired", {
            let mut r = get("tickets/1/a");
            r.issued_at = now() - 400;
            r.expires_at = now() - 200;
            r
        }),
        ("not_yet_valid", {
            let mut r = get("tickets/1/a");
            r.issued_at = now() + 120;
            r.expires_at = now() + 180;
            r
        }),
        ("lifetime_too_long", {
            let mut r = get("tickets/1/a");
            r.expires_at = r.issued_at + 301;
            r
        }),
    ];
    for (expected, req) in cases {
        let (status, answer) = client.authorize(&req).await;
        assert_eq!((status, code(&answer)), (403, expected), "{answer}");
    }

    let good = client.signed(&get("tickets/1/a"));
    let edit = |field: &str, value: serde_json::Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let flip = |field: &str| {
        use base64::Engine as _;
        let mut raw = base64::engine::general_purpose::STANDARD.decode(good[field].as_str().unwrap()).unwrap();
        raw[3] ^= 1;
        json!(base64::engine::general_purpose::STANDARD.encode(raw))
    };
    let cases = vec![
        (403, "unknown_vendor_key", edit("vendor_key_id", json!("vendor-9"))),
        (403, "bad_vendor_signature", edit("vendor_signature", flip("vendor_signature"))),
        (403, "bad_client_signature", edit("client_signature", flip("client_signature"))),
        (400, "malformed_request", edit("request", json!("not base64!"))),
        (400, "malformed_request", edit("vendor_signature", json!("AAAA"))),
    ];
    for (status, expected, body) in cases {
        let (got, answer) = client.post(&body, &[]).await;
        assert_eq!((got, code(&answer)), (status, expected), "{answer}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn transport_limits_have_codes() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let url = format!("{}/v1/authorize", stack.base);
    let json = |body: reqwest::Body| client.http.post(&url).header("content-type", "application/json").body(body);
    let resp = json("{not json".into()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(code(&resp.json().await.unwrap()), "malformed_json");
    let resp = json(vec![b' '; 20_000].into()).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(code(&resp.json().await.unwrap()), "body_too_large");
    let resp = client.http.post(&url).header("x-padding", "p".repeat(5000)).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 431);
    assert_eq!(code(&resp.json().await.unwrap()), "headers_too_large");
    let resp = client.http.get(format!("{}/v1/nothing", stack.base)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(code(&resp.json().await.unwrap()), "not_found");

    // Refusals that never reached the pipeline are decisions too: they are audited.
    let search = format!("{}/v1/audit?decision=denied", stack.base);
    let found: serde_json::Value =
        client.http.get(&search).bearer_auth(ADMIN_TOKEN).send().await.unwrap().json().await.unwrap();
    let reasons: Vec<&str> =
        found["entries"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["malformed_json", "body_too_large", "headers_too_large"], "{found}");
    assert_eq!(found["entries"][0]["client_ip"], "127.0.0.1");
    stack.stop().await;
}

#[tokio::test]
async fn ip_rules_apply_to_the_real_source_address() {
    let acl = r#"
[acl.default]
allow_countries = "any"
deny_cidrs = ["127.0.0.2/32"]

[acl.put]
allow_cidrs = ["127.0.0.3/32"]
allow_countries = "any"
"#;
    let stack = Stack::start(Options { acl: acl.into(), ..Options::default() }).await;
    let from_1 = stack.client(None);
    let from_2 = stack.client(Some("127.0.0.2".parse().unwrap()));
    let from_3 = stack.client(Some("127.0.0.3".parse().unwrap()));
    assert_eq!(from_1.authorize(&from_1.request(Operation::Get, "tickets/1/a")).await.0, 200);
    let (status, answer) = from_2.authorize(&from_2.request(Operation::Get, "tickets/1/a")).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_ip"));
    // Put has its own rules: only 127.0.0.3.
    let put = Operation::Put { content_length: 10, sha256: None, content_type: None };
    let (status, answer) = from_1.authorize(&from_1.request(put.clone(), "tickets/1/b")).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_ip"));
    assert_eq!(from_3.authorize(&from_3.request(put, "tickets/1/b")).await.0, 200);
    stack.stop().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let acl = r#"
[acl.default]
allow_countries = ["NL"]
"#;
    // 127.0.0.1 is a trusted proxy; 127.0.0.2 is not. Loopback maps to US, so only a forwarded
    // public address in NL passes. 145.100.0.0/16 is SURFnet's (NL); 8.8.8.8 is US.
    let stack =
        Stack::start(Options { acl: acl.into(), trusted_proxies: r#"["127.0.0.1/32"]"#, ..Options::default() }).await;
    let proxy = stack.client(None);
    let direct = stack.client(Some("127.0.0.2".parse().unwrap()));
    let req = |c: &Client| c.signed(&c.request(Operation::Get, "tickets/1/a"));

    let (status, answer) = proxy.post(&req(&proxy), &[("x-forwarded-for", "145.100.1.1")]).await;
    assert_eq!(status, 200, "{answer}");
    // A client cannot spoof through the proxy: the proxy appends the real address, read right to left.
    let (status, answer) = proxy.post(&req(&proxy), &[("x-forwarded-for", "145.100.1.1, 8.8.8.8")]).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_country"));
    // An untrusted peer's header is ignored entirely.
    let (status, answer) = direct.post(&req(&direct), &[("x-forwarded-for", "145.100.1.1")]).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_country"));
    let (status, answer) = proxy.post(&req(&proxy), &[("x-forwarded-for", "not-an-ip")]).await;
    assert_eq!((status, code(&answer)), (400, "malformed_forwarded_for"));
    stack.stop().await;
}

#[tokio::test]
async fn requests_are_refused_when_the_audit_log_cannot_be_written() {
    // A 40-page (160 KiB) cap fills after some hundreds of entries: a real SQLITE_FULL.
    let stack = Stack::start(Options { max_db_pages: Some(40), ..Options::default() }).await;
    let client = stack.client(None);
    let mut refused = None;
    for i in 0..2000 {
        let (status, answer) = client.authorize(&client.request(Operation::Get, &format!("tickets/{i}/a"))).await;
        if status != 200 {
            refused = Some((status, code(&answer).to_owned()));
            break;
        }
    }
    assert_eq!(refused, Some((503, "audit_unavailable".to_owned())));
    // And it stays closed: the next request is refused too, not granted unaudited.
    let (status, answer) = client.authorize(&client.request(Operation::Get, "tickets/x/a")).await;
    assert_eq!((status, code(&answer)), (503, "audit_unavailable"));
    stack.stop().await;
}
