//! Offline verification of an audit database: the chain, the sequence, and the signed checkpoints.
//!
//! [`verify`] reads the log read-only through its store (safe while the gatekeeper runs),
//! recomputes every entry hash from seq 1, and checks every checkpoint signature strictly against
//! the keys it is given. [`ChainCheck`] holds the checks themselves. [`verify_with_receipts`] also
//! checks each receipt a client kept against its entry ([`Witnesses`]). It reports the first
//! problem in sequence order. It must never write to the database, never trust a
//! stored hash it can recompute, and never report success for a log it could not read to the end.

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};

use super::chain::{checkpoint_message, entry_hash, GENESIS_HASH};
use super::receipts::{HeldReceipt, WitnessProblem, Witnesses};
use super::row::{Checkpoint, Malformed};
use super::store::{Role, StoreError};
use super::{stores, AuditEntry, AuditSettings, SearchQuery, MAX_SEARCH_LIMIT};

/// What a successful verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// The number of entries (also the last seq).
    pub entries: u64,
    /// The hash of the last entry ([`GENESIS_HASH`] when empty).
    pub head_hash: [u8; 32],
    /// The number of checkpoints, all valid.
    pub checkpoints: u64,
    /// `(seq, time_ms)` of the last checkpoint, if any.
    pub last_checkpoint: Option<(u64, u64)>,
    /// Entries after the last checkpoint. Nothing here proves these were not cut off or rewritten:
    /// compare with a checkpoint kept elsewhere, or check receipts (see `docs/audit.md`).
    pub unchecked_tail: u64,
    /// Receipts found in the log unchanged (only [`verify_with_receipts`] checks any).
    pub receipts: u64,
}

impl VerifyReport {
    /// How long before `now_ms` (Unix milliseconds) the last checkpoint was signed, in whole
    /// seconds; `None` without a checkpoint. A checkpoint dated after `now_ms` is 0 seconds old.
    pub fn checkpoint_age_secs(&self, now_ms: u64) -> Option<u64> {
        self.last_checkpoint.map(|(_, time_ms)| now_ms.saturating_sub(time_ms) / 1000)
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entries, head {}, {} checkpoints", self.entries, hex::encode(self.head_hash), self.checkpoints)?;
        if let Some((seq, _)) = self.last_checkpoint {
            write!(f, " (last at seq {seq})")?;
        }
        write!(f, "; {} entries after the last checkpoint", self.unchecked_tail)?;
        if self.receipts > 0 {
            write!(f, "; {} receipts match their entries", self.receipts)?;
        }
        Ok(())
    }
}

/// The first problem found, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyFailure {
    /// The first bad seq (`None` when the database could not be read at all).
    pub seq: Option<u64>,
    /// What is wrong there.
    pub problem: VerifyProblem,
}

/// What [`verify`] found wrong.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyProblem {
    /// The database cannot be opened or read, or is not an audit log.
    Unreadable,
    /// The entry with this seq is missing (a deleted row leaves a gap).
    Missing,
    /// Entries up to a checkpoint are missing at the end: the log was truncated.
    Truncated,
    /// A stored field has the wrong type or length; it names the column.
    Malformed(&'static str),
    /// `prev_hash` is not the hash of the previous entry (this entry or the previous was rewritten).
    BrokenLink,
    /// The stored hash is not the hash of the entry's content: the entry was edited.
    HashMismatch,
    /// A checkpoint's signature does not verify with the gatekeeper public key.
    BadCheckpointSignature,
    /// A checkpoint's head hash is not the hash of the entry at its seq.
    CheckpointMismatch,
    /// A kept receipt names this seq, but the log ends before it: the log was cut.
    ReceiptEntryMissing,
    /// The entry at this seq is not the grant a kept receipt records: the log was rewritten.
    ReceiptMismatch,
}

impl VerifyFailure {
    /// The log could not be read at all.
    const UNREADABLE: Self = Self { seq: None, problem: VerifyProblem::Unreadable };

