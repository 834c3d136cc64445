//! The seam between the audit log and a database: the [`Store`] trait.
//!
//! A store keeps entries and checkpoints exactly as `docs/audit.md` describes and does nothing
//! else: it numbers nothing, hashes nothing and signs nothing. The one writer
//! ([`super::writer`]), the reader ([`super::reader`]), the export and the verify are written once,
//! over this trait. To add a database, add one file implementing [`Store`] and one arm in
//! [`super::stores::open`].
//! A store must never commit part of a batch, never build SQL from caller text, and never put a
//! secret (a connection URL) into a [`StoreError`].

use futures_util::future::BoxFuture;

use super::row::{Checkpoint, Malformed};
use super::search::SearchQuery;
use super::{AuditEntry, AuditError, UsedNonce};

/// The last committed entry: `(seq, hash)`, `(0, GENESIS_HASH)` when the log is empty.
pub(super) type Head = (u64, [u8; 32]);

/// What a store is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// The one writer of this instance: creates the tables if needed and appends.
    Writer,
    /// Reads only (search, nonces, export, verify); never creates or changes anything.
    Reader,
}

/// The head as a batch found it, under the store's write lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Locked {
    /// The last committed entry (`(0, GENESIS_HASH)` when the log is empty).
    pub(super) head: Head,
    /// The seq of the last checkpoint (0 when there is none).
    pub(super) last_checkpoint: u64,
}

/// What one transaction writes: entries numbered from the locked head, in order, and perhaps a
/// checkpoint of the last of them.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) entries: Vec<AuditEntry>,
    pub(super) checkpoint: Option<Checkpoint>,
}

impl Batch {
    /// The head once this batch is committed over `locked`.
    pub(super) fn head_after(&self, locked: &Locked) -> Locked {
        Locked {
            head: self.entries.last().map_or(locked.head, |e| (e.seq, e.hash)),
            last_checkpoint: self.checkpoint.as_ref().map_or(locked.last_checkpoint, |c| c.seq),
        }
    }

    /// Nothing to write.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.checkpoint.is_none()
    }
}

/// Plans a batch once the head is locked. A store calls it at most once per
/// [`Store::append_batch`], inside the transaction.
pub(super) type Plan<'a> = dyn FnMut(Locked) -> Batch + Send + 'a;

/// Why a store could not do what was asked. The text is for the operator's log only.
#[derive(Debug)]
pub(super) enum StoreError {
    /// The session is gone (the server closed it): the same work may succeed once on a new one.
    Lost(String),
    /// The database could not be reached or did not answer in time.
    Down(String),
    /// The database refused or failed the work (disk full, constraint, I/O).
    Failed(String),
    /// A stored row does not have the shape the schema promises.
    Malformed(Malformed),
    /// A search parameter is refused.
    BadQuery(&'static str),
}

impl StoreError {
    /// The error a reader answers with (the cause is logged here).
    pub(super) fn into_read_error(self) -> AuditError {
        match self {
            StoreError::Malformed(m) => {
                tracing::error!(seq = m.seq, field = m.field, "malformed audit row");
                AuditError::Corrupt { seq: m.seq }
            }
            StoreError::BadQuery(what) => AuditError::BadQuery(what),
            StoreError::Lost(e) | StoreError::Down(e) | StoreError::Failed(e) => {
                tracing::error!(error = %e, "audit log read failed");
                AuditError::Query
            }
        }
    }
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreError::Lost(e) => write!(f, "session lost: {e}"),
            StoreError::Down(e) | StoreError::Failed(e) => f.write_str(e),
            StoreError::Malformed(m) => write!(f, "malformed {} at seq {}", m.field, m.seq),
            StoreError::BadQuery(what) => write!(f, "invalid search parameter: {what}"),
        }
    }
}

/// A database that keeps an audit log.
///
/// Every method may be called again after it failed; a store reconnects by itself if it can.
pub(super) trait Store: Send {
    /// In one transaction: takes the write lock and reads the head under it, calls `plan` with it
    /// (at most once), inserts the planned entries and checkpoint, moves the head, commits. Returns
    /// the head as committed. Any failure commits nothing; a failure before `plan` was called
    /// changed nothing at all.
    fn append_batch<'a>(&'a mut self, plan: &'a mut Plan<'_>) -> BoxFuture<'a, Result<Locked, StoreError>>;

    /// The last entry, if any (read outside any batch).
    fn last_entry(&mut self) -> BoxFuture<'_, Result<Option<AuditEntry>, StoreError>>;

    /// The highest checkpointed seq (0 when there is none).
    fn last_checkpoint(&mut self) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Every checkpoint, in order of `seq` then of insertion.
    fn checkpoints(&mut self) -> BoxFuture<'_, Result<Vec<Checkpoint>, StoreError>>;

    /// Up to `limit` entries matching `q` with `seq > after_seq`, in `seq` order: each row read
    /// and checked on its own, so a malformed row is reported where it stands. With the default
    /// query these are the entries from a sequence number on (verify, export).
    fn page<'a>(
        &'a mut self,
        q: &'a SearchQuery,
        after_seq: Option<u64>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Result<AuditEntry, Malformed>>, StoreError>>;

    /// Every entry with a nonce and `expires_at >= now_secs`, granted or denied.
    fn live_nonces(&mut self, now_secs: u64) -> BoxFuture<'_, Result<Vec<UsedNonce>, StoreError>>;
}
