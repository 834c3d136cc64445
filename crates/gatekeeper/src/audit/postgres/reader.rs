//! Reading a PostgreSQL audit log: search and live nonces for a running gatekeeper, and the
//! export and verify of the CLI.
//!
//! [`AuditLog::search`](super::super::AuditLog::search) is blocking (the admin API calls it from
//! `spawn_blocking`), so a running log reads through [`Reader`]: a thread with its own runtime and
//! connection, which a blocking caller waits for without ever blocking an async runtime's driver.
//! [`verify_with_keys`] reads one snapshot (`REPEATABLE READ`) and runs the very checks of the
//! SQLite verify. Nothing here writes.

use std::io::Write;

use ed25519_dalek::VerifyingKey;
use futures_util::{pin_mut, TryStreamExt};
use tokio::sync::mpsc;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, IsolationLevel};

use super::super::search::{page_query, write_lines, Dialect, Param};
use super::super::store::{u64_from_sql, ENTRY_COLUMNS};
use super::super::verify::{ChainCheck, VerifyFailure, VerifyProblem, VerifyReport};
use super::super::{AuditEntry, AuditError, Decision, SearchQuery, UsedNonce, MAX_SEARCH_LIMIT};
use super::schema::{self, u64_to_pg};
use crate::postgres::connect;
use crate::postgres::PostgresSettings;

type Answer<T> = std::sync::mpsc::Sender<Result<T, AuditError>>;

enum ReadJob {
    Search(SearchQuery, Answer<Vec<AuditEntry>>),
    Nonces(u64, Answer<Vec<UsedNonce>>),
}

/// The reader thread's handle. The thread stops when the handle is dropped.
pub(in crate::audit) struct Reader {
    jobs: mpsc::UnboundedSender<ReadJob>,
}

impl Reader {
    /// Starts the thread; it connects on first use (and again after a failure).
    pub(in crate::audit) fn start(settings: PostgresSettings) -> Result<Self, AuditError> {
        let (jobs, rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
            tracing::error!(error = %e, "cannot start the audit reader's runtime");
            AuditError::Open
        })?;
        std::thread::Builder::new()
            .name("audit-pg-reader".into())
            .spawn(move || runtime.block_on(serve(settings, rx)))
            .map_err(|e| {
                tracing::error!(error = %e, "cannot start the audit reader thread");
                AuditError::Open
            })?;
        Ok(Self { jobs })
    }

    /// [`AuditLog::search`](super::super::AuditLog::search) on PostgreSQL. Blocking.
    pub(in crate::audit) fn search(&self, q: &SearchQuery) -> Result<Vec<AuditEntry>, AuditError> {
        let (answer, wait) = std::sync::mpsc::channel();
        self.jobs.send(ReadJob::Search(q.clone(), answer)).map_err(|_| AuditError::Query)?;
        wait.recv().unwrap_or(Err(AuditError::Query))
    }

    /// [`AuditLog::unexpired_nonces`](super::super::AuditLog::unexpired_nonces) on PostgreSQL. Blocking.
    pub(in crate::audit) fn unexpired_nonces(&self, now_secs: u64) -> Result<Vec<UsedNonce>, AuditError> {
        let (answer, wait) = std::sync::mpsc::channel();
        self.jobs.send(ReadJob::Nonces(now_secs, answer)).map_err(|_| AuditError::Query)?;
        wait.recv().unwrap_or(Err(AuditError::Query))
    }
}

/// The reader thread's body: one job at a time; a job whose connection turns out to be broken is
/// tried once more on a new one.
async fn serve(settings: PostgresSettings, mut rx: mpsc::UnboundedReceiver<ReadJob>) {
    let mut client: Option<Client> = None;
    while let Some(job) = rx.recv().await {
        match job {
            ReadJob::Search(q, answer) => {
                let mut found = Err(AuditError::Query);
                for _attempt in 0..2 {
                    let Some(c) = ready(&settings, &mut client).await else { break };
                    found = search_page(c, &q, q.after_seq, q.limit).await;
                    if found.is_ok() || !c.is_closed() {
                        break;
                    }
                }
                let _gone = answer.send(found);
            }
            ReadJob::Nonces(now, answer) => {
                let mut found = Err(AuditError::Query);
                for _attempt in 0..2 {
                    let Some(c) = ready(&settings, &mut client).await else { break };
                    found = live_nonces(c, now).await;
                    if found.is_ok() || !c.is_closed() {
                        break;
                    }
                }
                let _gone = answer.send(found);
            }
        }
    }
}

/// The connection, opened again if there is none or it broke.
async fn ready<'c>(settings: &PostgresSettings, client: &'c mut Option<Client>) -> Option<&'c Client> {
    if client.as_ref().is_none_or(Client::is_closed) {
        *client = connect(settings, None).await.ok();
    }
    client.as_ref()
}

