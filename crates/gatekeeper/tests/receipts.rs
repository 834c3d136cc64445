//! Receipts bear witness (`docs/audit.md` section 7): the receipts a client kept prove that the
//! log was cut or rewritten after its last checkpoint, which the chain alone cannot show.
//!
//! Each test runs real grants through a gatekeeper, keeps their receipts as a client would (the
//! `receipt` object of each answer, one JSON line each), then plays a tamperer with write access to
//! the SQLite file but not the signing key, and checks both `verify` and the CLI's `--receipts`.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ed25519_dalek::{SigningKey, VerifyingKey};
use s3gk_gatekeeper::audit::{
    read_receipts, verify, verify_with_receipts, AuditLog, AuditSettings, NewEntry, VerifyProblem,
};
use s3gk_protocol::{KeyId, Operation};

/// Grants a get, a put and a prefix read; returns the receipts file the client kept.
async fn granted_receipts(stack: &Stack) -> String {
    let client = stack.client(None);
    put_encrypted(&client, "tickets/9/a.txt", b"first").await;
    let mut lines = Vec::new();
    for (op, key) in [
        (Operation::Get, "tickets/9/a.txt"),
        (Operation::ListPrefix, "tickets/9/"),
        (Operation::Get, "tickets/9/b.txt"),
    ] {
        let (status, answer) = client.authorize(&client.request(op, key)).await;
        assert_eq!(status, 200, "{answer}");
        lines.push(answer["receipt"].to_string());
    }
    lines.join("\n") + "\n"
}

fn gatekeeper_public() -> VerifyingKey {
    SigningKey::from_bytes(&seed(2)).verifying_key()
}

/// Runs SQL on the audit file as a tamperer (no signing key).
fn tamper(db: &Path, sql: &str) {
    rusqlite::Connection::open(db).unwrap().execute_batch(sql).unwrap();
}

/// Runs `gatekeeper audit verify --receipts`; returns its exit code and output.
fn cli_verify(db: &Path, receipts: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatekeeper"))
        .args(["audit", "verify", "--db"])
        .arg(db)
        .args(["--public-key", &hex::encode(gatekeeper_public().as_bytes()), "--receipts"])
        .arg(receipts)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// A stack whose log holds the three grants (and the put before them), stopped; the receipts
/// file, written next to the database.
async fn kept() -> (Arc<tempfile::TempDir>, std::path::PathBuf, String) {
    let stack = Stack::start(Options::default()).await;
    let text = granted_receipts(&stack).await;
    let (dir, db) = (stack.dir.clone(), stack.audit_db());
    stack.stop().await;
    let file = dir.path().join("receipts.jsonl");
    std::fs::write(&file, &text).unwrap();
    (dir, db, text)
}

#[tokio::test]
async fn kept_receipts_match_an_untouched_log() {
    let (dir, db, text) = kept().await;
    let held = read_receipts(&text, &[gatekeeper_public()]).unwrap();
    assert_eq!(held.len(), 3);
    let report = verify_with_receipts(&AuditSettings::new(&db), &[gatekeeper_public()], held).await.unwrap();
    assert_eq!(report.receipts, 3, "{report}");
    let (code, out) = cli_verify(&db, &dir.path().join("receipts.jsonl"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 receipts match their entries") && out.contains("last checkpoint signed"), "{out}");
}

#[tokio::test]
async fn a_tail_cut_with_its_checkpoints_is_caught_only_by_a_receipt() {
    let (dir, db, text) = kept().await;
    let held = read_receipts(&text, &[gatekeeper_public()]).unwrap();
    let last = held.iter().map(|r| r.sequence()).max().unwrap();
    // Cut the last grant and every checkpoint that covers it: what is left is a valid, shorter log.
    tamper(
        &db,
        &format!("DELETE FROM audit_entries WHERE seq >= {last}; DELETE FROM audit_checkpoints WHERE seq >= {last};"),
    );
    let settings = AuditSettings::new(&db);
    let plain = verify(&settings, &[gatekeeper_public()]).await.unwrap();
    assert_eq!(plain.entries, last - 1, "the chain alone cannot tell: {plain}");
    let failure = verify_with_receipts(&settings, &[gatekeeper_public()], held).await.unwrap_err();
    assert_eq!((failure.seq, failure.problem), (Some(last), VerifyProblem::ReceiptEntryMissing));
    assert_eq!(failure.code(), "audit_receipt_entry_missing");
    let (code, out) = cli_verify(&db, &dir.path().join("receipts.jsonl"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("TAMPERED: seq {last}:")), "{out}");
}

#[tokio::test]
async fn a_tail_rewritten_with_a_valid_chain_is_caught_by_a_receipt() {
    let (_dir, db, text) = kept().await;
    let held = read_receipts(&text, &[gatekeeper_public()]).unwrap();
    let last = held.iter().map(|r| r.sequence()).max().unwrap();
    tamper(
        &db,
        &format!("DELETE FROM audit_entries WHERE seq >= {last}; DELETE FROM audit_checkpoints WHERE seq >= {last};"),
    );
    // The tamperer appends a different entry at that seq through the log's own writer, so its
    // hash and link are right; without the gatekeeper's key it cannot checkpoint it.
    let settings =
        AuditSettings { checkpoint_every: 0, checkpoint_interval: Duration::ZERO, ..AuditSettings::new(&db) };
    let forger = SigningKey::from_bytes(&[9u8; 32]);
    let log = AuditLog::open(&settings, Arc::new(forger), KeyId::new("forged").unwrap(), GATEKEEPER_ID.into()).unwrap();
    let (seq, ()) = log
        .append(|_| {
            let mut e = NewEntry::denied(0, "acl_denied_ip");
            e.request = vec![1, 2, 3];
            (e, ())
        })
        .await
        .unwrap();
    log.close().await;
    assert_eq!(seq, last);
    let plain = verify(&settings, &[gatekeeper_public()]).await.unwrap();
    assert_eq!(plain.entries, last, "the chain alone cannot tell: {plain}");
    let failure = verify_with_receipts(&settings, &[gatekeeper_public()], held).await.unwrap_err();
    assert_eq!((failure.seq, failure.problem), (Some(last), VerifyProblem::ReceiptMismatch));
}

#[tokio::test]
async fn a_receipts_file_must_hold_only_receipts_the_gatekeeper_signed() {
    let (_dir, _db, text) = kept().await;
    let keys = [gatekeeper_public()];
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let with = |field: &str, value: serde_json::Value| {
        let mut line = first.clone();
        line[field] = value;
        line.to_string()
    };
    // Another key, a changed byte, a wrong sequence, and lines that are not receipts.
    let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
    assert_eq!(read_receipts(&text, &[other]).unwrap_err().line, 1);
    let sig = first["signature"].as_str().unwrap();
    let flipped = format!("{}{}", if sig.starts_with('A') { "B" } else { "A" }, &sig[1..]);
    let bad_lines = [
        with("signature", flipped.into()),
        with("sequence", (first["sequence"].as_u64().unwrap() + 1).into()),
        with("key_id", "gk-other".into()),
        with("bytes", "not base64".into()),
        "{\"bytes\":\"AA==\"}".to_owned(),
        "[]".to_owned(),
    ];
    for bad in bad_lines {
        let file = format!("{}\n{bad}\n", text.lines().next().unwrap());
        let err = read_receipts(&file, &keys).unwrap_err();
        assert_eq!((err.line, err.code()), (2, "receipts_file_invalid"), "{bad}: {err}");
    }
    assert_eq!(read_receipts("\n\n", &keys).unwrap().len(), 0, "blank lines are skipped");
}