    fn at(seq: u64, problem: VerifyProblem) -> Self {
        Self { seq: Some(seq), problem }
    }

    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self.problem {
            VerifyProblem::Unreadable => "audit_unreadable",
            VerifyProblem::Missing => "audit_entry_missing",
            VerifyProblem::Truncated => "audit_truncated",
            VerifyProblem::Malformed(_) => "audit_entry_malformed",
            VerifyProblem::BrokenLink => "audit_broken_link",
            VerifyProblem::HashMismatch => "audit_hash_mismatch",
            VerifyProblem::BadCheckpointSignature => "audit_bad_checkpoint_signature",
            VerifyProblem::CheckpointMismatch => "audit_checkpoint_mismatch",
            VerifyProblem::ReceiptEntryMissing => "audit_receipt_entry_missing",
            VerifyProblem::ReceiptMismatch => "audit_receipt_mismatch",
        }
    }
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(seq) = self.seq {
            write!(f, "seq {seq}: ")?;
        }
        match self.problem {
            VerifyProblem::Unreadable => f.write_str("cannot read the audit log"),
            VerifyProblem::Missing => f.write_str("entry missing (deleted)"),
            VerifyProblem::Truncated => {
                f.write_str("entry missing: the log ends before a signed checkpoint (truncated)")
            }
            VerifyProblem::Malformed(column) => write!(f, "malformed {column}"),
            VerifyProblem::BrokenLink => {
                f.write_str("prev_hash does not link to the previous entry (this or the previous entry was rewritten)")
            }
            VerifyProblem::HashMismatch => f.write_str("content does not match its hash (edited)"),
            VerifyProblem::BadCheckpointSignature => f.write_str("checkpoint signature does not verify"),
            VerifyProblem::CheckpointMismatch => f.write_str("checkpoint head hash does not match the entry"),
            VerifyProblem::ReceiptEntryMissing => {
                f.write_str("a kept receipt names this entry, but the log ends before it (cut)")
            }
            VerifyProblem::ReceiptMismatch => {
                f.write_str("the entry is not the grant a kept receipt records (rewritten)")
            }
        }
    }
}

impl std::error::Error for VerifyFailure {}

/// Verifies the audit log `settings` name against the gatekeeper's public keys: each checkpoint
/// must verify under one of `keys` (several across a key rotation). Read-only: safe while
/// gatekeepers write.
pub async fn verify(settings: &AuditSettings, keys: &[VerifyingKey]) -> Result<VerifyReport, VerifyFailure> {
    verify_with_receipts(settings, keys, Vec::new()).await
}

/// [`verify`], and each of `receipts` (read with [`read_receipts`](super::read_receipts), so their
/// signatures verified) must find its entry in the log, granted, for the same request and
/// signatures: a receipt beyond the end of the log fails with
/// [`VerifyProblem::ReceiptEntryMissing`], a different entry with [`VerifyProblem::ReceiptMismatch`].
pub async fn verify_with_receipts(
    settings: &AuditSettings,
    keys: &[VerifyingKey],
    receipts: Vec<HeldReceipt>,
) -> Result<VerifyReport, VerifyFailure> {
    let unreadable = |e: StoreError| match e {
        StoreError::Malformed(m) => VerifyFailure::at(m.seq, VerifyProblem::Malformed(m.field)),
        other => {
            tracing::error!(error = %other, "cannot read the audit log");
            VerifyFailure::UNREADABLE
        }
    };
    let mut store = stores::open(settings, Role::Reader).await.map_err(|_| VerifyFailure::UNREADABLE)?;
    // Checkpoints first: entries are only ever appended, so every entry a checkpoint covers is
    // there when the entries are read after it.
    let checkpoints = store.checkpoints().await.map_err(unreadable)?;
    let mut chain = ChainCheck::new(checkpoints, keys, Witnesses::new(receipts))?;
    // The first page has no lower bound, so a row numbered below 1 is seen too.
    let every = SearchQuery::default();
    let mut after = None;
    loop {
        let page = store.page(&every, after, MAX_SEARCH_LIMIT).await.map_err(unreadable)?;
        let Some(last) = page.last() else { break };
        after = Some(last.as_ref().map_or_else(|m| m.seq, |e| e.seq));
        for row in page {
            chain.entry(row)?;
        }
    }
    chain.finish()
}

/// The checks of `docs/audit.md` section 6, fed the stored rows one at a time in `seq` order, so
/// that every store runs exactly the same checks.
struct ChainCheck<'k> {
    /// Every checkpoint, in `seq` order.
    checkpoints: Vec<Checkpoint>,
    /// The first checkpoint not yet checked.
    pending: usize,
    keys: &'k [VerifyingKey],
    /// The hash of the last entry checked.
    prev: [u8; 32],
    /// The seq of the last entry checked.
    last: u64,
    /// The kept receipts, checked as their entries go by.
    witnesses: Witnesses,
}

