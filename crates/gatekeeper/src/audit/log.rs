//! [`AuditLog`]: the cheap, cloneable handle callers hold to append, checkpoint and search.
//!
//! Opening starts the [writer](super::writer) and the [reader](super::reader), each on a thread of
//! its own with its own connection to the store, and checks the stored head. Every write goes
//! through the writer; every read through the reader. This handle must never write to the
//! database itself, and never report a seq the writer has not committed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ed25519_dalek::SigningKey;
use s3gk_protocol::KeyId;
use tokio::sync::{mpsc, oneshot};

use super::reader::Reader;
use super::store::Role;
use super::writer::{checked_head, Append, CheckpointSigner, Job, Shared, Writer, QUEUE};
use super::{stores, AuditEntry, AuditError, AuditSettings, AuditStore, NewEntry, SearchQuery, UsedNonce};

/// A cheap, cloneable handle to the audit log.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: mpsc::Sender<Job>,
    shared: Arc<Shared>,
    reader: Reader,
    path: PathBuf,
}

/// An append already queued to the writer; [`Queued::durable`] waits for its commit. Appends
/// queued one after another before any is awaited share group commits.
#[must_use = "the append is committed whether or not it is awaited, but only `durable` says it was"]
pub struct Queued<T> {
    answer: oneshot::Receiver<Result<(u64, T), AuditError>>,
}

impl<T> Queued<T> {
    /// The entry's seq and what its builder returned, once the entry is durable.
    pub async fn durable(self) -> Result<(u64, T), AuditError> {
        self.answer.await.unwrap_or(Err(AuditError::Unavailable))
    }
}

impl AuditLog {
    /// Opens (creating if needed) the log `settings` name and starts its writer and reader.
    /// Blocking; from async code use [`AuditLog::connect`].
    ///
    /// Refuses a log whose last entry does not match its hash, or whose checkpoints cover entries
    /// that are no longer there ([`AuditError::Corrupt`]): run `verify` and investigate.
    pub fn open(
        settings: &AuditSettings,
        signer: Arc<SigningKey>,
        key_id: KeyId,
        gatekeeper_id: String,
    ) -> Result<Self, AuditError> {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let signer = CheckpointSigner { key: signer, key_id, gatekeeper_id, clock: settings.clock.clone() };
        let (checkpoint_every, checkpoint_interval) = (settings.checkpoint_every, settings.checkpoint_interval);
        let shared = stores::spawn("audit-writer", settings, Role::Writer, move |mut store, ready| async move {
            let (head, last_checkpoint) = match checked_head(store.as_mut()).await {
                Ok(found) => found,
                Err(e) => {
                    let _gone = ready.send(Err(e));
                    return;
                }
            };
            let shared = Arc::new(Shared { head: Mutex::new(head), commits: AtomicU64::new(0) });
            // A tail left unchecked by a crash is checkpointed as soon as the writer runs.
            let checkpoint_due =
                (!checkpoint_interval.is_zero() && head.0 > last_checkpoint).then(tokio::time::Instant::now);
            if ready.send(Ok(Arc::clone(&shared))).is_ok() {
                let writer = Writer { store, signer, checkpoint_every, checkpoint_interval, checkpoint_due, shared };
                writer.run(rx).await;
            }
        })?;
        let reader = Reader::start(settings)?;
        let path = match settings.store {
            AuditStore::Sqlite => settings.path.clone(),
            AuditStore::Postgres(_) => PathBuf::new(),
        };
        Ok(Self { inner: Arc::new(Inner { jobs, shared, reader, path }) })
    }

    /// [`AuditLog::open`] without blocking the caller's runtime (connecting to PostgreSQL may take
    /// a while).
    pub async fn connect(
        settings: &AuditSettings,
        signer: Arc<SigningKey>,
        key_id: KeyId,
        gatekeeper_id: String,
    ) -> Result<Self, AuditError> {
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || Self::open(&settings, signer, key_id, gatekeeper_id))
            .await
            .unwrap_or(Err(AuditError::Open))
    }

    /// Queues the entry `make(seq)` builds, waiting only for room in the queue. The writer calls
    /// `make(seq)` when it builds a batch, under the store's write lock, so sequence numbers are
    /// assigned only there, in order; `make` is where the caller signs its receipt (it needs the
    /// seq), and what it returns besides the entry comes back from [`Queued::durable`]. `make` must
    /// be cheap and must not fail. On a failed commit every entry of that batch fails with
    /// [`AuditError::Unavailable`] and the head stays at the last committed entry.
    pub async fn queue<T, F>(&self, make: F) -> Result<Queued<T>, AuditError>
    where
        F: FnOnce(u64) -> (NewEntry, T) + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Append(Box::new(Append { make, reply }));
        self.inner.jobs.send(job).await.map_err(|_| AuditError::Unavailable)?;
        Ok(Queued { answer })
    }

    /// [`AuditLog::queue`], then waits until the entry is durable: its seq, and what `make`
    /// returned besides the entry.
    pub async fn append<T, F>(&self, make: F) -> Result<(u64, T), AuditError>
    where
        F: FnOnce(u64) -> (NewEntry, T) + Send + 'static,
        T: Send + 'static,
    {
        self.queue(make).await?.durable().await
    }

    /// Signs and commits a checkpoint of the current head now (no-op if it is already checkpointed
    /// or the log is empty). Call it at shutdown.
    pub async fn checkpoint(&self) -> Result<(), AuditError> {
        let (reply, answer) = oneshot::channel();
        self.inner.jobs.send(Job::Checkpoint { reply }).await.map_err(|_| AuditError::Unavailable)?;
        answer.await.unwrap_or(Err(AuditError::Unavailable))
    }

    /// Stops the writer after the jobs already queued; later appends fail with
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
        &self.inner.path
    }

    /// The entries matching `q`, in `seq` order. Blocking: call it from `spawn_blocking`.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<AuditEntry>, AuditError> {
        self.inner.reader.search(q)
    }

    /// Every entry with a nonce and `expires_at >= now_secs`, granted or denied, to warm-start the
    /// replay cache after a restart (the caller decides which of them spent their nonce). Blocking.
    pub fn unexpired_nonces(&self, now_secs: u64) -> Result<Vec<UsedNonce>, AuditError> {
        self.inner.reader.unexpired_nonces(now_secs)
    }
}
