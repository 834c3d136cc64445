//! A nonce is spent once both signatures verify, whatever is decided next (`docs/protocol.md`
//! section 5, check 7): a request refused by the ACL, by S3 or by the audit store cannot be
//! presented again from somewhere else, even after a restart. A request refused before its
//! signatures verify spends nothing, so a forger cannot burn someone else's nonce.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3gk_protocol::Operation;

/// 127.0.0.2 may not read; everyone else may.
const DENY_2: &str = r#"
[acl.get]
deny_cidrs = ["127.0.0.2/32"]
"#;

#[tokio::test]
async fn a_request_refused_by_the_acl_cannot_be_used_from_elsewhere() {
    let stack = Stack::start(Options { acl: DENY_2.into(), ..Options::default() }).await;
    let (denied, allowed) = (stack.client(Some("127.0.0.2".parse().unwrap())), stack.client(None));
    let body = denied.signed(&denied.request(Operation::Get, "tickets/1/a.txt"));
    let (status, answer) = denied.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_ip"), "{answer}");
    let (status, answer) = allowed.post(&body, &[]).await;
    assert_eq!(
        (status, code(&answer)),
        (403, "replayed_nonce"),
        "the same signed bytes from an allowed address: {answer}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_refusal_before_the_signatures_verify_spends_nothing() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let good = client.signed(&client.request(Operation::Get, "tickets/1/a.txt"));
    let mut forged = good.clone();
    forged["client_signature"] = good["vendor_signature"].clone();
    let (status, answer) = client.post(&forged, &[]).await;
    assert_eq!((status, code(&answer)), (403, "bad_client_signature"), "{answer}");
    assert_eq!(client.post(&good, &[]).await.0, 200, "a forgery does not burn the real request's nonce");
    stack.stop().await;
}

#[tokio::test]
async fn a_request_refused_by_s3_cannot_be_retried() {
    // Listing more objects than allowed is refused after the checks (502 too_many_objects).
    let stack = Stack::start(Options { max_list_objects: 1, ..Options::default() }).await;
    let client = stack.client(None);
    for i in 0..2 {
        put_encrypted(&client, &format!("tickets/5/{i}.txt"), b"x").await;
    }
    let body = client.signed(&client.request(Operation::ListPrefix, "tickets/5/"));
    let (status, answer) = client.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (502, "too_many_objects"), "{answer}");
    let (status, answer) = client.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "{answer}");
    stack.stop().await;
}

#[tokio::test]
async fn a_request_refused_by_the_audit_store_spent_its_nonce() {
    // A 40-page (160 KiB) cap fills after some hundreds of entries: a real SQLITE_FULL.
    let stack = Stack::start(Options { max_db_pages: Some(40), ..Options::default() }).await;
    let client = stack.client(None);
    let mut refused = None;
    for i in 0..2000 {
        let req = client.request(Operation::Get, &format!("tickets/{i}/a"));
        let (status, answer) = client.authorize(&req).await;
        if status != 200 {
            assert_eq!((status, code(&answer)), (503, "audit_unavailable"), "{answer}");
            refused = Some(req);
            break;
        }
    }
    let req = refused.expect("the audit database fills up");
    let until = req.expires_at + 60;
    let spent = stack.gk.replay.check_and_insert(req.nonce, until, now()).await;
    assert_eq!(spent, Err(s3gk_gatekeeper::replay::ReplayError::Replayed));
    stack.stop().await;
}

#[tokio::test]
async fn a_spent_nonce_survives_a_restart() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let opts = || Options { acl: DENY_2.into(), dir: Some(dir.clone()), ..Options::default() };
    let stack = Stack::start(opts()).await;
    let denied = stack.client(Some("127.0.0.2".parse().unwrap()));
    let refused = denied.signed(&denied.request(Operation::Get, "tickets/1/a.txt"));
    assert_eq!(code(&denied.post(&refused, &[]).await.1), "acl_denied_ip");
    let mut forged = denied.signed(&denied.request(Operation::Get, "tickets/1/b.txt"));
    let never_verified = forged.clone();
    forged["vendor_signature"] = forged["client_signature"].clone();
    assert_eq!(code(&denied.post(&forged, &[]).await.1), "bad_vendor_signature");
    stack.stop().await;

    let stack = Stack::start(opts()).await;
    let allowed = stack.client(None);
    let (status, answer) = allowed.post(&refused, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "{answer}");
    assert_eq!(allowed.post(&never_verified, &[]).await.0, 200, "a refusal before check 7 spent nothing");
    stack.stop().await;
}
