//! The stored shapes every store shares: the entry columns, checkpoints, and one reading of a row.
//!
//! SQLite and PostgreSQL rows hand out their columns through [`EntryRow`]; [`read_entry`],
//! [`read_checkpoint`] and [`read_used_nonce`] then check every field the same way for every store,
//! so a column added to the log is read and checked in one place. This module must never trust a
//! stored value: one of the wrong type or length is a [`Malformed`] naming the column, never a panic.

use super::{AuditEntry, Decision, NewEntry, UsedNonce};

/// The entry columns, in the order [`read_entry`] reads them (`docs/audit.md`, section 2).
pub(super) const ENTRY_COLUMNS: &str = "seq, time_ms, operation, object_key, client_ip, country, user_agent, origin, \
     vendor_key_id, nonce, expires_at, decision, reason, request, vendor_signature, client_signature, \
     gatekeeper_signature, prev_hash, hash";

/// The checkpoint columns, in the order [`read_checkpoint`] reads them.
pub(super) const CHECKPOINT_COLUMNS: &str = "seq, head_hash, time_ms, gatekeeper_id, key_id, signature";

/// The columns [`read_used_nonce`] reads.
pub(super) const NONCE_COLUMNS: &str = "seq, nonce, expires_at, decision, reason";

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Checkpoint {
    pub(super) seq: u64,
    pub(super) head_hash: [u8; 32],
    pub(super) time_ms: u64,
    pub(super) gatekeeper_id: String,
    pub(super) key_id: String,
    pub(super) signature: [u8; 64],
}

/// A stored row that does not have the shape the schema promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Malformed {
    /// The row's sequence number (0 if even that could not be read).
    pub(super) seq: u64,
    /// The column that is wrong.
    pub(super) field: &'static str,
}

/// Stores keep integers as `i64`; a `u64` is stored as its two's-complement reinterpretation
/// (lossless).
pub(super) fn u64_to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// The inverse of [`u64_to_sql`].
pub(super) fn u64_from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

/// Typed access to column `i` of a stored row; `None` when the stored value has another type.
pub(super) trait EntryRow {
    /// An integer column.
    fn int(&self, i: usize) -> Option<i64>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Option<Option<i64>>;
    /// A text column.
    fn text(&self, i: usize) -> Option<String>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Option<Option<String>>;
    /// A blob (`bytea`) column.
    fn blob(&self, i: usize) -> Option<Vec<u8>>;
    /// A nullable blob (`bytea`) column.
    fn opt_blob(&self, i: usize) -> Option<Option<Vec<u8>>>;
}

/// Implements [`EntryRow`] for a store's row type `$row`, whose typed getter `$get(i)` returns a
/// `Result` (a value of another type is an error, so `None` here).
macro_rules! entry_row {
    ($row:ty, $get:ident) => {
        impl $crate::audit::row::EntryRow for $row {
            fn int(&self, i: usize) -> Option<i64> {
                self.$get(i).ok()
            }
            fn opt_int(&self, i: usize) -> Option<Option<i64>> {
                self.$get(i).ok()
            }
            fn text(&self, i: usize) -> Option<String> {
                self.$get(i).ok()
            }
            fn opt_text(&self, i: usize) -> Option<Option<String>> {
                self.$get(i).ok()
            }
            fn blob(&self, i: usize) -> Option<Vec<u8>> {
                self.$get(i).ok()
            }
            fn opt_blob(&self, i: usize) -> Option<Option<Vec<u8>>> {
                self.$get(i).ok()
            }
        }
    };
}
pub(super) use entry_row;

/// Reads one row selected with [`ENTRY_COLUMNS`], checking every field.
pub(super) fn read_entry(row: &impl EntryRow) -> Result<AuditEntry, Malformed> {
    let seq = row.int(0).map(u64_from_sql).ok_or(Malformed { seq: 0, field: "seq" })?;
    let bad = |field: &'static str| Malformed { seq, field };
    let text = |i: usize, field: &'static str| row.text(i).ok_or(bad(field));
    // Decision and reason as stored, agreeing or not (a reading, not a construction).
    let entry = NewEntry {
        time_ms: row.int(1).map(u64_from_sql).ok_or(bad("time_ms"))?,
        operation: text(2, "operation")?,
        key: text(3, "object_key")?,
        client_ip: text(4, "client_ip")?,
        // Absent is NULL, never "": the hash encodes both as an empty part.
        country: row.opt_text(5).filter(|c| c.as_deref() != Some("")).ok_or(bad("country"))?,
        user_agent: text(6, "user_agent")?,
        origin: text(7, "origin")?,
        vendor_key_id: text(8, "vendor_key_id")?,
        nonce: opt_array(row, 9).ok_or(bad("nonce"))?,
        expires_at: row.opt_int(10).ok_or(bad("expires_at"))?.map(u64_from_sql),
        decision: Decision::from_text(&text(11, "decision")?).ok_or(bad("decision"))?,
        reason: text(12, "reason")?,
        request: row.blob(13).ok_or(bad("request"))?,
        vendor_signature: opt_array(row, 14).ok_or(bad("vendor_signature"))?,
        client_signature: opt_array(row, 15).ok_or(bad("client_signature"))?,
        gatekeeper_signature: opt_array(row, 16).ok_or(bad("gatekeeper_signature"))?,
    };
    let prev_hash = opt_array(row, 17).flatten().ok_or(bad("prev_hash"))?;
    let hash = opt_array(row, 18).flatten().ok_or(bad("hash"))?;
    Ok(AuditEntry { seq, entry, prev_hash, hash })
}

/// Reads one row selected with [`CHECKPOINT_COLUMNS`].
pub(super) fn read_checkpoint(row: &impl EntryRow) -> Result<Checkpoint, Malformed> {
    let seq = row.int(0).map(u64_from_sql).ok_or(Malformed { seq: 0, field: "seq" })?;
    let bad = |field: &'static str| Malformed { seq, field };
    Ok(Checkpoint {
        seq,
        head_hash: opt_array(row, 1).flatten().ok_or(bad("head_hash"))?,
        time_ms: row.int(2).map(u64_from_sql).ok_or(bad("time_ms"))?,
        gatekeeper_id: row.text(3).ok_or(bad("gatekeeper_id"))?,
        key_id: row.text(4).ok_or(bad("key_id"))?,
        signature: opt_array(row, 5).flatten().ok_or(bad("signature"))?,
    })
}

/// Reads one row selected with [`NONCE_COLUMNS`].
pub(super) fn read_used_nonce(row: &impl EntryRow) -> Result<UsedNonce, Malformed> {
    let seq = row.int(0).map(u64_from_sql).ok_or(Malformed { seq: 0, field: "seq" })?;
    let bad = |field: &'static str| Malformed { seq, field };
    Ok(UsedNonce {
        nonce: opt_array(row, 1).flatten().ok_or(bad("nonce"))?,
        expires_at: row.int(2).map(u64_from_sql).ok_or(bad("expires_at"))?,
        decision: row.text(3).and_then(|d| Decision::from_text(&d)).ok_or(bad("decision"))?,
        reason: row.text(4).ok_or(bad("reason"))?,
    })
}

/// A nullable fixed-size blob: `Some(None)` for NULL, `None` for another type or length.
fn opt_array<const N: usize>(row: &impl EntryRow, i: usize) -> Option<Option<[u8; N]>> {
    match row.opt_blob(i)? {
        None => Some(None),
        Some(v) => <[u8; N]>::try_from(v.as_slice()).ok().map(Some),
    }
}
