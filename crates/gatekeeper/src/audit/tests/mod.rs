//! Tests of the audit log against real SQLite files in temporary directories.
//!
//! Shared fixtures live here; the tests are grouped by what they exercise. They must never depend on
//! timing (no throughput assertions): grouping is checked by counting commits, not by measuring.

use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use s3gk_protocol::KeyId;

use super::{AuditError, AuditLog, AuditSettings, Decision, NewEntry};

mod interval;
mod searching;
mod tampering;
mod writing;

pub(crate) const GATEKEEPER_ID: &str = "gk.example:eu-1";

pub(crate) fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub(crate) fn settings(dir: &Path) -> AuditSettings {
    AuditSettings { checkpoint_every: 10, ..AuditSettings::new(dir.join("audit.db")) }
}

pub(crate) fn open(settings: &AuditSettings) -> AuditLog {
    AuditLog::open(settings, Arc::new(signing_key()), KeyId::new("gk-2025").unwrap(), GATEKEEPER_ID.to_owned()).unwrap()
}

/// A plausible entry whose fields vary with `i`.
pub(crate) fn sample_entry(i: u64) -> NewEntry {
    let granted = !i.is_multiple_of(3);
    NewEntry {
        time_ms: 1_700_000_000_000 + i * 1000,
        operation: if i.is_multiple_of(2) { "get" } else { "put" }.to_owned(),
        key: format!("reports/{}/r{i}.pdf", 2020 + i % 5),
        client_ip: format!("192.0.2.{}", i % 4),
        country: (i % 5 != 4).then(|| "DE".to_owned()),
        user_agent: "Mozilla/5.0 (test)".to_owned(),
        origin: "https://vendor.example".to_owned(),
        vendor_key_id: "vendor-1".to_owned(),
        nonce: Some([u8::try_from(i % 251).unwrap(); 16]),
        expires_at: Some(1_700_000_300 + i),
        decision: if granted { Decision::Granted } else { Decision::Denied },
        reason: if granted { "granted" } else { "acl_denied_ip" }.to_owned(),
        request: vec![u8::try_from(i % 256).unwrap(); 40],
        vendor_signature: Some([1u8; 64]),
        client_signature: Some([2u8; 64]),
        gatekeeper_signature: granted.then_some([3u8; 64]),
    }
}

/// Appends `entry`, which needs no seq, and returns its seq.
pub(crate) async fn append(log: &AuditLog, entry: NewEntry) -> Result<u64, AuditError> {
    log.append(move |_| (entry, ())).await.map(|(seq, ())| seq)
}

/// Appends `entries` one after another, returning their seqs.
pub(crate) async fn append_all(log: &AuditLog, entries: Vec<NewEntry>) -> Vec<u64> {
    let mut seqs = Vec::new();
    for e in entries {
        seqs.push(append(log, e).await.unwrap());
    }
    seqs
}

/// Runs one SQL statement on the database through a separate connection (a tamperer).
pub(crate) fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let changed = conn.execute(sql, []).unwrap();
    assert!(changed > 0, "tampering changed nothing: {sql}");
}
