//! The PostgreSQL tables of the audit log, and rows to and from entries.
//!
//! The columns are those of the SQLite store (`docs/audit.md`, sections 2 and 9), with `BIGINT`
//! for integers (a `u64` as the `i64` with the same bits, as in SQLite) and `BYTEA` for blobs, plus
//! the single-row `audit_head` that serializes writers. Every value is
//! a bound parameter, and a stored row is never trusted: reading one checks every field.

use tokio_postgres::{Client, GenericClient, Row, Statement, Transaction};

use super::super::row::read_checkpoint;
pub(super) use super::super::row::read_entry;
use super::super::store::{u64_from_sql, u64_to_sql, Checkpoint, Malformed};
use super::super::writer::Head;
use super::super::NewEntry;

/// Why a database operation failed. `Display` is for the operator's log: it never holds the URL.
#[derive(Debug)]
pub(super) enum Failure {
    /// The database answered with an error, or the connection broke.
    Db(tokio_postgres::Error),
    /// The tables do not hold what this version writes.
    Schema(&'static str),
    /// No connection could be opened.
    Unreachable,
    /// The operation took too long; its connection is dropped.
    Timeout,
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Db(e)
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Db(e) => write!(f, "{e}"),
            Failure::Schema(why) => f.write_str(why),
            Failure::Unreachable => f.write_str("cannot connect"),
            Failure::Timeout => f.write_str("timed out"),
        }
    }
}

/// `audit_head.schema_version` of the tables below.
const SCHEMA_VERSION: i32 = 1;
/// The advisory lock held while the tables are created, so instances starting together do not race.
const SCHEMA_LOCK: i64 = 0x7333_676b_5f61_7564;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_entries (
    seq                  BIGINT PRIMARY KEY,
    time_ms              BIGINT NOT NULL,
    operation            TEXT NOT NULL,
    object_key           TEXT NOT NULL,
    client_ip            TEXT NOT NULL,
    country              TEXT,
    user_agent           TEXT NOT NULL,
    origin               TEXT NOT NULL,
    vendor_key_id        TEXT NOT NULL,
    nonce                BYTEA,
    expires_at           BIGINT,
    decision             TEXT NOT NULL,
    reason               TEXT NOT NULL,
    request              BYTEA NOT NULL,
    vendor_signature     BYTEA,
    client_signature     BYTEA,
    gatekeeper_signature BYTEA,
    prev_hash            BYTEA NOT NULL,
    hash                 BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (time_ms);
CREATE INDEX IF NOT EXISTS audit_entries_ip ON audit_entries (client_ip);
CREATE INDEX IF NOT EXISTS audit_entries_live_nonces ON audit_entries (expires_at)
    WHERE decision = 'granted' AND nonce IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq           BIGINT NOT NULL,
    head_hash     BYTEA NOT NULL,
    time_ms       BIGINT NOT NULL,
    gatekeeper_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    signature     BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_seq ON audit_checkpoints (seq);
CREATE TABLE IF NOT EXISTS audit_head (
    id              SMALLINT PRIMARY KEY CHECK (id = 1),
    schema_version  INTEGER NOT NULL,
    seq             BIGINT NOT NULL,
    hash            BYTEA NOT NULL,
    last_checkpoint BIGINT NOT NULL
);
INSERT INTO audit_head (id, schema_version, seq, hash, last_checkpoint)
    VALUES (1, 1, 0, decode(repeat('00', 32), 'hex'), 0) ON CONFLICT (id) DO NOTHING;
";

/// Locks the head for the rest of the transaction and reads it.
pub(super) const LOCK_HEAD: &str = "SELECT seq, hash, last_checkpoint FROM audit_head WHERE id = 1 FOR UPDATE";
/// Moves the head.
pub(super) const UPDATE_HEAD: &str = "UPDATE audit_head SET seq = $1, hash = $2, last_checkpoint = $3 WHERE id = 1";
/// Inserts one entry.
pub(super) const INSERT_ENTRY: &str = "INSERT INTO audit_entries (seq, time_ms, operation, object_key, client_ip, \
     country, user_agent, origin, vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, \
     client_signature, gatekeeper_signature, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
/// Inserts one checkpoint.
pub(super) const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints \
     (seq, head_hash, time_ms, gatekeeper_id, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)";

/// A `u64` as stored (the same bits as an `i64`).
pub(super) fn u64_to_pg(v: u64) -> i64 {
    u64_to_sql(v)
}

/// Creates the tables if needed (under an advisory lock) and checks their version.
pub(super) async fn ensure(client: &mut Client) -> Result<(), Failure> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).await?;
    tx.batch_execute(SCHEMA).await?;
    let version: i32 = tx.query_one("SELECT schema_version FROM audit_head WHERE id = 1", &[]).await?.try_get(0)?;
    tx.commit().await?;
    if version != SCHEMA_VERSION {
        tracing::error!(version, expected = SCHEMA_VERSION, "the PostgreSQL audit tables have an unknown version");
        return Err(Failure::Schema("the audit tables have an unknown schema version"));
    }
    Ok(())
}

