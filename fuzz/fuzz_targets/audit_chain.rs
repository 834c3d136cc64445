//! Audit log verification (`audit::verify`, `audit::entry_hash`) against a tamperer who
//! can write the database: a real log of 11 entries with signed checkpoints at 4 and 8, edited by
//! the input, then verified.
//!
//! Input: a list of edits, read with `arbitrary`: set a column of an entry or a checkpoint (right
//! or wrong type and length), delete or copy a row, or rewrite the chain from an entry on (relink
//! and rehash every later entry, as a tamperer without the signing key would). The log lives in
//! SQLite's in-memory VFS (`file:/…?vfs=memdb`), copied from a template for each run: no disk.
//! Oracles: nothing panics; the untouched log verifies (11 entries, 2 checkpoints, the head the
//! writer reported); whenever verification succeeds, every entry up to the last checkpoint it
//! reports is the original one (nothing a checkpoint covers can be changed without the key).
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use ed25519_dalek::VerifyingKey;
use libfuzzer_sys::fuzz_target;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{params, Connection, OpenFlags};
use s3gk_fuzz::audit_log::{self, Log, ENTRIES};
use s3gk_gatekeeper::audit::{verify, AuditSettings};

const DB: &str = "file:/s3gk-fuzz-audit?vfs=memdb";

#[derive(Arbitrary, Debug)]
enum Op {
    EntryInt { seq: u8, column: u8, value: i64 },
    EntryText { seq: u8, column: u8, value: String },
    EntryBlob { seq: u8, column: u8, value: Vec<u8> },
    EntryNull { seq: u8, column: u8 },
    DeleteEntry { seq: u8 },
    MoveEntry { seq: u8, to: i64 },
    Rewrite { from: u8, key: String },
    CheckpointInt { index: u8, column: u8, value: i64 },
    CheckpointBlob { index: u8, column: u8, value: Vec<u8> },
    CheckpointText { index: u8, column: u8, value: String },
    DeleteCheckpoint { index: u8 },
    CopyCheckpoint { index: u8, seq: i64 },
}

const INT_COLUMNS: [&str; 3] = ["time_ms", "expires_at", "seq"];
const TEXT_COLUMNS: [&str; 10] = [
    "operation",
    "object_key",
    "client_ip",
    "country",
    "user_agent",
    "origin",
    "vendor_key_id",
    "decision",
    "reason",
    "time_ms",
];
const BLOB_COLUMNS: [&str; 7] =
    ["nonce", "request", "vendor_signature", "client_signature", "gatekeeper_signature", "prev_hash", "hash"];

thread_local! {
    /// The untouched log, deserialised once (SQLite's `deserialize` makes a private database, so
    /// each run copies it into the shared one that `verify` opens by name).
    static TEMPLATE: std::cell::OnceCell<Connection> = const { std::cell::OnceCell::new() };
}

struct Fixture {
    log: Log,
    keys: [VerifyingKey; 2],
    runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = [s3gk_fuzz::vendor_key().verifying_key(), s3gk_fuzz::gatekeeper_key().verifying_key()];
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        Fixture { log: audit_log::write(), keys, runtime }
    })
}

fn seq(s: u8) -> i64 {
    i64::from(s % (ENTRIES as u8 + 3))
}

