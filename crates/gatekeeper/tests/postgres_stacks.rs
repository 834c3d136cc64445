//! Several gatekeepers on one PostgreSQL database, over real HTTP: the replay cache is shared (a
//! nonce spent by a refusal at one instance is spent at the other), the
//! audit chain stays one contiguous sequence under concurrent grants through every instance,
//! `gatekeeper audit verify --postgres` names an edited row, and an unreachable database refuses
//! requests (503), never grants them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::postgres::PgServer;
use common::*;
use futures_util::StreamExt as _;
use s3gk_gatekeeper::audit::{self, AuditSettings, PostgresSettings, PostgresTls};
use s3gk_gatekeeper::secret::Secret;
use s3gk_protocol::Operation;

fn on(pg: &PgServer) -> Options {
    Options { postgres: Some(pg.url()), ..Options::default() }
}

fn store(pg: &PgServer) -> PostgresSettings {
    PostgresSettings::new(Secret::new(pg.url()), PostgresTls::Disable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_from_one_instance_is_a_replay_at_the_other() {
    let pg = PgServer::start();
    let a = Stack::start(on(&pg)).await;
    let b = Stack::start(on(&pg)).await;
    let (to_a, to_b) = (a.client(None), b.client(None));
    let body = to_a.signed(&to_a.request(Operation::Get, "tickets/1/a.txt"));

    let (status, granted) = to_a.post(&body, &[]).await;
    assert_eq!(status, 200, "{granted}");
    let (status, answer) = to_b.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "{answer}");
    let (status, answer) = to_a.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "{answer}");
    // A fresh request passes at B: only the nonce was refused.
    assert_eq!(to_b.authorize(&to_b.request(Operation::Get, "tickets/1/a.txt")).await.0, 200);

    // Both instances wrote into one log: B's admin API finds A's grant and its own denial.
    let url = format!("{}/v1/audit?key_prefix=tickets/1/", b.base);
    let found: serde_json::Value =
        to_b.http.get(&url).bearer_auth(ADMIN_TOKEN).send().await.unwrap().json().await.unwrap();
    let decisions: Vec<(u64, &str, &str)> = found["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["seq"].as_u64().unwrap(), e["decision"].as_str().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decisions,
        vec![
            (1, "granted", "granted"),
            (2, "denied", "replayed_nonce"),
            (3, "denied", "replayed_nonce"),
            (4, "granted", "granted")
        ]
    );
    assert_eq!(granted["receipt"]["sequence"], 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_by_the_acl_at_one_instance_spends_the_nonce_at_the_other() {
    let pg = PgServer::start();
    let acl = "[acl.get]\ndeny_cidrs = [\"127.0.0.2/32\"]\n";
    let a = Stack::start(Options { acl: acl.into(), ..on(&pg) }).await;
    let b = Stack::start(Options { acl: acl.into(), ..on(&pg) }).await;
    let denied_at_a = a.client(Some("127.0.0.2".parse().unwrap()));
    let body = denied_at_a.signed(&denied_at_a.request(Operation::Get, "tickets/1/a.txt"));
    let (status, answer) = denied_at_a.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_ip"), "{answer}");
    let (status, answer) = b.client(None).post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "allowed at B, but already spent at A: {answer}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_grants_through_two_instances_form_one_verified_chain() {
    let pg = PgServer::start();
    let stacks = [Stack::start(on(&pg)).await, Stack::start(on(&pg)).await];
    // 200 grants, alternating between the instances, 32 in flight at any time (a debug build's
    // signature checks are slow enough that far more would queue past the gatekeeper's timeouts).
    let requests = (0..200usize).map(|i| {
        let client = stacks[i % 2].client(None);
        async move {
            let (status, answer) =
                client.authorize(&client.request(Operation::Get, &format!("tickets/{i}/r.pdf"))).await;
            assert_eq!(status, 200, "{answer}");
            answer["receipt"]["sequence"].as_u64().unwrap()
        }
    });
    let granted: Vec<u64> = futures_util::stream::iter(requests).buffer_unordered(32).collect().await;
    let mut seqs = BTreeSet::new();
    for seq in granted {
        assert!(seqs.insert(seq), "a seq was given twice");
    }
    assert_eq!(seqs, (1..=200).collect::<BTreeSet<u64>>(), "one contiguous sequence");
    for stack in &stacks {
        assert!(stack.gk.audit.commit_count() > 0, "each instance committed batches of its own");
    }
    let total_commits: u64 = stacks.iter().map(|s| s.gk.audit.commit_count()).sum();
    assert!(total_commits < 200, "appends were not grouped: {total_commits} commits");
    let [a, b] = stacks;
    a.stop().await;
    b.stop().await;

    let report = audit::verify(&AuditSettings::postgres(store(&pg)), &[a_key()]).await.unwrap();
    assert_eq!(report.entries, 200);
    assert!(report.checkpoints >= 2, "checkpoints every 10 entries, from both instances: {report}");
    assert_eq!(report.unchecked_tail, 0, "the shutdown checkpoint covers the head");
}

fn a_key() -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&seed(2)).verifying_key()
}

