//! The one writer behind [`AuditLog`](super::AuditLog): group commit over any [`Store`].
//!
//! Callers send jobs over a bounded channel. The writer, on a thread of its own, waits for the
//! first job, then takes whatever else is already queued (up to [`MAX_BATCH`]) and hands the store
//! one batch: under the store's write lock it numbers the entries from the locked head, builds
//! them (each caller's builder runs here, once its seq is known), hashes them, signs a checkpoint
//! when one is due, and the store commits all of it at once; only then is anyone answered. While
//! it waits on the disk, new jobs queue up and form the next batch, so a slow disk makes batches
//! larger instead of making requests wait longer.
//!
//! Checkpoints are signed when the log crosses a multiple of `checkpoint_every` entries, when a
//! caller asks ([`AuditLog::checkpoint`](super::AuditLog::checkpoint), at shutdown), and at the
//! latest `checkpoint_interval` after the first entry no checkpoint covers yet: a timer on the
//! monotonic clock, so a wall clock stepping either way never delays one. That interval bounds how
//! much of the log's tail a checkpoint does not yet protect (`docs/audit.md` section 7).
//!
//! This writer must never answer `Ok` before its commit returned, never number an entry outside
//! the store's write lock, and never stop answering: a failed batch answers every waiter with
//! [`AuditError::Unavailable`] and the head is read again from the store.

