//! The single writer thread behind [`AuditLog`](super::AuditLog): group commit.
//!
//! Callers send jobs over a bounded channel. The writer thread blocks for the first job, then takes
//! whatever else is already queued (up to [`MAX_BATCH`]), assigns sequence numbers in order, appends
//! every entry and any due checkpoint in one transaction, commits (one fsync), and only then answers
//! each caller. While it waits on the disk, new jobs queue up and form the next batch, so a slow
//! disk makes batches larger instead of making requests wait longer.
//!
//! This thread must never answer `Ok` before its commit returned, never skip or reuse a sequence
//! number that was committed, and never stop answering: a failed batch answers every waiter with
//! [`AuditError::Unavailable`] and the head goes back to what is on disk.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer, SigningKey};
use rusqlite::{Connection, TransactionBehavior};
use s3gk_protocol::KeyId;
use tokio::sync::{mpsc, oneshot};

use super::chain::{canonicalise, checkpoint_message, entry_hash, GENESIS_HASH};
use super::store::{self, Checkpoint};
use super::{AuditError, NewEntry};

/// The most jobs one transaction takes.
pub const MAX_BATCH: usize = 1024;
/// How many jobs may wait for the writer before `append` itself waits (back-pressure).
pub(super) const QUEUE: usize = 4 * MAX_BATCH;

/// What builds an entry once its seq is known.
pub(super) type Make = Box<dyn FnOnce(u64) -> NewEntry + Send>;

pub(super) enum Job {
    Append { make: Make, reply: oneshot::Sender<Result<u64, AuditError>> },
    Checkpoint { reply: oneshot::Sender<Result<(), AuditError>> },
    Close { reply: oneshot::Sender<()> },
}

/// The last committed entry: `(seq, hash)`, `(0, GENESIS_HASH)` when the log is empty.
pub(super) type Head = (u64, [u8; 32]);

/// What the writer publishes for everyone else to read.
pub(super) struct Shared {
    pub(super) head: Mutex<Head>,
    pub(super) commits: AtomicU64,
}

/// What the writer signs checkpoints with.
pub(super) struct CheckpointSigner {
    pub(super) key: Arc<SigningKey>,
    pub(super) key_id: KeyId,
    pub(super) gatekeeper_id: String,
}

