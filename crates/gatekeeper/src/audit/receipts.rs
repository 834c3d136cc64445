//! Receipts as witnesses of the log: a grant's receipt, kept by its client or vendor, must find
//! its entry in the log, unchanged.
//!
//! A receipts file is JSON Lines: each line is the `receipt` object of a grant answer exactly as
//! received (`{"bytes", "signature", "key_id", "sequence"}`, `docs/api.md`). [`read_receipts`]
//! accepts a line only if its signature verifies **strictly** under one of the gatekeeper keys
//! given, so a forged receipt is refused as input and never counts against the log.
//! [`Witnesses`] then checks each receipt against the entry with its sequence number while
//! [`verify_with_receipts`](super::verify_with_receipts) walks the chain: the entry must be there,
//! granted, for the same request bytes, signatures, vendor key, client address and second. That
//! detects what the chain alone cannot (`docs/audit.md` section 7): a tail cut or rewritten after
//! the last checkpoint.
//!
//! This module must never trust a receipt whose signature it has not verified, never read more
//! than [`MAX_RECEIPTS_FILE`] bytes, and never put a receipt's bytes into an error.

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use s3gk_protocol::policy::acl::normalize_ip;
use s3gk_protocol::sign::{receipt_signed_bytes, Receipt};
use s3gk_protocol::KeyId;
use s3gk_wire::ReceiptJson;

use super::{AuditEntry, Decision};

/// The largest receipts file read: 64 MiB (about 100,000 receipts).
pub const MAX_RECEIPTS_FILE: u64 = 64 << 20;

/// One receipt from a receipts file, its signature verified.
#[derive(Clone, Debug)]
pub struct HeldReceipt {
    /// The line of the file it came from (1-based).
    pub line: usize,
    receipt: Receipt,
    signature: [u8; 64],
}

impl HeldReceipt {
    /// The audit sequence number the receipt names.
    pub fn sequence(&self) -> u64 {
        self.receipt.sequence()
    }

    /// Whether `e` is the entry this receipt records.
    fn matches(&self, e: &AuditEntry) -> bool {
        let r = &self.receipt;
        let n = &e.entry;
        e.seq == r.sequence()
            && n.decision() == Decision::Granted
            && n.request == r.request()
            && n.vendor_key_id == r.vendor_key_id().as_str()
            && n.vendor_signature.as_ref() == Some(r.vendor_signature())
            && n.client_signature.as_ref() == Some(r.client_signature())
            && n.gatekeeper_signature == Some(self.signature)
            && n.client_ip.parse().ok().map(normalize_ip) == Some(r.client_ip())
            && n.time_ms / 1000 == r.decided_at()
    }
}

/// A line of a receipts file that is not a receipt of this gatekeeper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptsFileError {
    /// The line (1-based; 0 for the file as a whole).
    pub line: usize,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl ReceiptsFileError {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        "receipts_file_invalid"
    }
}

impl fmt::Display for ReceiptsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "receipts file: {}", self.problem),
            line => write!(f, "receipts file line {line}: {}", self.problem),
        }
    }
}

impl std::error::Error for ReceiptsFileError {}

/// Reads a receipts file (JSON Lines; blank lines are skipped), verifying each receipt's
/// signature under one of `keys`. The first bad line fails the whole file.
pub fn read_receipts(text: &str, keys: &[VerifyingKey]) -> Result<Vec<HeldReceipt>, ReceiptsFileError> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index.saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem| ReceiptsFileError { line: number, problem };
        let json: ReceiptJson = serde_json::from_str(line).map_err(|_| bad("not a receipt object"))?;
        let signature: [u8; 64] =
            json.signature.decode_array().ok_or_else(|| bad("the signature is not the base64 of 64 bytes"))?;
        let bytes = json.bytes.decode().ok_or_else(|| bad("the receipt bytes are not base64"))?;
        let key_id = KeyId::new(&json.key_id).map_err(|_| bad("the key id is invalid"))?;
        let signed = receipt_signed_bytes(&key_id, &bytes);
        let sig = Signature::from_bytes(&signature);
        if !keys.iter().any(|k| k.verify_strict(&signed, &sig).is_ok()) {
            return Err(bad("the signature does not verify under the gatekeeper keys given"));
        }
        let receipt = Receipt::decode(&bytes).map_err(|_| bad("the receipt bytes do not decode"))?;
        if receipt.sequence() != json.sequence {
            return Err(bad("`sequence` differs from the sequence inside the receipt"));
        }
        out.push(HeldReceipt { line: number, receipt, signature });
    }
    Ok(out)
}

/// What a receipt found wrong with the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WitnessProblem {
    /// The log ends before the receipt's entry: it was cut.
    Missing,
    /// The entry at the receipt's seq is not the grant the receipt records.
    Differs,
}

/// The receipts still to be matched, in sequence order, as the chain walk reaches their entries.
pub(super) struct Witnesses {
    receipts: Vec<HeldReceipt>,
    next: usize,
}

impl Witnesses {
    pub(super) fn new(mut receipts: Vec<HeldReceipt>) -> Self {
        receipts.sort_by_key(HeldReceipt::sequence);
        Self { receipts, next: 0 }
    }

    /// Checks every receipt whose seq is at or below `e.seq` against `e` (one whose seq is below
    /// names an entry that does not exist, such as 0).
    pub(super) fn entry(&mut self, e: &AuditEntry) -> Result<(), (u64, WitnessProblem)> {
        while let Some(r) = self.receipts.get(self.next).filter(|r| r.sequence() <= e.seq) {
            if !r.matches(e) {
                return Err((r.sequence(), WitnessProblem::Differs));
            }
            self.next = self.next.saturating_add(1);
        }
        Ok(())
    }

    /// After the last entry: every receipt must have found its entry.
    pub(super) fn finish(&self) -> Result<u64, (u64, WitnessProblem)> {
        match self.receipts.get(self.next) {
            Some(r) => Err((r.sequence(), WitnessProblem::Missing)),
            None => Ok(u64::try_from(self.receipts.len()).unwrap_or(u64::MAX)),
        }
    }
}
