//! Appending: sequence numbers, chaining, group commit, restart, and failing closed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::audit::{verify, AuditError, GENESIS_HASH};

#[tokio::test]
async fn appends_chain_and_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&settings(dir.path()));
    assert_eq!(log.head(), (0, GENESIS_HASH));
    let entries: Vec<NewEntry> = (1..=3).map(sample_entry).collect();
    assert_eq!(append_all(&log, entries.clone()).await, vec![1, 2, 3]);

    let found = log.search(&crate::audit::SearchQuery::default()).unwrap();
    assert_eq!(found.len(), 3);
    let mut prev = GENESIS_HASH;
    for (got, want) in found.iter().zip(&entries) {
        assert_eq!(&got.entry, want);
        assert_eq!(got.prev_hash, prev);
        assert_eq!(got.hash, crate::audit::entry_hash(got.seq, &prev, want));
        prev = got.hash;
    }
    assert_eq!(log.head(), (3, prev));

    // An empty country is the same as none: one encoding per value.
    append(&log, NewEntry { country: Some(String::new()), ..sample_entry(4) }).await.unwrap();
    let last = log.search(&crate::audit::SearchQuery { after_seq: Some(3), ..Default::default() }).unwrap();
    assert_eq!(last[0].entry.country, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_are_contiguous_grouped_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let s = AuditSettings { checkpoint_every: 100, ..settings(dir.path()) };
    let log = open(&s);
    let tasks: Vec<_> = (0..2000u64)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move {
                let (seq, seen) = log.append(move |seq| (sample_entry(i), seq)).await.unwrap();
                assert_eq!(seen, seq, "make saw the seq that append returned");
                seq
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for t in tasks {
        assert!(seqs.insert(t.await.unwrap()), "a seq was given twice");
    }
    assert_eq!(seqs, (1..=2000).collect::<BTreeSet<u64>>());
    assert_eq!(log.head().0, 2000);
    let commits = log.commit_count();
    assert!(commits < 2000, "appends were not grouped: {commits} commits for 2000 entries");
    log.close().await;

    let report = verify(&s, &[signing_key().verifying_key()]).await.unwrap();
    assert_eq!(report.entries, 2000);
    assert!(report.checkpoints >= 1, "crossing multiples of 100 writes checkpoints");
    assert_eq!(report.last_checkpoint.map(|c| c.0), Some(2000));
    assert_eq!(report.unchecked_tail, 0);
}

#[tokio::test]
async fn restart_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let log = open(&s);
    append_all(&log, (1..=5).map(sample_entry).collect()).await;
    log.checkpoint().await.unwrap();
    let head = log.head();
    log.close().await;
    assert_eq!(append(&log, sample_entry(0)).await, Err(AuditError::Unavailable), "closed log refuses");

    let log = open(&s);
    assert_eq!(log.head(), head);
    assert_eq!(append_all(&log, (6..=12).map(sample_entry).collect()).await, (6..=12).collect::<Vec<_>>());
    log.checkpoint().await.unwrap();
    log.checkpoint().await.unwrap(); // already checkpointed: a no-op
    log.close().await;

    let report = verify(&s, &[signing_key().verifying_key()]).await.unwrap();
    assert_eq!(report.entries, 12);
    // On demand at 5, automatic at 10 (crossing), on demand at 12.
    assert_eq!(report.checkpoints, 3);
    assert_eq!(report.head_hash, open(&s).head().1);
}

#[tokio::test]
async fn a_full_database_fails_closed_and_keeps_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let s = AuditSettings { max_db_pages: Some(16), ..settings(dir.path()) };
    let log = open(&s);
    let big = |i: u64| NewEntry { request: vec![0xAB; 2048], ..sample_entry(i) };
    let mut last_ok = 0;
    let failure = loop {
        let next = tokio::time::timeout(Duration::from_secs(30), append(&log, big(last_ok + 1))).await.unwrap();
        match next {
            Ok(seq) => {
                assert_eq!(seq, last_ok + 1);
                last_ok = seq;
                assert!(last_ok < 1000, "the page cap never bit");
            }
            Err(e) => break e,
        }
    };
    assert_eq!(failure, AuditError::Unavailable);
    assert_eq!(failure.code(), "audit_unavailable");
    assert!(last_ok > 0);
    let head = log.head();
    assert_eq!(head.0, last_ok, "the head did not advance past the last committed entry");
    for i in 0..5 {
        let again = tokio::time::timeout(Duration::from_secs(30), append(&log, big(i))).await.unwrap();
        assert_eq!(again, Err(AuditError::Unavailable));
        assert_eq!(log.head(), head);
    }
    log.close().await;

    let report = verify(&s, &[signing_key().verifying_key()]).await.unwrap();
    assert_eq!((report.entries, report.head_hash), head);
    // Without the cap, the chain continues exactly where the committed entries end.
    let log = open(&AuditSettings { max_db_pages: None, ..s.clone() });
    assert_eq!(append(&log, sample_entry(1)).await, Ok(last_ok + 1));
}

#[tokio::test]
async fn a_panicking_builder_commits_nothing_and_the_log_fails_closed() {
    // Builders must not fail; one that panics is a broken invariant. Its batch is not committed,
    // and the writer is gone: every later append is refused, never half-written.
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path());
    let log = open(&s);
    assert_eq!(append(&log, sample_entry(1)).await, Ok(1));
    let broken = log.append(|_| -> (NewEntry, ()) { unreachable!("builder bug") }).await;
    assert_eq!(broken, Err(AuditError::Unavailable));
    assert_eq!(append(&log, sample_entry(2)).await, Err(AuditError::Unavailable));
    assert_eq!(log.head().0, 1);
    let reopened = open(&s);
    assert_eq!(reopened.head(), log.head(), "nothing of the broken batch was committed");
    assert_eq!(append(&reopened, sample_entry(2)).await, Ok(2));
}

#[tokio::test]
async fn unexpired_nonces_are_every_live_decision_with_a_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&settings(dir.path()));
    let entry = |n: u8, decision: Decision, expires_at: u64| NewEntry {
        nonce: Some([n; 16]),
        expires_at: Some(expires_at),
        decision,
        ..sample_entry(1)
    };
    let unparsed = NewEntry { nonce: None, expires_at: None, ..sample_entry(1) };
    append_all(
        &log,
        vec![
            entry(1, Decision::Granted, 1000),
            entry(2, Decision::Granted, 999),
            entry(3, Decision::Denied, 5000),
            entry(4, Decision::Granted, 5000),
            unparsed,
        ],
    )
    .await;
    let mut live: Vec<([u8; 16], u64, Decision)> =
        log.unexpired_nonces(1000).unwrap().into_iter().map(|u| (u.nonce, u.expires_at, u.decision)).collect();
    live.sort();
    let expected =
        vec![([1; 16], 1000, Decision::Granted), ([3; 16], 5000, Decision::Denied), ([4; 16], 5000, Decision::Granted)];
    assert_eq!(live, expected);
}

#[test]
fn open_refuses_what_is_not_an_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 42; CREATE TABLE t (x);").unwrap();
    drop(conn);
    let s = AuditSettings::new(path);
    let err = AuditLog::open(&s, Arc::new(signing_key()), KeyId::new("k").unwrap(), GATEKEEPER_ID.into()).err();
    assert_eq!(err, Some(AuditError::Open));
}
