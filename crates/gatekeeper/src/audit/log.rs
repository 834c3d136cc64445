//! [`AuditLog`]: the cheap, cloneable handle callers hold to append, checkpoint and search.
//!
//! Opening checks the stored head and starts the writer: a [thread](super::writer) for SQLite, a
//! [task](super::postgres) for PostgreSQL. Every write goes through the writer; reads go through
//! one shared read-only SQLite connection, or a PostgreSQL reader thread. This handle must never
//! write to the database itself, and never report a seq the writer has not committed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use s3gk_protocol::KeyId;
use tokio::sync::{mpsc, oneshot};

use super::chain::{entry_hash, GENESIS_HASH};
use super::postgres;
use super::store;
use super::writer::{CheckpointSigner, Job, Shared, Writer, QUEUE};
use super::{AuditError, AuditSettings, AuditStore, NewEntry};

/// A cheap, cloneable handle to the audit log.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: mpsc::Sender<Job>,
    shared: Arc<Shared>,
    reads: Reads,
}

/// Where reads go.
pub(super) enum Reads {
    /// One shared read-only connection to the SQLite file at `path`.
    Sqlite { conn: Mutex<Connection>, path: PathBuf },
    /// A reader thread with its own PostgreSQL connection.
    Postgres(postgres::Reader),
}

impl AuditLog {
    /// Opens (creating if needed) the SQLite log at `settings.path` and starts its writer thread.
    /// A PostgreSQL store is opened with [`AuditLog::connect`] instead (this returns
    /// [`AuditError::Open`] for one).
    ///
    /// Refuses a database whose last entry does not match its hash, or whose checkpoints cover
    /// entries that are no longer there ([`AuditError::Corrupt`]): run `verify` and investigate.
    pub fn open(
        settings: &AuditSettings,
        signer: Arc<SigningKey>,
        key_id: KeyId,
        gatekeeper_id: String,
    ) -> Result<Self, AuditError> {
        if let AuditStore::Postgres(_) = settings.store {
            tracing::error!("a PostgreSQL audit store is opened with AuditLog::connect");
            return Err(AuditError::Open);
        }
        let open_failed = |e: rusqlite::Error| {
            tracing::error!(path = %settings.path.display(), error = %e, "cannot open the audit log");
            AuditError::Open
        };
        let conn = store::open_writer(&settings.path, settings.max_db_pages).map_err(open_failed)?;
        let head = match store::last_entry(&conn).map_err(open_failed)? {
            None => (0, GENESIS_HASH),
            Some(Err(m)) => return Err(corrupt(m.seq, m.field)),
            Some(Ok(e)) if entry_hash(e.seq, &e.prev_hash, &e.entry) != e.hash => return Err(corrupt(e.seq, "hash")),
            Some(Ok(e)) => (e.seq, e.hash),
        };
        let last_checkpoint = store::last_checkpoint_seq(&conn).map_err(open_failed)?;
        if last_checkpoint > head.0 {
            return Err(corrupt(head.0.saturating_add(1), "missing entries below a checkpoint"));
        }
        let reader = store::open_reader(&settings.path).map_err(open_failed)?;
        let shared = Arc::new(Shared { head: Mutex::new(head), commits: AtomicU64::new(0) });
        let signer = CheckpointSigner { key: signer, key_id, gatekeeper_id };
        let writer = Writer::new(conn, signer, settings.checkpoint_every, head, last_checkpoint, Arc::clone(&shared));
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new().name("audit-writer".into()).spawn(move || writer.run(rx)).map_err(|e| {
            tracing::error!(error = %e, "cannot start the audit writer thread");
            AuditError::Open
        })?;
        let reads = Reads::Sqlite { conn: Mutex::new(reader), path: settings.path.clone() };
        Ok(Self { inner: Arc::new(Inner { jobs, shared, reads }) })
    }

    /// Opens the log in whichever store `settings` names: [`AuditLog::open`] for SQLite; for
    /// PostgreSQL, connects, creates the tables if needed, checks the stored head as `open` does,
    /// and starts the writer task on the current Tokio runtime.
    pub async fn connect(
        settings: &AuditSettings,
        signer: Arc<SigningKey>,
        key_id: KeyId,
        gatekeeper_id: String,
    ) -> Result<Self, AuditError> {
        let AuditStore::Postgres(pg) = &settings.store else {
            return Self::open(settings, signer, key_id, gatekeeper_id);
        };
        let signer = CheckpointSigner { key: signer, key_id, gatekeeper_id };
        let (jobs, shared, reader) = postgres::open(pg, signer, settings.checkpoint_every).await?;
        Ok(Self { inner: Arc::new(Inner { jobs, shared, reads: Reads::Postgres(reader) }) })
    }

    /// Appends the entry `make(seq)` builds and returns `seq` once it is durable.
    ///
    /// The writer thread calls `make(seq)` when it builds a batch, so sequence numbers are assigned
    /// only by the writer, in order. `make` is where the caller signs its receipt (it needs the
    /// seq): it must be cheap and should not panic (if it does, this returns
    /// [`AuditError::InvalidEntry`] and the seq is not used). On a failed commit every entry of that
    /// batch fails with [`AuditError::Unavailable`] and the head stays at the last committed entry.
    pub async fn append<F>(&self, make: F) -> Result<u64, AuditError>
    where
        F: FnOnce(u64) -> NewEntry + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Append { make: Box::new(make), reply };
        self.inner.jobs.send(job).await.map_err(|_| AuditError::Unavailable)?;
        answer.await.unwrap_or(Err(AuditError::Unavailable))
    }

    /// Signs and commits a checkpoint of the current head now (no-op if it is already checkpointed
    /// or the log is empty). Call it at shutdown.
    pub async fn checkpoint(&self) -> Result<(), AuditError> {
        let (reply, answer) = oneshot::channel();
        self.inner.jobs.send(Job::Checkpoint { reply }).await.map_err(|_| AuditError::Unavailable)?;
        answer.await.unwrap_or(Err(AuditError::Unavailable))
    }

    /// Stops the writer thread after the jobs already queued; later appends fail with
    /// [`AuditError::Unavailable`]. Returns once the write connection is closed.
    pub async fn close(&self) {
        let (reply, answer) = oneshot::channel();
        if self.inner.jobs.send(Job::Close { reply }).await.is_ok() {
            let _closed = answer.await;
        }
    }

    /// The last committed `(seq, hash)`; `(0, [0; 32])` when the log is empty. With PostgreSQL,
    /// the head as this instance last committed or read it (other instances may have appended since).
    pub fn head(&self) -> (u64, [u8; 32]) {
        *self.inner.shared.head.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many batches (transactions) this handle's writer has committed since it was opened.
    pub fn commit_count(&self) -> u64 {
        self.inner.shared.commits.load(Ordering::Relaxed)
    }

    /// The SQLite database file (the empty path for a PostgreSQL store).
    pub fn path(&self) -> &Path {
        match &self.inner.reads {
            Reads::Sqlite { path, .. } => path,
            Reads::Postgres(_) => Path::new(""),
        }
    }

    /// Where reads go.
    pub(super) fn reads(&self) -> &Reads {
        &self.inner.reads
    }
}

fn corrupt(seq: u64, field: &str) -> AuditError {
    tracing::error!(seq, problem = field, "the audit log is inconsistent; run verify");
    AuditError::Corrupt { seq }
}
