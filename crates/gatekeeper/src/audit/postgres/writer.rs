//! The writer task of a PostgreSQL audit log: group commit, serialized across instances.
//!
//! Like the SQLite writer it takes every append already queued (up to [`MAX_BATCH`]) and writes
//! them in one transaction. That transaction first locks the single row of `audit_head` (`SELECT
//! … FOR UPDATE`): another instance's batch waits there until this one commits, then reads the
//! head this one left. Sequence numbers come from that locked head, entries are inserted
//! (pipelined), any due checkpoint is signed and inserted, the head is moved, and only after COMMIT
//! returns is anyone answered. Any failure or timeout answers every waiter of the batch with
//! [`AuditError::Unavailable`]; the next batch starts again from the head in the database.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::try_join_all;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, Statement};

use super::super::chain::{canonicalise, entry_hash, GENESIS_HASH};
use super::super::store::{u64_from_sql, ENTRY_COLUMNS};
use super::super::writer::{CheckpointSigner, Head, Job, Make, Shared, MAX_BATCH, QUEUE};
use super::super::{AuditError, NewEntry};
use super::reader::Reader;
use super::schema::{self, Failure};
use crate::postgres::connect;
use crate::postgres::PostgresSettings;

/// The longest a batch may take, lock wait included, before its waiters are refused.
const BATCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Server-side limit on any one statement of the writer.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

type Reply = oneshot::Sender<Result<u64, AuditError>>;

/// Connects, creates the tables if needed, checks the stored head, and starts the writer task and
/// the reader thread. Returns what [`AuditLog`](super::super::AuditLog) holds.
pub(in crate::audit) async fn open(
    settings: &PostgresSettings,
    signer: CheckpointSigner,
    checkpoint_every: u64,
) -> Result<(mpsc::Sender<Job>, Arc<Shared>, Reader), AuditError> {
    let open_failed = |e: Failure| {
        tracing::error!(error = %e, "cannot open the PostgreSQL audit log");
        AuditError::Open
    };
    let mut client = connect(settings, Some(STATEMENT_TIMEOUT)).await.map_err(|_| AuditError::Open)?;
    schema::ensure(&mut client).await.map_err(open_failed)?;
    let head = check_head(&client).await?;
    let statements = Statements::prepare(&client).await.map_err(open_failed)?;
    let shared = Arc::new(Shared { head: Mutex::new(head), commits: AtomicU64::new(0) });
    let reader = Reader::start(settings.clone())?;
    let writer = PgWriter {
        settings: settings.clone(),
        conn: Some((client, statements)),
        signer,
        checkpoint_every,
        shared: Arc::clone(&shared),
    };
    let (jobs, rx) = mpsc::channel(QUEUE);
    tokio::spawn(writer.run(rx));
    Ok((jobs, shared, reader))
}

