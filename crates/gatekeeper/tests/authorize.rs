//! End to end through real HTTP: a signed request, the gatekeeper's checks, a presigned URL used
//! against a real SigV4-checking S3, and client-side encryption with the released write key, read
//! back with the released per-object key.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::*;
use s3gk_protocol::object;
use s3gk_protocol::sign::{verify_receipt, SignedReceipt};
use s3gk_protocol::{KeyId, Operation};
use sha2::Digest;

fn put_op(ciphertext: &[u8]) -> Operation {
    Operation::Put {
        content_length: ciphertext.len() as u64,
        sha256: Some(sha2::Sha256::digest(ciphertext).into()),
        content_type: None,
    }
}

/// Uploads `plain` to `key` through the real put flow from 127.0.0.1; returns the ciphertext.
async fn upload(stack: &Stack, key: &str, plain: &[u8]) -> Vec<u8> {
    put_encrypted(&stack.client(None), key, plain).await
}

#[tokio::test]
async fn get_and_put_round_trip_with_receipts() {
    let stack = Stack::start(Options::default()).await;
    let plain = b"system info: 16 GiB RAM, 8 cores".repeat(5000);
    upload(&stack, "tickets/7/system info ü.txt", &plain).await;

    let client = stack.client(None);
    let req = client.request(Operation::Get, "tickets/7/system info ü.txt");
    let (status, grant) = client.authorize(&req).await;
    assert_eq!(status, 200, "{grant}");
    assert_eq!(grant["decision"], "granted");

    // The receipt verifies under the pinned gatekeeper key and is for this request.
    let receipt = SignedReceipt {
        bytes: B64.decode(grant["receipt"]["bytes"].as_str().unwrap()).unwrap(),
        key_id: KeyId::new(grant["receipt"]["key_id"].as_str().unwrap()).unwrap(),
        signature: B64.decode(grant["receipt"]["signature"].as_str().unwrap()).unwrap().try_into().unwrap(),
    };
    let verified = verify_receipt(&receipt, &stack.gatekeeper_key.verifying_key(), &req.encode().unwrap()).unwrap();
    assert_eq!(verified.sequence(), grant["receipt"]["sequence"].as_u64().unwrap());
    assert_eq!(verified.client_ip().to_string(), "127.0.0.1");

    // The URL downloads ciphertext that decrypts with the released per-object keys (both
    // master keys' derivations are released for a read: rotation).
    let object = &grant["objects"][0];
    assert_eq!(object["key_material"].as_array().unwrap().len(), 2);
    let body = client.http.get(object["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(body.status(), 200);
    let ciphertext = body.bytes().await.unwrap();
    assert_eq!(object::decrypt(&key_material(object), &ciphertext).unwrap(), plain);

    // A tampered URL is refused by S3.
    let tampered = object["url"].as_str().unwrap().replace("system%20info", "system%20infp");
    assert_eq!(client.http.get(tampered).send().await.unwrap().status(), 403);
    stack.stop().await;
}

#[tokio::test]
async fn put_url_binds_length_digest_and_refuses_overwrite() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let ciphertext = vec![42u8; 1000];
    let (status, grant) = client.authorize(&client.request(put_op(&ciphertext), "tickets/8/log.txt")).await;
    assert_eq!(status, 200, "{grant}");
    let object = &grant["objects"][0];
    let headers = object["headers"].to_string().to_lowercase();
    assert!(headers.contains("x-amz-server-side-encryption") && headers.contains("aes256"), "{headers}");

    let mut longer = ciphertext.clone();
    longer.push(0);
    assert!(send_presigned(&client.http, object, longer).await >= 400);
    assert!(send_presigned(&client.http, object, ciphertext[..999].to_vec()).await >= 400);
    let mut other = ciphertext.clone();
    other[0] = 1;
    assert!(send_presigned(&client.http, object, other).await >= 400);
    assert_eq!(send_presigned(&client.http, object, ciphertext.clone()).await, 200);
    // Same URL again: the object exists now, so S3 refuses to overwrite it.
    assert_eq!(send_presigned(&client.http, object, ciphertext).await, 412);
    stack.stop().await;
}

#[tokio::test]
async fn prefix_read_grants_every_object_each_audited() {
    let stack = Stack::start(Options { max_list_objects: 50, ..Options::default() }).await;
    for i in 0..5 {
        upload(&stack, &format!("tickets/9/screen-{i}.png"), format!("png {i}").as_bytes()).await;
    }
    upload(&stack, "tickets/90/other.txt", b"not in the prefix").await;
    let client = stack.client(None);
    let (status, grant) = client.authorize(&client.request(Operation::ListPrefix, "tickets/9/")).await;
    assert_eq!(status, 200, "{grant}");
    let objects = grant["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    let mut sequences: Vec<u64> = objects.iter().map(|o| o["sequence"].as_u64().unwrap()).collect();
    sequences.push(grant["receipt"]["sequence"].as_u64().unwrap());
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(sequences.len(), 6, "one audit entry for the grant and one per object");
    for (i, object) in objects.iter().enumerate() {
        let ciphertext = client.http.get(object["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        let plain = object::decrypt(&key_material(object), &ciphertext).unwrap();
        assert_eq!(plain, format!("png {i}").as_bytes());
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_replayed_request_is_refused() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a.txt"));
    let (first, _) = client.post(&body, &[]).await;
    assert_eq!(first, 200);
    let (second, answer) = client.post(&body, &[]).await;
    assert_eq!((second, code(&answer)), (403, "replayed_nonce"));
    stack.stop().await;
}

#[tokio::test]
async fn a_restart_remembers_used_nonces() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let stack = Stack::start(Options { dir: Some(dir.clone()), ..Options::default() }).await;
    let client = stack.client(None);
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a.txt"));
    assert_eq!(client.post(&body, &[]).await.0, 200);
    stack.stop().await;

    let stack = Stack::start(Options { dir: Some(dir), ..Options::default() }).await;
    let client = stack.client(None);
    let (status, answer) = client.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"));
    stack.stop().await;
}
