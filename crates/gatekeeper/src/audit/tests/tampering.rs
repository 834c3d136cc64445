//! `verify` against a tamperer with write access to the database file.

use super::*;
use crate::audit::{verify, AuditError, VerifyFailure, VerifyProblem};

/// A closed log of `n` entries, checkpointed every 10 entries (and at the end when `final_checkpoint`).
async fn closed_log(dir: &Path, n: u64, final_checkpoint: bool) -> AuditSettings {
    let s = settings(dir);
    let log = open(&s);
    append_all(&log, (1..=n).map(sample_entry).collect()).await;
    if final_checkpoint {
        log.checkpoint().await.unwrap();
    }
    log.close().await;
    s
}

async fn check(s: &AuditSettings) -> Result<crate::audit::VerifyReport, VerifyFailure> {
    verify(s, &[signing_key().verifying_key()]).await
}

fn failure(seq: u64, problem: VerifyProblem) -> Result<crate::audit::VerifyReport, VerifyFailure> {
    Err(VerifyFailure { seq: Some(seq), problem })
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, false).await;
    let report = check(&s).await.unwrap();
    assert_eq!(report.entries, 25);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.last_checkpoint.map(|c| c.0), Some(20));
    assert_eq!(report.unchecked_tail, 5);
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    tamper(&s.path, "UPDATE audit_entries SET decision = 'granted', reason = 'granted' WHERE seq = 9");
    let err = check(&s).await.unwrap_err();
    assert_eq!(err, VerifyFailure { seq: Some(9), problem: VerifyProblem::HashMismatch });
    assert_eq!(err.code(), "audit_hash_mismatch");
    assert!(err.to_string().starts_with("seq 9: "), "{err}");
}

/// Edits entry `seq`'s key and stores a correct hash for it; with `rechain`, also relinks and
/// rehashes every later entry, as a tamperer without the signing key would.
fn rewrite_from(s: &AuditSettings, seq: u64, rechain: bool) {
    // Only to read: no checkpoint of the tail (the timer would sign one at once).
    let quiet = AuditSettings { checkpoint_every: 0, checkpoint_interval: std::time::Duration::ZERO, ..s.clone() };
    let log = open(&quiet);
    let entries =
        log.search(&crate::audit::SearchQuery { after_seq: Some(seq - 1), limit: 1000, ..Default::default() });
    drop(log);
    let conn = rusqlite::Connection::open(&s.path).unwrap();
    let mut prev = None;
    for mut e in entries.unwrap() {
        if e.seq == seq {
            e.entry.key = "reports/forged.pdf".into();
        } else if !rechain {
            break;
        }
        let prev_hash = prev.unwrap_or(e.prev_hash);
        let hash = crate::audit::entry_hash(e.seq, &prev_hash, &e.entry);
        conn.execute(
            "UPDATE audit_entries SET object_key = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![e.entry.key, prev_hash.as_slice(), hash.as_slice(), i64::try_from(e.seq).unwrap()],
        )
        .unwrap();
        prev = Some(hash);
    }
}

#[tokio::test]
async fn a_rehashed_entry_breaks_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    rewrite_from(&s, 13, false);
    assert_eq!(check(&s).await, failure(14, VerifyProblem::BrokenLink));
}

#[tokio::test]
async fn a_rechained_tail_fails_at_the_next_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    rewrite_from(&s, 13, true);
    assert_eq!(check(&s).await, failure(20, VerifyProblem::CheckpointMismatch));
}

#[tokio::test]
async fn a_deleted_entry_is_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    tamper(&s.path, "DELETE FROM audit_entries WHERE seq = 5");
    assert_eq!(check(&s).await, failure(5, VerifyProblem::Missing));

    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    tamper(&s.path, "DELETE FROM audit_entries WHERE seq = 1");
    assert_eq!(check(&s).await, failure(1, VerifyProblem::Missing));
}