impl CheckpointSigner {
    /// Signs a checkpoint of `head` at the current time.
    pub(super) fn sign(&self, head: Head) -> Checkpoint {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
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

/// The writer thread's state. Only this thread writes to the database.
pub(super) struct Writer {
    conn: Connection,
    signer: CheckpointSigner,
    checkpoint_every: u64,
    /// The last committed entry.
    head: Head,
    /// The seq of the last checkpoint written.
    last_checkpoint: u64,
    shared: Arc<Shared>,
}

impl Writer {
    /// A writer continuing from the committed `head` (and `last_checkpoint`) of `conn`.
    pub(super) fn new(
        conn: Connection,
        signer: CheckpointSigner,
        checkpoint_every: u64,
        head: Head,
        last_checkpoint: u64,
        shared: Arc<Shared>,
    ) -> Self {
        Self { conn, signer, checkpoint_every, head, last_checkpoint, shared }
    }

    /// The thread's body: batches until every handle is gone or a `Close` job arrives.
    pub(super) fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut closers = Vec::new();
        while closers.is_empty() {
            let Some(first) = rx.blocking_recv() else { break };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            closers = self.run_batch(&mut batch);
        }
        // Refuse new jobs; those still queued are dropped, so their callers see `Unavailable`.
        rx.close();
        while rx.try_recv().is_ok() {}
        drop(self.conn);
        for reply in closers {
            let _gone = reply.send(());
        }
    }

    /// Writes one batch and answers its waiters; returns the `Close` jobs it contained.
    fn run_batch(&mut self, batch: &mut Vec<Job>) -> Vec<oneshot::Sender<()>> {
        let mut appended = Vec::new();
        let mut checkpoint_waiters = Vec::new();
        let mut closers = Vec::new();
        let mut next = self.head;
        let mut failure: Option<rusqlite::Error> = None;
        let tx = match self.conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => Some(tx),
            Err(e) => {
                failure = Some(e);
                None
            }
        };
        for job in batch.drain(..) {
            match job {
                Job::Checkpoint { reply } => checkpoint_waiters.push(reply),
                Job::Close { reply } => closers.push(reply),
                Job::Append { make, reply } => {
                    let Some(conn) = tx.as_ref().filter(|_| failure.is_none()) else {
                        let _gone = reply.send(Err(AuditError::Unavailable));
                        continue;
                    };
                    let seq = next.0.saturating_add(1);
                    let Ok(mut entry) = catch_unwind(AssertUnwindSafe(|| make(seq))) else {
                        tracing::error!(seq, "an audit entry builder panicked; entry refused");
                        let _gone = reply.send(Err(AuditError::InvalidEntry));
                        continue;
                    };
                    // One encoding per value, whichever store keeps it.
                    canonicalise(&mut entry);
                    let hash = entry_hash(seq, &next.1, &entry);
                    match store::insert_entry(conn, seq, &entry, &next.1, &hash) {
                        Ok(()) => {
                            next = (seq, hash);
                            appended.push((seq, reply));
                        }
                        Err(e) => {
                            failure = Some(e);
                            let _gone = reply.send(Err(AuditError::Unavailable));
                        }
                    }
                }
            }
        }
        let crossed = self.checkpoint_every > 0 && next.0 / self.checkpoint_every > self.head.0 / self.checkpoint_every;
        let wanted = crossed || !checkpoint_waiters.is_empty();
        let checkpoint_due = wanted && next.0 > self.last_checkpoint;
        let outcome = match (tx, failure) {
            (_, Some(e)) => Err(e),
            (None, None) => Ok(()),
            (Some(_), None) if appended.is_empty() && !checkpoint_due => Ok(()),
            (Some(tx), None) => {
                let written =
                    if checkpoint_due { store::insert_checkpoint(&tx, &self.signer.sign(next)) } else { Ok(()) };
                written.and_then(|()| tx.commit())
            }
        };
        match outcome {
            Ok(()) => {
                let wrote = !appended.is_empty() || checkpoint_due;
                self.head = next;
                if checkpoint_due {
                    self.last_checkpoint = next.0;
                }
                *self.shared.head.lock().unwrap_or_else(PoisonError::into_inner) = next;
                if wrote {
                    self.shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                for (seq, reply) in appended {
                    let _gone = reply.send(Ok(seq));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, entries = appended.len(), "audit batch not committed; refusing its requests");
                for (_, reply) in appended {
                    let _gone = reply.send(Err(AuditError::Unavailable));
                }
                for reply in checkpoint_waiters {
                    let _gone = reply.send(Err(AuditError::Unavailable));
                }
                self.reload_head();
            }
        }
        closers
    }

    /// After a failed batch: take the head from what is committed on disk (normally unchanged).
    fn reload_head(&mut self) {
        if !self.conn.is_autocommit() {
            // The rollback on drop failed; without this the connection would refuse every batch.
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "audit rollback failed");
            }
        }
        let on_disk = match store::last_entry(&self.conn) {
            Ok(None) => (0, GENESIS_HASH),
            Ok(Some(Ok(e))) => (e.seq, e.hash),
            Ok(Some(Err(_))) | Err(_) => return,
        };
        if on_disk != self.head {
            tracing::warn!(seq = on_disk.0, "audit head on disk differs after a failed commit; following the disk");
            self.head = on_disk;
            *self.shared.head.lock().unwrap_or_else(PoisonError::into_inner) = on_disk;
        }
        if let Ok(seq) = store::last_checkpoint_seq(&self.conn) {
            self.last_checkpoint = seq;
        }
    }
}