/// The head row must name the last entry, whose hash must match its content, and no checkpoint
/// may lie beyond it; otherwise the log is refused ([`AuditError::Corrupt`]) as SQLite's is.
async fn check_head(client: &Client) -> Result<Head, AuditError> {
    let unreadable = |e: tokio_postgres::Error| {
        tracing::error!(error = %e, "cannot read the PostgreSQL audit head");
        AuditError::Open
    };
    let row = client.query_opt("SELECT seq, hash, last_checkpoint FROM audit_head WHERE id = 1", &[]).await;
    let Some((head, last_checkpoint)) = schema::read_head(row.map_err(unreadable)?.as_ref()) else {
        return Err(corrupt(0, "audit_head row"));
    };
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries ORDER BY seq DESC LIMIT 1");
    let last = client.query_opt(sql.as_str(), &[]).await.map_err(unreadable)?;
    let stored = match last.as_ref().map(schema::read_entry) {
        None => (0, GENESIS_HASH),
        Some(Err(m)) => return Err(corrupt(m.seq, m.field)),
        Some(Ok(e)) if entry_hash(e.seq, &e.prev_hash, &e.entry) != e.hash => return Err(corrupt(e.seq, "hash")),
        Some(Ok(e)) => (e.seq, e.hash),
    };
    if stored != head {
        return Err(corrupt(head.0.min(stored.0).saturating_add(1), "the head does not name the last entry"));
    }
    let max_checkpoint: Option<i64> = client
        .query_one("SELECT max(seq) FROM audit_checkpoints", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(unreadable)?;
    if last_checkpoint > head.0 || max_checkpoint.map(u64_from_sql).unwrap_or(0) > head.0 {
        return Err(corrupt(head.0.saturating_add(1), "missing entries below a checkpoint"));
    }
    Ok(head)
}

fn corrupt(seq: u64, problem: &str) -> AuditError {
    tracing::error!(seq, problem, "the PostgreSQL audit log is inconsistent; run verify");
    AuditError::Corrupt { seq }
}

/// The writer's statements, prepared once per connection.
struct Statements {
    lock_head: Statement,
    update_head: Statement,
    insert_entry: Statement,
    insert_checkpoint: Statement,
}

impl Statements {
    async fn prepare(client: &Client) -> Result<Self, Failure> {
        Ok(Self {
            lock_head: client.prepare(schema::LOCK_HEAD).await?,
            update_head: client.prepare(schema::UPDATE_HEAD).await?,
            insert_entry: client.prepare(schema::INSERT_ENTRY).await?,
            insert_checkpoint: client.prepare(schema::INSERT_CHECKPOINT).await?,
        })
    }
}

/// What a committed batch changed.
struct Committed {
    head: Head,
    /// Something was written (entries or a checkpoint).
    wrote: bool,
}

/// The writer task's state. Only this task writes through this instance's connection.
struct PgWriter {
    settings: PostgresSettings,
    /// The connection, `None` after a failure until the next batch reconnects.
    conn: Option<(Client, Statements)>,
    signer: CheckpointSigner,
    checkpoint_every: u64,
    shared: Arc<Shared>,
}

impl PgWriter {
    /// The task's body: batches until every handle is gone or a `Close` job arrives.
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut closers = Vec::new();
        while closers.is_empty() {
            let Some(first) = rx.recv().await else { break };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            closers = self.run_batch(&mut batch).await;
        }
        // Refuse new jobs; those still queued are dropped, so their callers see `Unavailable`.
        rx.close();
        while rx.try_recv().is_ok() {}
        drop(self.conn.take());
        for reply in closers {
            let _gone = reply.send(());
        }
    }

    /// Writes one batch and answers its waiters; returns the `Close` jobs it contained.
    async fn run_batch(&mut self, batch: &mut Vec<Job>) -> Vec<oneshot::Sender<()>> {
        let mut pending = Vec::new();
        let mut checkpoint_waiters = Vec::new();
        let mut closers = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Append { make, reply } => pending.push((make, reply)),
                Job::Checkpoint { reply } => checkpoint_waiters.push(reply),
                Job::Close { reply } => closers.push(reply),
            }
        }
        if pending.is_empty() && checkpoint_waiters.is_empty() {
            return closers;
        }
        let mut numbered = Vec::with_capacity(pending.len());
        let asked = !checkpoint_waiters.is_empty();
        let mut outcome = Err(Failure::Unreachable);
        for attempt in 0..2 {
            outcome = tokio::time::timeout(BATCH_TIMEOUT, self.transact(&mut pending, &mut numbered, asked))
                .await
                .unwrap_or(Err(Failure::Timeout));
            let Err(e) = &outcome else { break };
            let broken = match (e, &self.conn) {
                (Failure::Db(error), Some((client, _))) => crate::postgres::connection_lost(error, client),
                _ => true,
            };
            if broken {
                // A timed-out or broken connection is dropped: the server rolls back and releases
                // the head lock, and the next attempt reconnects.
                self.conn = None;
            }
            // A connection found broken before anything was numbered (one the server closed while
            // this instance was idle or frozen) is retried once on a new one: nothing was written.
            let untouched = numbered.is_empty() && !pending.is_empty();
            if attempt > 0 || !broken || !untouched || !matches!(e, Failure::Db(_)) {
                break;
            }
        }
        match outcome {
            Ok(committed) => {
                *self.shared.head.lock().unwrap_or_else(PoisonError::into_inner) = committed.head;
                if committed.wrote {
                    self.shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                for (seq, reply) in numbered {
                    let _gone = reply.send(Ok(seq));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, entries = numbered.len(), "audit batch not committed; refusing its requests");
                let refused = numbered.into_iter().map(|(_, reply)| reply).chain(pending.into_iter().map(|(_, r)| r));
                for reply in refused {
                    let _gone = reply.send(Err(AuditError::Unavailable));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Err(AuditError::Unavailable));
                }
            }
        }
        closers
    }

    /// One transaction: lock the head, number and insert the entries, checkpoint if due, move the
    /// head, commit. `pending` is taken only once the head is locked; entries that were numbered go
    /// to `numbered` (answered by the caller).
    async fn transact(
        &mut self,
        pending: &mut Vec<(Make, Reply)>,
        numbered: &mut Vec<(u64, Reply)>,
        checkpoint_asked: bool,
    ) -> Result<Committed, Failure> {
        if self.conn.is_none() {
            let client = connect(&self.settings, Some(STATEMENT_TIMEOUT)).await.map_err(|_| Failure::Unreachable)?;
            let statements = Statements::prepare(&client).await?;
            self.conn = Some((client, statements));
        }
        let Some((client, st)) = self.conn.as_mut() else { return Err(Failure::Unreachable) };
        let tx = client.transaction().await?;
        let locked = tx.query_opt(&st.lock_head, &[]).await?;
        let (head, last_checkpoint) =
            schema::read_head(locked.as_ref()).ok_or(Failure::Schema("the audit head row is missing or malformed"))?;

        let mut next = head;
        let mut rows: Vec<(u64, NewEntry, [u8; 32], [u8; 32])> = Vec::with_capacity(pending.len());
        for (make, reply) in pending.drain(..) {
            let seq = next.0.saturating_add(1);
            let Ok(mut entry) = catch_unwind(AssertUnwindSafe(|| make(seq))) else {
                tracing::error!(seq, "an audit entry builder panicked; entry refused");
                let _gone = reply.send(Err(AuditError::InvalidEntry));
                continue;
            };
            canonicalise(&mut entry);
            let hash = entry_hash(seq, &next.1, &entry);
            rows.push((seq, entry, next.1, hash));
            numbered.push((seq, reply));
            next = (seq, hash);
        }
        // One statement per entry, all in flight at once (the client pipelines them).
        try_join_all(
            rows.iter().map(|(seq, e, prev, hash)| schema::insert_entry(&tx, &st.insert_entry, *seq, e, prev, hash)),
        )
        .await?;

        let every = self.checkpoint_every;
        let crossed = every > 0 && next.0 / every > head.0 / every;
        let checkpoint_due = (crossed || checkpoint_asked) && next.0 > last_checkpoint;
        if rows.is_empty() && !checkpoint_due {
            tx.rollback().await?;
            return Ok(Committed { head, wrote: false });
        }
        let last_checkpoint = if checkpoint_due {
            schema::insert_checkpoint(&tx, &st.insert_checkpoint, &self.signer.sign(next)).await?;
            next.0
        } else {
            last_checkpoint
        };
        schema::update_head(&tx, &st.update_head, &next, last_checkpoint).await?;
        tx.commit().await?;
        Ok(Committed { head: next, wrote: true })
    }
}