fn apply(conn: &Connection, op: &Op) {
    let checkpoint = |i: u8| format!("(SELECT rowid FROM audit_checkpoints ORDER BY rowid LIMIT 1 OFFSET {})", i % 3);
    let pick = |cols: &[&'static str], c: u8| cols[usize::from(c) % cols.len()];
    let _ = match op {
        Op::EntryInt { seq: s, column, value } => conn.execute(
            &format!("UPDATE audit_entries SET {} = ?1 WHERE seq = ?2", pick(&INT_COLUMNS, *column)),
            params![value, seq(*s)],
        ),
        Op::EntryText { seq: s, column, value } => conn.execute(
            &format!("UPDATE audit_entries SET {} = ?1 WHERE seq = ?2", pick(&TEXT_COLUMNS, *column)),
            params![value, seq(*s)],
        ),
        Op::EntryBlob { seq: s, column, value } => conn.execute(
            &format!("UPDATE audit_entries SET {} = ?1 WHERE seq = ?2", pick(&BLOB_COLUMNS, *column)),
            params![value, seq(*s)],
        ),
        Op::EntryNull { seq: s, column } => {
            let all = [&TEXT_COLUMNS[..], &BLOB_COLUMNS[..], &INT_COLUMNS[..]].concat();
            conn.execute(&format!("UPDATE audit_entries SET {} = NULL WHERE seq = ?1", pick(&all, *column)), [seq(*s)])
        }
        Op::DeleteEntry { seq: s } => conn.execute("DELETE FROM audit_entries WHERE seq = ?1", [seq(*s)]),
        Op::MoveEntry { seq: s, to } => {
            conn.execute("UPDATE audit_entries SET seq = ?1 WHERE seq = ?2", [*to, seq(*s)])
        }
        Op::Rewrite { from, key } => {
            audit_log::rewrite(conn, seq(*from).max(1), key);
            Ok(0)
        }
        Op::CheckpointInt { index, column, value } => conn.execute(
            &format!(
                "UPDATE audit_checkpoints SET {} = ?1 WHERE rowid = {}",
                pick(&["seq", "time_ms"], *column),
                checkpoint(*index)
            ),
            [value],
        ),
        Op::CheckpointBlob { index, column, value } => conn.execute(
            &format!(
                "UPDATE audit_checkpoints SET {} = ?1 WHERE rowid = {}",
                pick(&["head_hash", "signature"], *column),
                checkpoint(*index)
            ),
            [value],
        ),
        Op::CheckpointText { index, column, value } => conn.execute(
            &format!(
                "UPDATE audit_checkpoints SET {} = ?1 WHERE rowid = {}",
                pick(&["gatekeeper_id", "key_id"], *column),
                checkpoint(*index)
            ),
            [value],
        ),
        Op::DeleteCheckpoint { index } => {
            conn.execute(&format!("DELETE FROM audit_checkpoints WHERE rowid = {}", checkpoint(*index)), [])
        }
        Op::CopyCheckpoint { index, seq } => conn.execute(
            &format!(
                "INSERT INTO audit_checkpoints SELECT ?1, head_hash, time_ms, gatekeeper_id, key_id, signature \
                 FROM audit_checkpoints WHERE rowid = {}",
                checkpoint(*index)
            ),
            [seq],
        ),
    };
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 16 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_URI;
    let mut conn = Connection::open_with_flags(DB, flags).expect("an in-memory database");
    TEMPLATE.with(|template| {
        let template = template.get_or_init(|| {
            let mut t = Connection::open_in_memory().expect("an in-memory database");
            t.deserialize_read_exact("main", f.log.image.as_slice(), f.log.image.len(), true).expect("the image loads");
            t
        });
        let copy = Backup::new(template, &mut conn).expect("a copy of the log");
        assert_eq!(copy.step(-1).expect("the copy runs"), StepResult::Done);
    });
    for op in &ops {
        apply(&conn, op);
    }
    let result = f.runtime.block_on(verify(&AuditSettings::new(DB), &f.keys));
    if ops.is_empty() {
        let report = result.as_ref().expect("the untouched log verifies");
        assert_eq!((report.entries, report.checkpoints, report.last_checkpoint.map(|c| c.0)), (ENTRIES, 2, Some(8)));
        assert_eq!(Some(&report.head_hash), f.log.hashes.last());
    }
    match result {
        Err(failure) => assert!(!failure.to_string().is_empty() && !failure.code().is_empty()),
        Ok(report) => {
            let covered = report.last_checkpoint.map_or(0, |c| c.0);
            assert!(report.entries >= covered);
            for s in 1..=covered {
                let stored: [u8; 32] = conn
                    .query_row("SELECT hash FROM audit_entries WHERE seq = ?1", [s as i64], |r| r.get(0))
                    .expect("a verified entry is there");
                assert_eq!(
                    Some(&stored),
                    f.log.hashes.get(s as usize - 1),
                    "entry {s} changed under a checkpoint: {ops:?}"
                );
            }
        }
    }
});
