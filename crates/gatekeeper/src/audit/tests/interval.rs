//! The checkpoint timer: no entry stays without a checkpoint for longer than
//! `checkpoint_interval`, whether entries stop, keep coming, or were left unchecked by a crash.
//!
//! These tests wait for something to happen (polling `verify`, with a generous limit that only a
//! hung writer reaches); none asserts how fast it happened.

use std::time::{Duration, Instant};

use super::*;
use crate::audit::{verify, VerifyReport};

/// No checkpoint by count: only the timer (and explicit calls) write them.
fn timed(dir: &Path, interval: Duration) -> AuditSettings {
    AuditSettings { checkpoint_every: 0, checkpoint_interval: interval, ..AuditSettings::new(dir.join("audit.db")) }
}

async fn report(s: &AuditSettings) -> VerifyReport {
    verify(s, &[signing_key().verifying_key()]).await.unwrap()
}

/// Polls until the whole log is checkpointed; panics after a minute (a writer that never does).
async fn wait_until_checkpointed(s: &AuditSettings) -> VerifyReport {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let r = report(s).await;
        if r.entries > 0 && r.unchecked_tail == 0 {
            return r;
        }
        assert!(Instant::now() < give_up, "no checkpoint covered the tail: {r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn entries_that_stop_coming_are_checkpointed_by_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    let s = timed(dir.path(), Duration::from_millis(200));
    let log = open(&s);
    append_all(&log, (1..=3).map(sample_entry).collect()).await;
    let r = wait_until_checkpointed(&s).await;
    assert_eq!((r.entries, r.checkpoints, r.last_checkpoint.map(|c| c.0)), (3, 1, Some(3)));
    // Nothing new: the timer does not sign the same head again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(report(&s).await.checkpoints, 1);
    log.close().await;
}

#[tokio::test]
async fn a_steady_stream_of_entries_is_checkpointed_as_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let s = timed(dir.path(), Duration::from_millis(100));
    let log = open(&s);
    let (start, mut i) = (Instant::now(), 0u64);
    // The writer is never idle long enough for its timer to fire: only the overdue check on each
    // batch can checkpoint here.
    while start.elapsed() < Duration::from_secs(1) {
        i += 1;
        append(&log, sample_entry(i)).await.unwrap();
    }
    let r = report(&s).await;
    assert!(r.checkpoints >= 2, "one second of entries at a 100 ms interval: {r}");
    log.close().await;
}

#[tokio::test]
async fn a_tail_left_unchecked_by_a_crash_is_checkpointed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    // The first life: no timer, no count, no final checkpoint (as if killed).
    let first = timed(dir.path(), Duration::ZERO);
    let log = open(&first);
    append_all(&log, (1..=4).map(sample_entry).collect()).await;
    log.close().await;
    assert_eq!(report(&first).await.unchecked_tail, 4);
    // The next life checkpoints what it found without waiting for an interval or a new entry.
    let next = timed(dir.path(), Duration::from_secs(3600));
    let log = open(&next);
    let r = wait_until_checkpointed(&next).await;
    assert_eq!((r.checkpoints, r.last_checkpoint.map(|c| c.0)), (1, Some(4)));
    log.close().await;
}

#[test]
fn the_checkpoint_age_is_reported_from_its_signed_time() {
    let r = VerifyReport {
        entries: 5,
        head_hash: [0; 32],
        checkpoints: 1,
        last_checkpoint: Some((5, 10_000)),
        unchecked_tail: 0,
        receipts: 0,
    };
    assert_eq!(r.checkpoint_age_secs(42_999), Some(32));
    assert_eq!(r.checkpoint_age_secs(1_000), Some(0), "a checkpoint from the future is not negative");
    assert_eq!(VerifyReport { last_checkpoint: None, ..r }.checkpoint_age_secs(42_999), None);
}
