//! The PostgreSQL store: one audit log for several gatekeeper instances.
//!
//! Entries, hashes and checkpoints are exactly those of the SQLite store; only the tables differ
//! (`docs/audit.md`, section 9): `BIGINT` for integers (a `u64` as the `i64` with the same bits)
//! and `BYTEA` for blobs, plus the single row of `audit_head` that serializes writers. A batch is
//! one transaction that locks that row (`SELECT … FOR UPDATE`): another instance's batch waits
//! there until this one commits, then reads the head this one left, so the chain stays one
//! contiguous sequence. Connecting, TLS and telling a lost session apart are [`crate::postgres`]'s.
//! This module must never number an entry outside the transaction that holds the head lock, never
//! build SQL from caller text, and never trust a stored row.

use std::time::Duration;

use futures_util::future::{try_join_all, BoxFuture};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement, Transaction};

use super::row::{
    entry_row, read_checkpoint, read_entry, read_used_nonce, u64_from_sql, u64_to_sql, Checkpoint, EntryRow, Malformed,
    CHECKPOINT_COLUMNS, ENTRY_COLUMNS,
};
use super::search::{live_nonces_query, page_query, Dialect, Param, SearchQuery};
use super::store::{Head, Locked, Plan, Role, Store, StoreError};
use super::{AuditEntry, AuditError, UsedNonce, GENESIS_HASH};
use crate::postgres::{connect, connection_lost, PostgresSettings};

/// The longest a batch may take, lock wait included, before its waiters are refused.
const BATCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Server-side limit on any one statement of the writer.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
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

/// The writer's statements, prepared on each of its sessions, in this order.
const LOCK_HEAD: &str = "SELECT seq, hash, last_checkpoint FROM audit_head WHERE id = 1 FOR UPDATE";
const UPDATE_HEAD: &str = "UPDATE audit_head SET seq = $1, hash = $2, last_checkpoint = $3 WHERE id = 1";
const INSERT_ENTRY: &str = "INSERT INTO audit_entries (seq, time_ms, operation, object_key, client_ip, \
     country, user_agent, origin, vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, \
     client_signature, gatekeeper_signature, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
const INSERT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints \
     (seq, head_hash, time_ms, gatekeeper_id, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)";

/// Why a transaction failed, before it is told apart as lost or refused.
enum Failure {
    Db(tokio_postgres::Error),
    Schema(&'static str),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Db(e)
    }
}

/// A session, with the writer's statements prepared on it (none for a reader).
struct Session {
    client: Client,
    writes: Vec<Statement>,
}

/// An audit log in a PostgreSQL database.
pub(super) struct PgStore {
    settings: PostgresSettings,
    role: Role,
    /// `None` after a failure until the next call reconnects.
    session: Option<Session>,
    /// The writer has created or checked the tables (on its first session).
    set_up: bool,
}

impl PgStore {
    /// Connects. A writer also creates the tables if needed and checks that the head row names
    /// the last entry ([`AuditError::Corrupt`] otherwise).
    pub(super) async fn open(settings: &PostgresSettings, role: Role) -> Result<Self, AuditError> {
        let mut store = Self { settings: settings.clone(), role, session: None, set_up: false };
        let open_failed = |e: StoreError| {
            tracing::error!(error = %e, "cannot open the PostgreSQL audit log");
            AuditError::Open
        };
        store.session().await.map_err(open_failed)?;
        if role == Role::Writer {
            store.check_head_row().await?;
        }
        Ok(store)
    }

    /// The live session, opening one if there is none or it closed.
    async fn session(&mut self) -> Result<&Session, StoreError> {
        if self.session.as_ref().is_none_or(|s| s.client.is_closed()) {
            self.session = None;
            let timeout = (self.role == Role::Writer).then_some(STATEMENT_TIMEOUT);
            let mut client =
                connect(&self.settings, timeout).await.map_err(|_| StoreError::Down("cannot connect".into()))?;
            let mut writes = Vec::new();
            if self.role == Role::Writer {
                if !self.set_up {
                    ensure_schema(&mut client).await.map_err(StoreError::Failed)?;
                    self.set_up = true;
                }
                for sql in [LOCK_HEAD, UPDATE_HEAD, INSERT_ENTRY, INSERT_CHECKPOINT] {
                    writes.push(client.prepare(sql).await.map_err(|e| StoreError::Down(e.to_string()))?);
                }
            }
            self.session = Some(Session { client, writes });
        }
        self.session.as_ref().ok_or(StoreError::Down("no session".into()))
    }