#[tokio::test]
async fn truncation_below_a_checkpoint_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    tamper(&s.path, "DELETE FROM audit_entries WHERE seq > 17");
    assert_eq!(check(&s).await, failure(18, VerifyProblem::Truncated));
    // The gatekeeper refuses to continue such a log.
    let err = AuditLog::open(&s, Arc::new(signing_key()), KeyId::new("k").unwrap(), GATEKEEPER_ID.into()).err();
    assert_eq!(err, Some(AuditError::Corrupt { seq: 18 }));
}

#[tokio::test]
async fn truncation_after_the_last_checkpoint_is_not_detected() {
    // The documented limit: without a copy of the latest checkpoint kept elsewhere, entries after
    // the last checkpoint can be cut off. The report says how many entries are unprotected.
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, false).await;
    tamper(&s.path, "DELETE FROM audit_entries WHERE seq > 22");
    let report = check(&s).await.unwrap();
    assert_eq!((report.entries, report.unchecked_tail), (22, 2));
}

#[tokio::test]
async fn an_edited_checkpoint_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    let conn = rusqlite::Connection::open(&s.path).unwrap();
    let mut sig: Vec<u8> =
        conn.query_row("SELECT signature FROM audit_checkpoints WHERE seq = 20", [], |r| r.get(0)).unwrap();
    sig[10] ^= 0x01;
    conn.execute("UPDATE audit_checkpoints SET signature = ?1 WHERE seq = 20", [sig]).unwrap();
    drop(conn);
    assert_eq!(check(&s).await, failure(20, VerifyProblem::BadCheckpointSignature));

    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 25, true).await;
    tamper(&s.path, "UPDATE audit_checkpoints SET time_ms = time_ms + 1 WHERE seq = 10");
    assert_eq!(check(&s).await, failure(10, VerifyProblem::BadCheckpointSignature));
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 12, false).await;
    let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
    let err = verify(&s, &[other]).await.unwrap_err();
    assert_eq!(err, VerifyFailure { seq: Some(10), problem: VerifyProblem::BadCheckpointSignature });
    // Across a rotation, any of the listed keys may have signed a checkpoint.
    let keys = [other, signing_key().verifying_key()];
    assert_eq!(verify(&s, &keys).await.unwrap().checkpoints, 1);
    assert_eq!(verify(&s, &keys[..1]).await, Err(err));
}

#[tokio::test]
async fn malformed_rows_and_unreadable_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 12, false).await;
    tamper(&s.path, "UPDATE audit_entries SET nonce = x'00' WHERE seq = 4");
    assert_eq!(check(&s).await, failure(4, VerifyProblem::Malformed("nonce")));
    tamper(&s.path, "UPDATE audit_entries SET nonce = NULL WHERE seq = 4");
    assert_eq!(check(&s).await, failure(4, VerifyProblem::HashMismatch));
    tamper(&s.path, "UPDATE audit_entries SET country = '' WHERE seq = 2");
    assert_eq!(check(&s).await, failure(2, VerifyProblem::Malformed("country")), "'' and NULL hash alike");

    let missing = dir.path().join("nope.db");
    let err = verify(&AuditSettings::new(&missing), &[signing_key().verifying_key()]).await.unwrap_err();
    assert_eq!(err, VerifyFailure { seq: None, problem: VerifyProblem::Unreadable });
    assert!(!missing.exists(), "verify never creates a file");
}

#[tokio::test]
async fn open_refuses_an_edited_last_entry() {
    let dir = tempfile::tempdir().unwrap();
    let s = closed_log(dir.path(), 5, false).await;
    tamper(&s.path, "UPDATE audit_entries SET client_ip = '10.0.0.1' WHERE seq = 5");
    let err = AuditLog::open(&s, Arc::new(signing_key()), KeyId::new("k").unwrap(), GATEKEEPER_ID.into()).err();
    assert_eq!(err, Some(AuditError::Corrupt { seq: 5 }));
}
