//! The data folder: seeding is idempotent, keys and objects survive a restart; and the options
//! that change what is served (`deny_local`, `www`, `pkg`).

mod common;

use common::*;
use s3gk_devstack::DevStack;
use s3gk_protocol::Operation;

#[tokio::test]
async fn seeding_is_idempotent_and_everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), true).await;
    let first = stack.seeded().unwrap().clone();
    assert_eq!((first.uploaded.len(), first.skipped.len()), (SEEDED, 0), "{first:?}");
    let again = stack.seed().await.unwrap();
    assert_eq!(again.uploaded.len(), 0, "{again:?}");
    let mut skipped = again.skipped.clone();
    let mut uploaded = first.uploaded.clone();
    skipped.sort();
    uploaded.sort();
    assert_eq!(skipped, uploaded, "the same objects");

    let mut alice = Browser::new(&stack);
    alice.login("alice", "alice-demo").await;
    let (status, before) = alice.list("tickets/1001/").await;
    assert_eq!(status, 200, "{before}");
    let public_key = stack.info().gatekeeper_public_key.clone();
    let vendor_key = stack.info().vendor_public_key.clone();
    stack.shutdown().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("keys.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Same folder: same keys, same objects (nothing uploaded twice), same audit chain.
    let stack = start(dir.path(), true).await;
    assert_eq!(stack.info().gatekeeper_public_key, public_key);
    assert_eq!(stack.info().vendor_public_key, vendor_key);
    assert_eq!(stack.seeded().unwrap().uploaded.len(), 0);
    assert_eq!(stack.seeded().unwrap().skipped.len(), SEEDED);
    let mut alice = Browser::new(&stack);
    alice.login("alice", "alice-demo").await;
    let (status, after) = alice.list("tickets/1001/").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(keys(&after), keys(&before));
    assert!(
        after["receipt"]["sequence"].as_u64().unwrap() > before["receipt"]["sequence"].as_u64().unwrap(),
        "the audit log continues"
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn deny_local_refuses_at_the_gatekeeper_after_seeding() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.seed = true;
    config.deny_local = true;
    let stack = DevStack::start(config).await.unwrap();
    assert!(stack.info().deny_local);
    assert_eq!(stack.seeded().unwrap().uploaded.len(), SEEDED, "seeded before the denying gatekeeper");

    let mut bob = Browser::new(&stack);
    bob.login("bob", "bob-demo").await;
    let bytes = bob.request(Operation::Get, "tickets/2001/ticket.json", 60).encode().unwrap();
    let (status, cosigned) = bob.cosign(&bytes).await;
    assert_eq!(status, 200, "the vendor still co-signs: {cosigned}");
    let (status, body) = bob.authorize(&bytes, &cosigned).await;
    assert_eq!((status, code(&body)), (403, "acl_denied_ip"), "{body}");

    let (status, audit) = bob.get("/api/audit?prefix=tickets/2001/").await;
    assert_eq!(status, 200, "{audit}");
    assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["reason"] == "acl_denied_ip"), "{audit}");
    stack.shutdown().await;
}

#[tokio::test]
async fn serves_the_page_and_the_package_with_their_content_types() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(www.join("index.html"), "<!doctype html><title>report</title>").unwrap();
    std::fs::write(www.join("app.js"), "export const x = 1;").unwrap();
    std::fs::write(pkg.join("client.js"), "export default 1;").unwrap();
    std::fs::write(pkg.join("client_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mut config = config(&dir.path().join("data"));
    config.www = Some(www);
    config.pkg = Some(pkg);
    let stack = DevStack::start(config).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = &stack.info().vendor;
    for (path, content_type) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/pkg/client.js", "text/javascript"),
        ("/pkg/client_bg.wasm", "application/wasm"),
    ] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let got = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(got.starts_with(content_type), "{path}: {got}");
    }
    assert_eq!(http.get(format!("{base}/nope.html")).send().await.unwrap().status(), 404);
    let api = http.get(format!("{base}/api/nope")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    let config: serde_json::Value = http.get(format!("{base}/api/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["gatekeeper_public_key"], stack.info().gatekeeper_public_key);
    assert_eq!(config["cosign_url"], format!("{base}/api/cosign"));
    stack.shutdown().await;
}