    /// Tells a failed statement apart: a lost session is dropped, so the next call reconnects.
    fn judge(&mut self, e: tokio_postgres::Error) -> StoreError {
        let lost = self.session.as_ref().is_none_or(|s| connection_lost(&e, &s.client));
        if lost {
            self.session = None;
            StoreError::Lost(e.to_string())
        } else {
            StoreError::Failed(e.to_string())
        }
    }

    /// Runs one read query with `params` and hands back its rows.
    async fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let answer = self.session().await?.client.query(sql, params).await;
        answer.map_err(|e| self.judge(e))
    }

    /// The head row must name the last entry, and no checkpoint lie beyond it.
    async fn check_head_row(&mut self) -> Result<(), AuditError> {
        let unreadable = |e: StoreError| {
            tracing::error!(error = %e, "cannot read the PostgreSQL audit head");
            AuditError::Open
        };
        let row = self.query("SELECT seq, hash, last_checkpoint FROM audit_head WHERE id = 1", &[]).await;
        let Some(locked) = read_head(row.map_err(unreadable)?.first()) else {
            return Err(corrupt(0, "audit_head row"));
        };
        let stored = match self.last_entry().await {
            Ok(last) => last.map_or((0, GENESIS_HASH), |e| (e.seq, e.hash)),
            Err(StoreError::Malformed(m)) => return Err(corrupt(m.seq, m.field)),
            Err(e) => return Err(unreadable(e)),
        };
        if stored != locked.head {
            let seq = locked.head.0.min(stored.0).saturating_add(1);
            return Err(corrupt(seq, "the head does not name the last entry"));
        }
        if locked.last_checkpoint > locked.head.0 {
            return Err(corrupt(locked.head.0.saturating_add(1), "missing entries below a checkpoint"));
        }
        Ok(())
    }

    /// One transaction: lock the head, plan, insert (pipelined), move the head, commit.
    async fn transact(&mut self, plan: &mut Plan<'_>) -> Result<Locked, Failure> {
        let Some(Session { client, writes }) = self.session.as_mut() else { return Err(Failure::Schema("no session")) };
        let [lock_head, update_head, insert_entry, insert_checkpoint] = writes.as_slice() else {
            return Err(Failure::Schema("the writer's statements are not prepared"));
        };
        let tx = client.transaction().await?;
        let locked = tx.query_opt(lock_head, &[]).await?;
        let locked = read_head(locked.as_ref()).ok_or(Failure::Schema("the audit head row is missing or malformed"))?;
        let batch = plan(locked);
        if batch.is_empty() {
            tx.rollback().await?;
            return Ok(locked);
        }
        // One statement per entry, all in flight at once (the client pipelines them).
        try_join_all(batch.entries.iter().map(|e| insert(&tx, insert_entry, e))).await?;
        if let Some(c) = &batch.checkpoint {
            let params: [&(dyn ToSql + Sync); 6] = [
                &u64_to_sql(c.seq),
                &c.head_hash.as_slice(),
                &u64_to_sql(c.time_ms),
                &c.gatekeeper_id,
                &c.key_id,
                &c.signature.as_slice(),
            ];
            tx.execute(insert_checkpoint, &params).await?;
        }
        let after = batch.head_after(&locked);
        let (seq, hash, checkpoint) = (u64_to_sql(after.head.0), after.head.1, u64_to_sql(after.last_checkpoint));
        if tx.execute(update_head, &[&seq, &hash.as_slice(), &checkpoint]).await? != 1 {
            return Err(Failure::Schema("the audit head row is missing"));
        }
        tx.commit().await?;
        Ok(after)
    }
}