/// One page of matches after `after_seq`.
async fn search_page(
    client: &Client,
    q: &SearchQuery,
    after_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEntry>, AuditError> {
    let (sql, params) = page_query(q, after_seq, limit, Dialect::Postgres)?;
    let values: Vec<&(dyn ToSql + Sync)> = params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &(dyn ToSql + Sync),
            Param::Text(t) => t as &(dyn ToSql + Sync),
        })
        .collect();
    let rows = client.query(sql.as_str(), &values).await.map_err(query_failed)?;
    rows.iter()
        .map(|row| {
            schema::read_entry(row).map_err(|m| {
                tracing::error!(seq = m.seq, field = m.field, "malformed audit row");
                AuditError::Corrupt { seq: m.seq }
            })
        })
        .collect()
}

/// Every entry with a nonce and `expires_at >= now_secs`, granted or denied.
async fn live_nonces(client: &Client, now_secs: u64) -> Result<Vec<UsedNonce>, AuditError> {
    let rows = client
        .query(
            "SELECT seq, nonce, expires_at, decision, reason FROM audit_entries \
             WHERE nonce IS NOT NULL AND expires_at >= $1",
            &[&u64_to_pg(now_secs)],
        )
        .await
        .map_err(query_failed)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq = row.try_get::<_, i64>(0).map(u64_from_sql).map_err(query_failed)?;
        let nonce: &[u8] = row.try_get(1).map_err(|_| AuditError::Corrupt { seq })?;
        let nonce = <[u8; 16]>::try_from(nonce).map_err(|_| AuditError::Corrupt { seq })?;
        let expires_at = row.try_get::<_, i64>(2).map(u64_from_sql).map_err(|_| AuditError::Corrupt { seq })?;
        let decision =
            row.try_get::<_, &str>(3).ok().and_then(Decision::from_text).ok_or(AuditError::Corrupt { seq })?;
        let reason = row.try_get::<_, String>(4).map_err(|_| AuditError::Corrupt { seq })?;
        out.push(UsedNonce { nonce, expires_at, decision, reason });
    }
    Ok(out)
}

/// Writes the entries matching `q` of the PostgreSQL audit log as JSON lines, like the SQLite
/// [`export_jsonl`](super::super::export_jsonl). Safe while gatekeepers write.
pub async fn export_jsonl(
    settings: &PostgresSettings,
    q: &SearchQuery,
    out: &mut dyn Write,
) -> Result<u64, AuditError> {
    let client = connect(settings, None).await.map_err(|_| AuditError::Open)?;
    let mut after = q.after_seq;
    let mut left = q.limit.max(1);
    let mut written = 0u64;
    while left > 0 {
        let page = search_page(&client, q, after, left.min(MAX_SEARCH_LIMIT)).await?;
        left = left.saturating_sub(page.len());
        let Some(last) = page.last().map(|e| e.seq) else { break };
        written = written.saturating_add(write_lines(out, &page)?);
        after = Some(last);
    }
    out.flush().map_err(|_| AuditError::Export)?;
    Ok(written)
}

/// Verifies the PostgreSQL audit log against the gatekeeper's public key (`docs/audit.md`,
/// section 6): the same checks, and the same answers, as the SQLite [`verify`](super::super::verify()).
pub async fn verify(settings: &PostgresSettings, key: &VerifyingKey) -> Result<VerifyReport, VerifyFailure> {
    verify_with_keys(settings, core::slice::from_ref(key)).await
}

/// [`verify`] across a key rotation: each checkpoint must verify under one of `keys`.
pub async fn verify_with_keys(
    settings: &PostgresSettings,
    keys: &[VerifyingKey],
) -> Result<VerifyReport, VerifyFailure> {
    let unreadable = |e: tokio_postgres::Error| {
        tracing::error!(error = %e, "cannot read the PostgreSQL audit log");
        VerifyFailure::UNREADABLE
    };
    let mut client = connect(settings, None).await.map_err(|_| VerifyFailure::UNREADABLE)?;
    // One snapshot: entries and checkpoints as of one moment, while gatekeepers keep appending.
    let snapshot = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(unreadable)?;
    let checkpoints = schema::read_checkpoints(&snapshot)
        .await
        .map_err(unreadable)?
        .map_err(|m| VerifyFailure::at(m.seq, VerifyProblem::Malformed(m.field)))?;
    let mut chain = ChainCheck::new(checkpoints, keys)?;
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq");
    let rows = snapshot.query_raw(sql.as_str(), std::iter::empty::<&(dyn ToSql + Sync)>()).await.map_err(unreadable)?;
    pin_mut!(rows);
    while let Some(row) = rows.try_next().await.map_err(unreadable)? {
        chain.entry(schema::read_entry(&row))?;
    }
    chain.finish()
}

fn query_failed(e: tokio_postgres::Error) -> AuditError {
    tracing::error!(error = %e, "audit log read failed");
    AuditError::Query
}
