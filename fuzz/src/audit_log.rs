//! The audit log the `audit_chain` target tampers with: 11 entries written by the gatekeeper's own
//! writer with a checkpoint every 4, its bytes, and the tamperer's tools (read an entry back,
//! rewrite the chain from an entry on).
//!
//! Only the fixture is built on disk, once, in a temporary folder it then removes; every run works
//! on a copy in SQLite's in-memory VFS.

use std::sync::Arc;

use rusqlite::{params, Connection};
use s3gk_gatekeeper::audit::{entry_hash, AuditLog, AuditSettings, NewEntry, GENESIS_HASH};
use s3gk_protocol::KeyId;

/// The entries of the log.
pub const ENTRIES: u64 = 11;

/// The log's checkpoints are at every multiple of this.
pub const CHECKPOINT_EVERY: u64 = 4;

/// The untouched log.
#[derive(Debug)]
pub struct Log {
    /// The database file's bytes (rollback journal mode, so one file holds it all).
    pub image: Vec<u8>,
    /// Each entry's hash, from seq 1.
    pub hashes: Vec<[u8; 32]>,
}

/// The reasons the tamperer's tool can rebuild an entry with (the entry type takes only codes).
const REASONS: [&str; 4] = ["acl_denied_ip", "acl_denied_country", "replayed_nonce", "bad_client_signature"];

/// An entry with `decision` and `reason`, and every other field empty; `None` for a decision or a
/// reason the entry type cannot hold.
fn decided(time_ms: u64, decision: &str, reason: &str) -> Option<NewEntry> {
    match decision {
        "granted" if reason == "granted" => Some(NewEntry::granted(time_ms)),
        "denied" => REASONS.iter().find(|r| **r == reason).map(|r| NewEntry::denied(time_ms, r)),
        _ => None,
    }
}

/// A plausible entry whose fields vary with `i`, some absent.
pub fn sample(i: u64) -> NewEntry {
    let granted = !i.is_multiple_of(3);
    let time_ms = 1_800_000_000_000 + i * 1000;
    let mut e = if granted { NewEntry::granted(time_ms) } else { NewEntry::denied(time_ms, REASONS[0]) };
    e.operation = ["get", "put", "list_prefix", ""][(i % 4) as usize].to_owned();
    e.key = format!("tickets/{i}/report.pdf");
    e.client_ip = format!("203.0.113.{i}");
    e.country = (i % 5 != 4).then(|| "NL".to_owned());
    e.user_agent = "Mozilla/5.0 (fuzz)".to_owned();
    e.origin = "https://helpdesk.vendor.example".to_owned();
    e.vendor_key_id = "vendor-2026-01".to_owned();
    e.nonce = (i % 4 != 3).then_some([i as u8; 16]);
    e.expires_at = (i % 4 != 3).then_some(1_800_000_300 + i);
    e.request = vec![i as u8; 40];
    e.vendor_signature = Some([1; 64]);
    e.client_signature = i.is_multiple_of(2).then_some([2; 64]);
    e.gatekeeper_signature = granted.then_some([3; 64]);
    e
}

/// Writes the log with the gatekeeper's own writer (signing checkpoints with
/// [`crate::gatekeeper_key`]) and returns its bytes.
pub fn write() -> Log {
    let dir = std::env::temp_dir().join(format!("s3gk-fuzz-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("audit.db");
    let _ = std::fs::remove_file(&path);
    // Checkpoints by count only, so the log is the same however slowly it is written.
    let settings = AuditSettings {
        checkpoint_every: CHECKPOINT_EVERY,
        checkpoint_interval: std::time::Duration::ZERO,
        ..AuditSettings::new(&path)
    };
    let key_id = KeyId::new("gk-2026-01").expect("valid");
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    runtime.block_on(async {
        let signer = Arc::new(crate::gatekeeper_key());
        let log = AuditLog::open(&settings, signer, key_id, crate::GATEKEEPER_ID.into()).expect("the log opens");
        for i in 1..=ENTRIES {
            let entry = sample(i);
            log.append(move |_| (entry, ())).await.expect("the entry is written");
        }
        log.close().await;
    });
    drop(runtime);
    let conn = Connection::open(&path).expect("the log reopens");
    // Leaving WAL needs the only connection; the log's reader thread may still be closing its own.
    let mut tries = 0;
    while let Err(e) = conn.pragma_update(None, "journal_mode", "DELETE") {
        tries += 1;
        assert!(tries < 200, "cannot leave WAL: {e}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let image = conn.serialize("main").expect("serialise").to_vec();
    let hashes = {
        let mut stmt = conn.prepare("SELECT hash FROM audit_entries ORDER BY seq").expect("sql");
        let rows = stmt.query_map([], |r| r.get::<_, [u8; 32]>(0)).expect("sql");
        rows.map(|h| h.expect("hash")).collect()
    };
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    Log { image, hashes }
}

/// Reads entry `seq` back; `None` if a column has been made unreadable, or holds a decision and
/// reason the entry type cannot (then the tamperer's tool cannot rehash it; `verify` still reads it).
pub fn read(conn: &Connection, seq: i64) -> Option<NewEntry> {
    let sql = "SELECT time_ms, operation, object_key, client_ip, country, user_agent, origin, vendor_key_id, nonce, \
               expires_at, decision, reason, request, vendor_signature, client_signature, gatekeeper_signature \
               FROM audit_entries WHERE seq = ?1";
    conn.query_row(sql, [seq], |r| {
        let time_ms = r.get::<_, i64>(0)? as u64;
        let (decision, reason): (String, String) = (r.get(10)?, r.get(11)?);
        let Some(mut e) = decided(time_ms, &decision, &reason) else { return Ok(None) };
        e.operation = r.get(1)?;
        e.key = r.get(2)?;
        e.client_ip = r.get(3)?;
        e.country = r.get(4)?;
        e.user_agent = r.get(5)?;
        e.origin = r.get(6)?;
        e.vendor_key_id = r.get(7)?;
        e.nonce = r.get(8)?;
        e.expires_at = r.get::<_, Option<i64>>(9)?.map(|v| v as u64);
        e.request = r.get(12)?;
        e.vendor_signature = r.get(13)?;
        e.client_signature = r.get(14)?;
        e.gatekeeper_signature = r.get(15)?;
        Ok(Some(e))
    })
    .ok()
    .flatten()
}

/// Edits entry `from`'s key, then relinks and rehashes it and every later entry.
pub fn rewrite(conn: &Connection, from: i64, key: &str) {
    let _ = conn.execute("UPDATE audit_entries SET object_key = ?1 WHERE seq = ?2", params![key, from]);
    let prev = if from <= 1 {
        Some(GENESIS_HASH)
    } else {
        conn.query_row("SELECT hash FROM audit_entries WHERE seq = ?1", [from - 1], |r| r.get(0)).ok()
    };
    let Some(mut prev) = prev else { return };
    for s in from..=ENTRIES as i64 {
        let Some(entry) = read(conn, s) else { return };
        let hash = entry_hash(s as u64, &prev, &entry);
        let _ =
            conn.execute("UPDATE audit_entries SET prev_hash = ?1, hash = ?2 WHERE seq = ?3", params![prev, hash, s]);
        prev = hash;
    }
}
