//! The gatekeeper's real answers, read by the client's own types and checks: every answer of
//! `/v1/info` and `/v1/authorize` (a get, a put, a prefix read, a refusal) deserializes into the
//! shared wire types, serializes back to the same JSON (no field the client would drop, none it
//! lacks), and a grant passes the client core's `verify_grant` under the pinned key. If the
//! gatekeeper and the client drift apart, this fails.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3_gatekeeper_client::handshake::{verify_grant, PinnedKey, Prepared};
use s3gk_protocol::{KeyId, Operation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Reads `json` as `T` and writes it back: the two must be the same JSON.
fn round_trip<T: DeserializeOwned + Serialize>(json: &Value) -> T {
    let typed: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), json, "the client's types drop or change a field");
    typed
}

fn pinned(stack: &Stack) -> PinnedKey {
    PinnedKey { key: stack.gatekeeper_key.verifying_key().to_bytes(), key_id: KeyId::new("gk-test-1").unwrap() }
}

#[tokio::test]
async fn every_answer_reads_back_through_the_clients_types() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);

    let info: Value = client.http.get(format!("{}/v1/info", stack.base)).send().await.unwrap().json().await.unwrap();
    let info: s3gk_wire::Info = round_trip(&info);
    assert_eq!(info.gatekeeper_id, GATEKEEPER_ID);

    put_encrypted(&client, "tickets/40/a.txt", b"listed").await;
    let put = Operation::Put { content_length: 200, sha256: None, content_type: Some("text/plain".into()) };
    for (operation, key) in
        [(Operation::Get, "tickets/40/a.txt"), (put, "tickets/40/b.txt"), (Operation::ListPrefix, "tickets/40/")]
    {
        let request = client.request(operation, key);
        let (status, answer) = client.authorize(&request).await;
        assert_eq!(status, 200, "{answer}");
        let grant: s3gk_wire::Grant = round_trip(&answer);
        let prepared = Prepared::encode(request).unwrap();
        let verified = verify_grant(grant, &pinned(&stack), &prepared).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(verified.receipt.key, key);
        assert_eq!(verified.objects.len(), 1);
    }

    let (status, refusal) = client.authorize(&client.request(Operation::Get, "invoices/1.pdf")).await;
    assert_eq!(status, 403);
    let refusal: s3gk_wire::ErrorAnswer = round_trip(&refusal);
    assert_eq!(refusal.error.code, "key_outside_root");
    stack.stop().await;
}