/// Runs the `gatekeeper audit …` CLI against the database, its URL passed by reference.
fn cli(pg: &PgServer, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper"))
        .arg("audit")
        .args(args)
        .args(["--postgres", "env:GK_TEST_PG_URL", "--postgres-tls", "disable"])
        .env("GK_TEST_PG_URL", pg.url())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_verifies_and_names_an_edited_row() {
    let pg = PgServer::start();
    let a = Stack::start(on(&pg)).await;
    let b = Stack::start(on(&pg)).await;
    for i in 0..25 {
        let stack = if i % 2 == 0 { &a } else { &b };
        let client = stack.client(None);
        assert_eq!(client.authorize(&client.request(Operation::Get, &format!("tickets/{i}/a"))).await.0, 200);
    }
    a.stop().await;
    b.stop().await;
    let public = hex::encode(a_key().as_bytes());

    let clean = cli(&pg, &["verify", "--public-key", &public]);
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{stdout}{}", String::from_utf8_lossy(&clean.stderr));
    assert!(stdout.starts_with("ok: 25 entries"), "{stdout}");
    let exported = cli(&pg, &["export"]);
    assert_eq!(String::from_utf8_lossy(&exported.stdout).lines().count(), 25);
    let found = cli(&pg, &["search", "--key-prefix", "tickets/17/"]);
    let line: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(line["key"], "tickets/17/a");
    assert!(!String::from_utf8_lossy(&found.stderr).contains(&pg.url()), "the URL reached the output");

    let changed = pg
        .client("postgres")
        .await
        .execute("UPDATE audit_entries SET client_ip = '10.9.9.9' WHERE seq = 17", &[])
        .await;
    assert_eq!(changed.unwrap(), 1);
    let tampered = cli(&pg, &["verify", "--public-key", &public]);
    assert_eq!(tampered.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&tampered.stdout);
    assert_eq!(stdout.trim(), "TAMPERED: seq 17: content does not match its hash (edited)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_refuses_requests_and_recovers() {
    let mut pg = PgServer::start();
    let stack = Stack::start(on(&pg)).await;
    let client = stack.client(None);
    let get = |i: usize| client.request(Operation::Get, &format!("tickets/{i}/a"));
    assert_eq!(client.authorize(&get(0)).await.0, 200);

    pg.stop();
    for i in 1..=10 {
        let (status, answer) = client.authorize(&get(i)).await;
        assert_eq!(status, 503, "granted or refused otherwise while the database is down: {answer}");
        assert!(matches!(code(&answer), "replay_unavailable" | "audit_unavailable"), "{answer}");
    }

    pg.start_again();
    let mut recovered = None;
    for i in 11..60 {
        let (status, answer) = client.authorize(&get(i)).await;
        if status == 200 {
            recovered = Some(answer["receipt"]["sequence"].as_u64().unwrap());
            break;
        }
        assert_eq!(status, 503, "{answer}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seq = recovered.expect("the gatekeeper reconnects once the database is back");
    stack.stop().await;
    let report = audit::verify(&AuditSettings::postgres(store(&pg)), &[a_key()]).await.unwrap();
    assert_eq!(report.entries, seq, "the recovered grant is the head of an unbroken chain");
    assert!(seq >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_cuts_are_replaced_without_refusing_a_request() {
    let pg = PgServer::start();
    let stack = Stack::start(on(&pg)).await;
    let client = stack.client(None);
    for round in 0..3 {
        let get = client.request(Operation::Get, &format!("tickets/{round}/a"));
        assert_eq!(client.authorize(&get).await.0, 200);
        // As after an idle timeout, a failover or a frozen Lambda: the server ends every session.
        let cut = pg
            .client("postgres")
            .await
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 's3-gatekeeper' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        assert!(cut >= 2, "the writer's and the replay cache's sessions were cut ({cut})");
        let (status, answer) = client.authorize(&client.request(Operation::Get, &format!("tickets/{round}/b"))).await;
        assert_eq!(status, 200, "refused after the server cut the connections: {answer}");
    }
    stack.stop().await;
    assert_eq!(audit::verify(&AuditSettings::postgres(store(&pg)), &[a_key()]).await.unwrap().entries, 6);
}
