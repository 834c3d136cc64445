//! The service's one clock seam: every time the gatekeeper uses (`/v1/info`'s `server_time`, the
//! time window, the audit entries' and checkpoints' timestamps) comes from the clock it was started
//! with, here one an hour slow. Audit sequence numbers come from the writer, not the clock.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

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
