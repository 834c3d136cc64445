//! The SQLite side of the audit log: schema, connections, and rows to and from entries.
//!
//! The schema is normative (`docs/audit.md`). Every value goes through a bound parameter; this module
//! must never format caller data into SQL, and must never trust a stored row: reading one checks
//! every field's type and length and names the field that is wrong.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::row::read_checkpoint;
pub(super) use super::row::read_entry;
use super::{AuditEntry, NewEntry};

/// `PRAGMA user_version` of the schema below.
pub(super) const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_entries (
    seq                  INTEGER PRIMARY KEY NOT NULL,
    time_ms              INTEGER NOT NULL,
    operation            TEXT NOT NULL,
    object_key           TEXT NOT NULL,
    client_ip            TEXT NOT NULL,
    country              TEXT,
    user_agent           TEXT NOT NULL,
    origin               TEXT NOT NULL,
    vendor_key_id        TEXT NOT NULL,
    nonce                BLOB,
    expires_at           INTEGER,
    decision             TEXT NOT NULL,
    reason               TEXT NOT NULL,
    request              BLOB NOT NULL,
    vendor_signature     BLOB,
    client_signature     BLOB,
    gatekeeper_signature BLOB,
    prev_hash            BLOB NOT NULL,
    hash                 BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (time_ms);
CREATE INDEX IF NOT EXISTS audit_entries_ip ON audit_entries (client_ip);
CREATE INDEX IF NOT EXISTS audit_entries_live_nonces ON audit_entries (expires_at)
    WHERE decision = 'granted' AND nonce IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq           INTEGER NOT NULL,
    head_hash     BLOB NOT NULL,
    time_ms       INTEGER NOT NULL,
    gatekeeper_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    signature     BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_checkpoints_seq ON audit_checkpoints (seq);
";

/// The entry columns, in the order [`read_entry`] reads them.
pub(super) const ENTRY_COLUMNS: &str = "seq, time_ms, operation, object_key, client_ip, country, user_agent, origin, \
     vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, client_signature, \
     gatekeeper_signature, prev_hash, hash";

const INSERT_ENTRY: &str = "INSERT INTO audit_entries (seq, time_ms, operation, object_key, client_ip, country, \
     user_agent, origin, vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, \
     client_signature, gatekeeper_signature, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Checkpoint {
    pub(super) seq: u64,
    pub(super) head_hash: [u8; 32],
    pub(super) time_ms: u64,
    pub(super) gatekeeper_id: String,
    pub(super) key_id: String,
    pub(super) signature: [u8; 64],
}

/// A stored row that does not have the shape the schema promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Malformed {
    /// The row's sequence number (0 if even that could not be read).
    pub(super) seq: u64,
    /// The column that is wrong.
    pub(super) field: &'static str,
}

/// SQLite integers are `i64`; a `u64` is stored as its two's-complement reinterpretation (lossless).
pub(super) fn u64_to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// The inverse of [`u64_to_sql`].
pub(super) fn u64_from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

/// Opens (creating if needed) the database for writing: WAL, `synchronous=FULL`, schema checked.
pub(super) fn open_writer(path: &Path, max_db_pages: Option<u32>) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the audit log could not switch to WAL; commits stay durable but slower");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != 0 && version != SCHEMA_VERSION {
        tracing::error!(version, expected = SCHEMA_VERSION, "audit log has an unknown schema version");
        return Err(rusqlite::Error::InvalidQuery);
    }
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    if let Some(pages) = max_db_pages {
        conn.pragma_update(None, "max_page_count", pages)?;
    }
    conn.set_prepared_statement_cache_capacity(8);
    Ok(conn)
}

/// Opens an existing database read-only (search, export, verify).
pub(super) fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        tracing::error!(version, expected = SCHEMA_VERSION, "not an audit log, or an unknown schema version");
        return Err(rusqlite::Error::InvalidQuery);
    }
    Ok(conn)
}

/// Inserts entry `seq` (inside the caller's transaction).
pub(super) fn insert_entry(
    conn: &Connection,
    seq: u64,
    e: &NewEntry,
    prev_hash: &[u8; 32],
    hash: &[u8; 32],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(INSERT_ENTRY)?;
    stmt.execute(params![
        u64_to_sql(seq),
        u64_to_sql(e.time_ms),
        e.operation,
        e.key,
        e.client_ip,
        e.country,
        e.user_agent,
        e.origin,
        e.vendor_key_id,
        e.nonce.as_ref().map(|n| n.as_slice()),
        e.expires_at.map(u64_to_sql),
        e.decision.as_str(),
        e.reason,
        e.request,
        e.vendor_signature.as_ref().map(|s| s.as_slice()),
        e.client_signature.as_ref().map(|s| s.as_slice()),
        e.gatekeeper_signature.as_ref().map(|s| s.as_slice()),
        prev_hash.as_slice(),
        hash.as_slice(),
    ])?;
    Ok(())
}

/// Inserts a checkpoint (inside the caller's transaction).
pub(super) fn insert_checkpoint(conn: &Connection, c: &Checkpoint) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO audit_checkpoints (seq, head_hash, time_ms, gatekeeper_id, key_id, signature) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    stmt.execute(params![
        u64_to_sql(c.seq),
        c.head_hash.as_slice(),
        u64_to_sql(c.time_ms),
        c.gatekeeper_id,
        c.key_id,
        c.signature.as_slice()
    ])?;
    Ok(())
}

/// The last entry, if any.
pub(super) fn last_entry(conn: &Connection) -> rusqlite::Result<Option<Result<AuditEntry, Malformed>>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq DESC LIMIT 1");
    conn.query_row(&sql, [], |row| Ok(read_entry(row))).optional()
}

/// The highest checkpointed sequence number (0 when there is none).
pub(super) fn last_checkpoint_seq(conn: &Connection) -> rusqlite::Result<u64> {
    let max: Option<i64> = conn.query_row("SELECT MAX(seq) FROM audit_checkpoints", [], |r| r.get(0))?;
    Ok(max.map(u64_from_sql).unwrap_or(0))
}

/// All checkpoints in order of `seq`, or the first malformed one.
pub(super) fn read_checkpoints(conn: &Connection) -> rusqlite::Result<Result<Vec<Checkpoint>, Malformed>> {
    let mut stmt = conn.prepare(
        "SELECT seq, head_hash, time_ms, gatekeeper_id, key_id, signature FROM audit_checkpoints \
         ORDER BY seq, rowid",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let seq = u64_from_sql(row.get::<_, i64>(0)?);
        match read_checkpoint(row, seq) {
            Ok(c) => out.push(c),
            Err(m) => return Ok(Err(m)),
        }
    }
    Ok(Ok(out))
}