use crate::clock::{unix_millis, Clock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use s3gk_protocol::KeyId;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::chain::{canonicalise, checkpoint_message, entry_hash, GENESIS_HASH};
use super::row::Checkpoint;
use super::store::{Batch, Head, Locked, Store, StoreError};
use super::{AuditEntry, AuditError, NewEntry};

/// The most jobs one transaction takes.
pub const MAX_BATCH: usize = 1024;
/// How many jobs may wait for the writer before `append` itself waits (back-pressure).
pub(super) const QUEUE: usize = 4 * MAX_BATCH;

/// One append: builds its entry once its seq is known, keeping what its caller gets back.
pub(super) trait Pending: Send {
    /// Builds the entry numbered `seq`; the caller's answer waits in the returned [`Reply`].
    fn build(self: Box<Self>, seq: u64) -> (NewEntry, Box<dyn Reply>);
}

/// The answer to one built append, sent once its batch is committed or has failed.
pub(super) trait Reply: Send {
    fn send(self: Box<Self>, committed: Result<u64, AuditError>);
}

/// An append whose builder returns the entry and a `T` for the caller.
pub(super) struct Append<F, T> {
    pub(super) make: F,
    pub(super) reply: oneshot::Sender<Result<(u64, T), AuditError>>,
}

struct Built<T> {
    out: T,
    reply: oneshot::Sender<Result<(u64, T), AuditError>>,
}

impl<F, T> Pending for Append<F, T>
where
    F: FnOnce(u64) -> (NewEntry, T) + Send,
    T: Send + 'static,
{
    fn build(self: Box<Self>, seq: u64) -> (NewEntry, Box<dyn Reply>) {
        let (entry, out) = (self.make)(seq);
        (entry, Box::new(Built { out, reply: self.reply }))
    }
}

impl<T: Send> Reply for Built<T> {
    fn send(self: Box<Self>, committed: Result<u64, AuditError>) {
        let Built { out, reply } = *self;
        let _gone = reply.send(committed.map(|seq| (seq, out)));
    }
}

pub(super) enum Job {
    Append(Box<dyn Pending>),
    Checkpoint { reply: oneshot::Sender<Result<(), AuditError>> },
    Close { reply: oneshot::Sender<()> },
}

/// What the writer publishes for everyone else to read.
pub(super) struct Shared {
    pub(super) head: Mutex<Head>,
    pub(super) commits: AtomicU64,
}

impl Shared {
    fn publish(&self, head: Head) {
        *self.head.lock().unwrap_or_else(PoisonError::into_inner) = head;
    }
}

/// What the writer signs checkpoints with.
pub(super) struct CheckpointSigner {
    pub(super) key: Arc<SigningKey>,
    pub(super) key_id: KeyId,
    pub(super) gatekeeper_id: String,
    /// The service's clock: a checkpoint's time, never its order.
    pub(super) clock: Arc<dyn Clock>,
}

impl CheckpointSigner {
    /// Signs a checkpoint of `head` at the current time.
    fn sign(&self, head: Head) -> Checkpoint {
        let time_ms = unix_millis(self.clock.now());
        let message = checkpoint_message(&self.gatekeeper_id, head.0, &head.1, time_ms);
        Checkpoint {
            seq: head.0,
            head_hash: head.1,
            time_ms,
            gatekeeper_id: self.gatekeeper_id.clone(),
            key_id: self.key_id.as_str().to_owned(),
            signature: self.key.sign(&message).to_bytes(),
        }
    }
}

/// The head a store holds, checked, and the highest checkpointed seq: the last entry must match
/// its hash and no checkpoint may lie beyond it; otherwise the log is refused
/// ([`AuditError::Corrupt`]): run `verify`.
pub(super) async fn checked_head(store: &mut dyn Store) -> Result<(Head, u64), AuditError> {
    let unreadable = |e: StoreError| match e {
        StoreError::Malformed(m) => corrupt(m.seq, m.field),
        other => {
            tracing::error!(error = %other, "cannot read the audit log's head");
            AuditError::Open
        }
    };
    let head = match store.last_entry().await.map_err(unreadable)? {
        None => (0, GENESIS_HASH),
        Some(e) if entry_hash(e.seq, &e.prev_hash, &e.entry) != e.hash => return Err(corrupt(e.seq, "hash")),
        Some(e) => (e.seq, e.hash),
    };
    let last_checkpoint = store.last_checkpoint().await.map_err(unreadable)?;
    if last_checkpoint > head.0 {
        return Err(corrupt(head.0.saturating_add(1), "missing entries below a checkpoint"));
    }
    Ok((head, last_checkpoint))
}

fn corrupt(seq: u64, problem: &str) -> AuditError {
    tracing::error!(seq, problem, "the audit log is inconsistent; run verify");
    AuditError::Corrupt { seq }
}

/// The writer's state. Only the writer writes through its store.
pub(super) struct Writer {
    pub(super) store: Box<dyn Store>,
    pub(super) signer: CheckpointSigner,
    pub(super) checkpoint_every: u64,
    /// The longest an entry stays without a checkpoint covering it (`Duration::ZERO`: no timer).
    pub(super) checkpoint_interval: Duration,
    /// When the oldest entry no checkpoint covers must be checkpointed; `None` when all are.
    pub(super) checkpoint_due: Option<Instant>,
    pub(super) shared: Arc<Shared>,
}

impl Writer {
    /// The writer's body: batches until every handle is gone or a `Close` job arrives.
    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut closers = Vec::new();
        while closers.is_empty() {
            let first = match self.checkpoint_due {
                Some(due) => tokio::time::timeout_at(due, rx.recv()).await.ok(),
                None => Some(rx.recv().await),
            };
            match first {
                Some(Some(job)) => batch.push(job),
                Some(None) => break,
                // The timer fired with nothing queued: the batch below is only the checkpoint.
                None => {}
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let overdue = self.checkpoint_due.is_some_and(|due| Instant::now() >= due);
            closers = self.run_batch(&mut batch, overdue).await;
        }
        // Refuse new jobs; those still queued are dropped, so their callers see `Unavailable`.
        rx.close();
        while rx.try_recv().is_ok() {}
        drop(self.store);
        for reply in closers {
            let _gone = reply.send(());
        }
    }

    /// Writes one batch (with a checkpoint if `overdue`) and answers its waiters; returns the
    /// `Close` jobs it contained.
    async fn run_batch(&mut self, batch: &mut Vec<Job>, overdue: bool) -> Vec<oneshot::Sender<()>> {
        let mut pending = Vec::new();
        let mut checkpoint_waiters = Vec::new();
        let mut closers = Vec::new();
        for job in batch.drain(..) {
            match job {
                Job::Append(append) => pending.push(append),
                Job::Checkpoint { reply } => checkpoint_waiters.push(reply),
                Job::Close { reply } => closers.push(reply),
            }
        }
        if pending.is_empty() && checkpoint_waiters.is_empty() && !overdue {
            return closers;
        }
        let asked = !checkpoint_waiters.is_empty() || overdue;
        let mut built: Vec<(u64, Box<dyn Reply>)> = Vec::with_capacity(pending.len());
        let (mut planned, mut wrote, mut checkpointed) = (false, false, false);
        let mut outcome = Err(StoreError::Down("not tried".into()));
        for attempt in 0..2 {
            let (signer, every) = (&self.signer, self.checkpoint_every);
            let mut plan = |locked: Locked| {
                planned = true;
                let batch = number(locked, &mut pending, &mut built, asked, signer, every);
                wrote = !batch.is_empty();
                checkpointed = batch.checkpoint.is_some();
                batch
            };
            outcome = self.store.append_batch(&mut plan).await;
            // A session found lost before anything was numbered (one the server closed while this
            // instance was idle or frozen) is tried once more on a new one: nothing was written.
            let retry = matches!(outcome, Err(StoreError::Lost(_))) && !planned && attempt == 0;
            if !retry {
                break;
            }
        }
        self.plan_checkpoint(outcome.is_ok(), wrote, checkpointed, overdue);
        match outcome {
            Ok(committed) => {
                self.shared.publish(committed.head);
                if wrote {
                    self.shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                for (seq, reply) in built {
                    reply.send(Ok(seq));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, entries = built.len(), "audit batch not committed; refusing its requests");
                // Appends never built are dropped: their callers see `Unavailable` too.
                for (_, reply) in built {
                    reply.send(Err(AuditError::Unavailable));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Err(AuditError::Unavailable));
                }
                if matches!(e, StoreError::Failed(_)) {
                    self.reload_head().await;
                }
            }
        }
        closers
    }

    /// Sets the checkpoint timer after a batch: cleared by a committed checkpoint, started by the
    /// first committed entry no checkpoint covers, restarted after a checkpoint that failed (so a
    /// store that is down is not retried in a busy loop).
    fn plan_checkpoint(&mut self, committed: bool, wrote: bool, checkpointed: bool, overdue: bool) {
        if self.checkpoint_interval.is_zero() {
            return;
        }
        let later = Some(Instant::now() + self.checkpoint_interval);
        if committed && checkpointed {
            self.checkpoint_due = None;
        } else if (committed && wrote && self.checkpoint_due.is_none()) || (overdue && !committed) {
            self.checkpoint_due = later;
        } else if committed && overdue {
            // Nothing was due after all (another instance checkpointed this head already).
            self.checkpoint_due = None;
        }
    }

    /// After a batch the database refused: publish the head the store holds (normally unchanged).
    async fn reload_head(&mut self) {
        let Ok(last) = self.store.last_entry().await else { return };
        let stored = last.map_or((0, GENESIS_HASH), |e| (e.seq, e.hash));
        if stored != *self.shared.head.lock().unwrap_or_else(PoisonError::into_inner) {
            tracing::warn!(
                seq = stored.0,
                "audit head in the store differs after a failed commit; following the store"
            );
            self.shared.publish(stored);
        }
    }
}

/// Numbers and builds `pending` from the locked head, and signs a checkpoint of the last entry if
/// one is due: the log crossed a multiple of `every`, or a caller asked, and the head is not
/// checkpointed yet.
fn number(
    locked: Locked,
    pending: &mut Vec<Box<dyn Pending>>,
    built: &mut Vec<(u64, Box<dyn Reply>)>,
    asked: bool,
    signer: &CheckpointSigner,
    every: u64,
) -> Batch {
    let mut next = locked.head;
    let mut entries = Vec::with_capacity(pending.len());
    for append in pending.drain(..) {
        let seq = next.0.saturating_add(1);
        let (mut entry, reply) = append.build(seq);
        // One encoding per value, whichever store keeps it.
        canonicalise(&mut entry);
        let hash = entry_hash(seq, &next.1, &entry);
        entries.push(AuditEntry { seq, entry, prev_hash: next.1, hash });
        built.push((seq, reply));
        next = (seq, hash);
    }
    let crossed = every > 0 && next.0 / every > locked.head.0 / every;
    let due = (crossed || asked) && next.0 > locked.last_checkpoint;
    Batch { entries, checkpoint: due.then(|| signer.sign(next)) }
}