impl Store for PgStore {
    fn append_batch<'a>(&'a mut self, plan: &'a mut Plan<'_>) -> BoxFuture<'a, Result<Locked, StoreError>> {
        Box::pin(async move {
            self.session().await?;
            match tokio::time::timeout(BATCH_TIMEOUT, self.transact(plan)).await {
                Ok(Ok(committed)) => Ok(committed),
                Ok(Err(Failure::Db(e))) => Err(self.judge(e)),
                Ok(Err(Failure::Schema(why))) => {
                    self.session = None;
                    Err(StoreError::Failed(why.to_owned()))
                }
                Err(_) => {
                    // Dropping the session makes the server roll back and release the head lock.
                    self.session = None;
                    Err(StoreError::Down("the batch timed out".into()))
                }
            }
        })
    }

    fn last_entry(&mut self) -> BoxFuture<'_, Result<Option<AuditEntry>, StoreError>> {
        Box::pin(async move {
            let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq DESC LIMIT 1");
            let rows = self.query(&sql, &[]).await?;
            rows.first().map(read_entry).transpose().map_err(StoreError::Malformed)
        })
    }

    fn last_checkpoint(&mut self) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let rows = self.query("SELECT max(seq) FROM audit_checkpoints", &[]).await?;
            let max = rows
                .first()
                .and_then(|r| r.opt_int(0))
                .ok_or(StoreError::Malformed(Malformed { seq: 0, field: "seq" }))?;
            Ok(max.map(u64_from_sql).unwrap_or(0))
        })
    }

    fn checkpoints(&mut self) -> BoxFuture<'_, Result<Vec<Checkpoint>, StoreError>> {
        Box::pin(async move {
            let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq, id");
            let rows = self.query(&sql, &[]).await?;
            rows.iter().map(read_checkpoint).collect::<Result<_, _>>().map_err(StoreError::Malformed)
        })
    }

    fn page<'a>(
        &'a mut self,
        q: &'a SearchQuery,
        after_seq: Option<u64>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Result<AuditEntry, Malformed>>, StoreError>> {
        Box::pin(async move {
            let (sql, params) = page_query(q, after_seq, limit, Dialect::Postgres).map_err(StoreError::BadQuery)?;
            let values: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| match p {
                    Param::Int(n) => n as &(dyn ToSql + Sync),
                    Param::Text(t) => t as &(dyn ToSql + Sync),
                })
                .collect();
            Ok(self.query(&sql, &values).await?.iter().map(read_entry).collect())
        })
    }

    fn live_nonces(&mut self, now_secs: u64) -> BoxFuture<'_, Result<Vec<UsedNonce>, StoreError>> {
        Box::pin(async move {
            let now = i64::try_from(now_secs).unwrap_or(i64::MAX);
            let rows = self.query(&live_nonces_query(Dialect::Postgres), &[&now]).await?;
            rows.iter().map(read_used_nonce).collect::<Result<_, _>>().map_err(StoreError::Malformed)
        })
    }
}

/// Creates the tables if needed (under an advisory lock) and checks their version.
async fn ensure_schema(client: &mut Client) -> Result<(), String> {
    let created = async {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).await?;
        tx.batch_execute(SCHEMA).await?;
        let version: i32 = tx.query_one("SELECT schema_version FROM audit_head WHERE id = 1", &[]).await?.try_get(0)?;
        tx.commit().await?;
        Ok::<_, tokio_postgres::Error>(version)
    };
    let version = created.await.map_err(|e| e.to_string())?;
    if version != SCHEMA_VERSION {
        tracing::error!(version, expected = SCHEMA_VERSION, "the PostgreSQL audit tables have an unknown version");
        return Err("the audit tables have an unknown schema version".to_owned());
    }
    Ok(())
}

/// The head row, or `None` if it is missing or malformed.
fn read_head(row: Option<&Row>) -> Option<Locked> {
    let row = row?;
    let seq = u64_from_sql(row.int(0)?);
    let hash: Head = (seq, <[u8; 32]>::try_from(row.blob(1)?.as_slice()).ok()?);
    Some(Locked { head: hash, last_checkpoint: u64_from_sql(row.int(2)?) })
}

/// Inserts one entry (inside the caller's transaction).
async fn insert(
    tx: &Transaction<'_>,
    statement: &Statement,
    stored: &AuditEntry,
) -> Result<u64, tokio_postgres::Error> {
    let e = &stored.entry;
    tx.execute(
        statement,
        &[
            &u64_to_sql(stored.seq),
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
            &stored.prev_hash.as_slice(),
            &stored.hash.as_slice(),
        ],
    )
    .await
}

fn corrupt(seq: u64, problem: &str) -> AuditError {
    tracing::error!(seq, problem, "the PostgreSQL audit log is inconsistent; run verify");
    AuditError::Corrupt { seq }
}

entry_row!(Row, try_get);