impl<'k> ChainCheck<'k> {
    /// Starts with the stored `checkpoints` (any order); checks those that cover no entry at all.
    fn new(
        mut checkpoints: Vec<Checkpoint>,
        keys: &'k [VerifyingKey],
        witnesses: Witnesses,
    ) -> Result<Self, VerifyFailure> {
        // Stable: checkpoints of one seq keep their stored order.
        checkpoints.sort_by_key(|c| c.seq);
        let mut chain = Self { checkpoints, pending: 0, keys, prev: GENESIS_HASH, last: 0, witnesses };
        chain.checkpoints_up_to(0, &GENESIS_HASH)?;
        Ok(chain)
    }

    /// Checks the next stored row (rows must come in `seq` order).
    fn entry(&mut self, row: Result<AuditEntry, Malformed>) -> Result<(), VerifyFailure> {
        let expected = self.last.saturating_add(1);
        let e = match row {
            Ok(e) if e.seq == expected => e,
            Ok(_) => return Err(VerifyFailure::at(expected, VerifyProblem::Missing)),
            Err(m) if m.seq == expected => return Err(VerifyFailure::at(m.seq, VerifyProblem::Malformed(m.field))),
            Err(_) => return Err(VerifyFailure::at(expected, VerifyProblem::Missing)),
        };
        if e.prev_hash != self.prev {
            return Err(VerifyFailure::at(e.seq, VerifyProblem::BrokenLink));
        }
        if entry_hash(e.seq, &e.prev_hash, &e.entry) != e.hash {
            return Err(VerifyFailure::at(e.seq, VerifyProblem::HashMismatch));
        }
        self.checkpoints_up_to(e.seq, &e.hash)?;
        self.witnesses.entry(&e).map_err(witness_failure)?;
        self.prev = e.hash;
        self.last = e.seq;
        Ok(())
    }

    /// After the last row: no checkpoint may be left beyond the end.
    fn finish(self) -> Result<VerifyReport, VerifyFailure> {
        if self.pending < self.checkpoints.len() {
            return Err(VerifyFailure::at(self.last.saturating_add(1), VerifyProblem::Truncated));
        }
        let receipts = self.witnesses.finish().map_err(witness_failure)?;
        let last_checkpoint = self.checkpoints.last().map(|c| (c.seq, c.time_ms));
        Ok(VerifyReport {
            receipts,
            entries: self.last,
            head_hash: self.prev,
            checkpoints: u64::try_from(self.checkpoints.len()).unwrap_or(u64::MAX),
            last_checkpoint,
            unchecked_tail: self.last.saturating_sub(last_checkpoint.map_or(0, |c| c.0)),
        })
    }

    /// Checks every pending checkpoint at or below `seq`, whose entry hash is `hash`.
    fn checkpoints_up_to(&mut self, seq: u64, hash: &[u8; 32]) -> Result<(), VerifyFailure> {
        while let Some(cp) = self.checkpoints.get(self.pending).filter(|cp| cp.seq <= seq) {
            check_checkpoint(cp, hash, self.keys)?;
            self.pending = self.pending.saturating_add(1);
        }
        Ok(())
    }
}

fn witness_failure((seq, problem): (u64, WitnessProblem)) -> VerifyFailure {
    let problem = match problem {
        WitnessProblem::Missing => VerifyProblem::ReceiptEntryMissing,
        WitnessProblem::Differs => VerifyProblem::ReceiptMismatch,
    };
    VerifyFailure::at(seq, problem)
}

/// Checks one checkpoint whose seq has been reached; `hash` is the entry hash at `cp.seq`.
fn check_checkpoint(cp: &Checkpoint, hash: &[u8; 32], keys: &[VerifyingKey]) -> Result<(), VerifyFailure> {
    let message = checkpoint_message(&cp.gatekeeper_id, cp.seq, &cp.head_hash, cp.time_ms);
    let signature = Signature::from_bytes(&cp.signature);
    if !keys.iter().any(|key| key.verify_strict(&message, &signature).is_ok()) {
        return Err(VerifyFailure::at(cp.seq, VerifyProblem::BadCheckpointSignature));
    }
    if cp.head_hash != *hash {
        return Err(VerifyFailure::at(cp.seq, VerifyProblem::CheckpointMismatch));
    }
    Ok(())
}
