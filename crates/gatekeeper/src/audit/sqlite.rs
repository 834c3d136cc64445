//! The SQLite store: one file, one gatekeeper process (WAL, `synchronous=FULL`).
//!
//! The schema is normative (`docs/audit.md`). A batch is one `BEGIN IMMEDIATE` transaction, which
//! holds the database's write lock: the head is read under it, the entries and any checkpoint are
//! inserted, and COMMIT is one fsync. The calls block: the log runs this store on threads of its
//! own, never on the server's workers. Every value goes through a bound parameter; this module
//! must never format caller data into SQL, and never trust a stored row.

use std::path::Path;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::chain::GENESIS_HASH;
use super::row::{
    entry_row, read_checkpoint, read_entry, read_used_nonce, u64_from_sql, u64_to_sql, Checkpoint, EntryRow, Malformed,
    CHECKPOINT_COLUMNS, ENTRY_COLUMNS,
};
use super::search::{live_nonces_query, page_query, Dialect, Param, SearchQuery};
use super::store::{Head, Locked, Plan, Role, Store, StoreError};
use super::{AuditEntry, AuditError, UsedNonce};

/// `PRAGMA user_version` of the schema below.
const SCHEMA_VERSION: i64 = 1;

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

const INSERT_ENTRY: &str = "INSERT INTO audit_entries (seq, time_ms, operation, object_key, client_ip, country, \
     user_agent, origin, vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, \
     client_signature, gatekeeper_signature, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (seq, head_hash, time_ms, gatekeeper_id, key_id, \
     signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An audit log in a SQLite file.
pub(super) struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens the database at `path`: for writing (created if missing, schema checked, capped at
    /// `max_db_pages`), or read-only (it must already be an audit log).
    pub(super) fn open(path: &Path, max_db_pages: Option<u32>, role: Role) -> Result<Self, AuditError> {
        let opened = match role {
            Role::Writer => open_writer(path, max_db_pages),
            Role::Reader => open_reader(path),
        };
        let conn = opened.map_err(|e| {
            tracing::error!(path = %path.display(), error = %e, "cannot open the audit log");
            AuditError::Open
        })?;
        Ok(Self { conn })
    }

    fn append_now(&mut self, plan: &mut Plan<'_>) -> Result<Locked, StoreError> {
        if !self.conn.is_autocommit() {
            // An earlier rollback failed; without this the connection would refuse every batch.
            self.conn.execute_batch("ROLLBACK").map_err(failed)?;
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
        let locked = Locked { head: head(&tx)?, last_checkpoint: last_checkpoint(&tx)? };
        let batch = plan(locked);
        if batch.is_empty() {
            return Ok(locked);
        }
        for e in &batch.entries {
            insert_entry(&tx, e).map_err(failed)?;
        }
        if let Some(c) = &batch.checkpoint {
            insert_checkpoint(&tx, c).map_err(failed)?;
        }
        tx.commit().map_err(failed)?;
        Ok(batch.head_after(&locked))
    }

    fn page_now(
        &self,
        q: &SearchQuery,
        after_seq: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Result<AuditEntry, Malformed>>, StoreError> {
        let (sql, params) = page_query(q, after_seq, limit, Dialect::Sqlite).map_err(StoreError::BadQuery)?;
        let values = params.into_iter().map(|p| match p {
            Param::Int(n) => Value::Integer(n),
            Param::Text(t) => Value::Text(t),
        });
        let mut stmt = self.conn.prepare_cached(&sql).map_err(failed)?;
        let mut rows = stmt.query(params_from_iter(values)).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            out.push(read_entry(row));
        }
        Ok(out)
    }

    fn live_nonces_now(&self, now_secs: u64) -> Result<Vec<UsedNonce>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&live_nonces_query(Dialect::Sqlite)).map_err(failed)?;
        let mut rows = stmt.query([i64::try_from(now_secs).unwrap_or(i64::MAX)]).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            out.push(read_used_nonce(row).map_err(StoreError::Malformed)?);
        }
        Ok(out)
    }

    fn checkpoints_now(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq, rowid");
        let mut stmt = self.conn.prepare(&sql).map_err(failed)?;
        let mut rows = stmt.query([]).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            out.push(read_checkpoint(row).map_err(StoreError::Malformed)?);
        }
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn append_batch<'a>(&'a mut self, plan: &'a mut Plan<'_>) -> BoxFuture<'a, Result<Locked, StoreError>> {
        Box::pin(async move { self.append_now(plan) })
    }

    fn last_entry(&mut self) -> BoxFuture<'_, Result<Option<AuditEntry>, StoreError>> {
        Box::pin(async move {
            let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq DESC LIMIT 1");
            let last = self.conn.query_row(&sql, [], |row| Ok(read_entry(row))).optional().map_err(failed)?;
            last.transpose().map_err(StoreError::Malformed)
        })
    }

    fn last_checkpoint(&mut self) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move { last_checkpoint(&self.conn) })
    }

    fn checkpoints(&mut self) -> BoxFuture<'_, Result<Vec<Checkpoint>, StoreError>> {
        Box::pin(async move { self.checkpoints_now() })
    }

    fn page<'a>(
        &'a mut self,
        q: &'a SearchQuery,
        after_seq: Option<u64>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Result<AuditEntry, Malformed>>, StoreError>> {
        Box::pin(async move { self.page_now(q, after_seq, limit) })
    }

    fn live_nonces(&mut self, now_secs: u64) -> BoxFuture<'_, Result<Vec<UsedNonce>, StoreError>> {
        Box::pin(async move { self.live_nonces_now(now_secs) })
    }
}

/// Opens (creating if needed) the database for writing: WAL, `synchronous=FULL`, schema checked.
fn open_writer(path: &Path, max_db_pages: Option<u32>) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the audit log could not switch to WAL; commits stay durable but slower");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
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

/// The head as stored: the seq and hash of the last entry.
fn head(conn: &Connection) -> Result<Head, StoreError> {
    let last = conn
        .query_row("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1", [], |row| {
            let seq = row.int(0).map(u64_from_sql).ok_or(Malformed { seq: 0, field: "seq" });
            Ok(seq.and_then(|seq| {
                let hash = row.blob(1).and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok());
                hash.map(|hash| (seq, hash)).ok_or(Malformed { seq, field: "hash" })
            }))
        })
        .optional()
        .map_err(failed)?;
    Ok(last.transpose().map_err(StoreError::Malformed)?.unwrap_or((0, GENESIS_HASH)))
}

/// The highest checkpointed sequence number (0 when there is none).
fn last_checkpoint(conn: &Connection) -> Result<u64, StoreError> {
    let max: Option<i64> =
        conn.query_row("SELECT MAX(seq) FROM audit_checkpoints", [], |r| r.get(0)).map_err(failed)?;
    Ok(max.map(u64_from_sql).unwrap_or(0))
}

/// Inserts one entry (inside the caller's transaction).
fn insert_entry(conn: &Connection, stored: &AuditEntry) -> rusqlite::Result<()> {
    let e = &stored.entry;
    let mut stmt = conn.prepare_cached(INSERT_ENTRY)?;
    stmt.execute(params![
        u64_to_sql(stored.seq),
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
        stored.prev_hash.as_slice(),
        stored.hash.as_slice(),
    ])?;
    Ok(())
}

/// Inserts a checkpoint (inside the caller's transaction).
fn insert_checkpoint(conn: &Connection, c: &Checkpoint) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(INSERT_CHECKPOINT)?;
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

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

entry_row!(rusqlite::Row<'_>, get);
