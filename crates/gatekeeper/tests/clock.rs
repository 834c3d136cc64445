//! The service's one clock seam: every time the gatekeeper uses (`/v1/info`'s `server_time`, the
//! time window, the audit entries' and checkpoints' timestamps) comes from the clock it was started
//! with, here one an hour slow, or one that steps backwards and forwards while the service runs.
//! Audit sequence numbers come from the writer, not the clock; a stepped clock makes entries'
//! times go backwards, never their order, and cannot reopen a spent request.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use s3gk_gatekeeper::audit::SearchQuery;
use s3gk_gatekeeper::clock::Clock;
use s3gk_protocol::Operation;

/// A clock that stands an hour behind the system's.
#[derive(Debug)]
struct HourSlow;

impl Clock for HourSlow {
    fn now(&self) -> SystemTime {
        SystemTime::now() - Duration::from_secs(3600)
    }
}

#[tokio::test]
async fn every_time_the_service_uses_comes_from_its_clock() {
    let stack = Stack::start(Options { clock: Some(Arc::new(HourSlow)), ..Options::default() }).await;
    let client = stack.client(None);
    let info: serde_json::Value =
        client.http.get(format!("{}/v1/info", stack.base)).send().await.unwrap().json().await.unwrap();
    let server_time = info["server_time"].as_u64().unwrap();
    assert!(now() - server_time >= 3599 && now() - server_time <= 3601, "server_time {server_time}");

    // A request made by the service's clock is current; one made by the system clock is not yet valid.
    let mut by_service = client.request(Operation::Get, "tickets/1/a.txt");
    (by_service.issued_at, by_service.expires_at) = (server_time, server_time + 60);
    assert_eq!(client.authorize(&by_service).await.0, 200);
    let (status, answer) = client.authorize(&client.request(Operation::Get, "tickets/1/b.txt")).await;
    assert_eq!((status, code(&answer)), (403, "not_yet_valid"), "{answer}");

    // The audit entries carry the service's time; their sequence numbers are 1 and 2 regardless.
    let entries = stack.gk.audit.search(&SearchQuery { limit: 10, ..SearchQuery::default() }).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2]);
    let hour_ago_ms = (SystemTime::now() - Duration::from_secs(3600)).duration_since(UNIX_EPOCH).unwrap().as_millis();
    for e in &entries {
        let skew = (i128::from(e.entry.time_ms) - hour_ago_ms as i128).abs();
        assert!(skew < 5_000, "entry {} time {} is not the service's clock", e.seq, e.entry.time_ms);
    }
    stack.stop().await;
}

/// A clock offset from the system's by a number of seconds the test changes.
#[derive(Debug, Default)]
struct Stepped(AtomicI64);

impl Clock for Stepped {
    fn now(&self) -> SystemTime {
        let offset = self.0.load(Ordering::Relaxed);
        let step = Duration::from_secs(offset.unsigned_abs());
        if offset >= 0 {
            SystemTime::now() + step
        } else {
            SystemTime::now() - step
        }
    }
}

#[tokio::test]
async fn a_clock_stepping_back_and_forth_changes_times_not_order_and_reopens_nothing() {
    let clock = Arc::new(Stepped::default());
    let stack = Stack::start(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let client = stack.client(None);
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a.txt"));
    assert_eq!(client.post(&body, &[]).await.0, 200);

    // A day ahead: the request is out of its window (refused as expired, spending nothing).
    clock.0.store(86_400, Ordering::Relaxed);
    let (status, answer) = client.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "expired"), "{answer}");
    // Back to the true time: inside its window again, and still spent.
    clock.0.store(0, Ordering::Relaxed);
    let (status, answer) = client.post(&body, &[]).await;
    assert_eq!((status, code(&answer)), (403, "replayed_nonce"), "{answer}");
    // An hour behind: a request made by that clock is granted, and logged after the others.
    clock.0.store(-3600, Ordering::Relaxed);
    let mut behind = client.request(Operation::Get, "tickets/1/b.txt");
    (behind.issued_at, behind.expires_at) = (now() - 3600, now() - 3600 + 60);
    assert_eq!(client.authorize(&behind).await.0, 200);

    let entries = stack.gk.audit.search(&SearchQuery { limit: 10, ..SearchQuery::default() }).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "sequence follows the order of decisions");
    let times: Vec<u64> = entries.iter().map(|e| e.entry.time_ms / 1000).collect();
    assert!(times[1] > times[2] && times[2] > times[3], "the entries carry the stepped times: {times:?}");
    let (db, _kept) = (stack.audit_db(), stack.dir.clone());
    stack.stop().await;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed(2)).verifying_key();
    let report = s3gk_gatekeeper::audit::verify(&s3gk_gatekeeper::audit::AuditSettings::new(db), &[key]).await.unwrap();
    assert_eq!(report.entries, 4, "{report}");
}