/// The head row: `((seq, hash), last_checkpoint)`, or `None` if it is missing or malformed.
pub(super) fn read_head(row: Option<&Row>) -> Option<(Head, u64)> {
    let row = row?;
    let seq = u64_from_sql(row.try_get::<_, i64>(0).ok()?);
    let hash = <[u8; 32]>::try_from(row.try_get::<_, &[u8]>(1).ok()?).ok()?;
    let last_checkpoint = u64_from_sql(row.try_get::<_, i64>(2).ok()?);
    Some(((seq, hash), last_checkpoint))
}

/// Moves the head (inside the caller's transaction).
pub(super) async fn update_head(
    tx: &Transaction<'_>,
    stmt: &Statement,
    head: &Head,
    last_checkpoint: u64,
) -> Result<(), Failure> {
    let changed = tx.execute(stmt, &[&u64_to_sql(head.0), &head.1.as_slice(), &u64_to_sql(last_checkpoint)]).await?;
    if changed != 1 {
        return Err(Failure::Schema("the audit head row is missing"));
    }
    Ok(())
}

/// Inserts entry `seq` (inside the caller's transaction).
pub(super) async fn insert_entry(
    tx: &Transaction<'_>,
    stmt: &Statement,
    seq: u64,
    e: &NewEntry,
    prev_hash: &[u8; 32],
    hash: &[u8; 32],
) -> Result<u64, tokio_postgres::Error> {
    tx.execute(
        stmt,
        &[
            &u64_to_sql(seq),
            &u64_to_sql(e.time_ms),
            &e.operation,
            &e.key,
            &e.client_ip,
            &e.country,
            &e.user_agent,
            &e.origin,
            &e.vendor_key_id,
            &e.nonce.as_ref().map(|n| n.as_slice()),
            &e.expires_at.map(u64_to_sql),
            &e.decision.as_str(),
            &e.reason,
            &e.request,
            &e.vendor_signature.as_ref().map(|s| s.as_slice()),
            &e.client_signature.as_ref().map(|s| s.as_slice()),
            &e.gatekeeper_signature.as_ref().map(|s| s.as_slice()),
            &prev_hash.as_slice(),
            &hash.as_slice(),
        ],
    )
    .await
}

/// Inserts a checkpoint (inside the caller's transaction).
pub(super) async fn insert_checkpoint(
    tx: &Transaction<'_>,
    stmt: &Statement,
    c: &Checkpoint,
) -> Result<u64, tokio_postgres::Error> {
    tx.execute(
        stmt,
        &[
            &u64_to_sql(c.seq),
            &c.head_hash.as_slice(),
            &u64_to_sql(c.time_ms),
            &c.gatekeeper_id,
            &c.key_id,
            &c.signature.as_slice(),
        ],
    )
    .await
}

/// All checkpoints in order of `seq` (then insertion), or the first malformed one.
pub(super) async fn read_checkpoints(
    client: &impl GenericClient,
) -> Result<Result<Vec<Checkpoint>, Malformed>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT seq, head_hash, time_ms, gatekeeper_id, key_id, signature FROM audit_checkpoints ORDER BY seq, id",
            &[],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq = u64_from_sql(row.try_get::<_, i64>(0)?);
        match read_checkpoint(row, seq) {
            Ok(c) => out.push(c),
            Err(m) => return Ok(Err(m)),
        }
    }
    Ok(Ok(out))
}
