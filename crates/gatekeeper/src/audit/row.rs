//! One reading of a stored entry or checkpoint for both stores.
//!
//! SQLite and PostgreSQL rows hand out their columns through [`EntryRow`]; [`read_entry`] and
//! [`read_checkpoint`] then check every field the same way for both, so a column added to the log is
//! read and checked in one place. A value of the wrong type or length is `None`, never a panic.

use super::store::{u64_from_sql, Checkpoint, Malformed};
use super::{AuditEntry, Decision, NewEntry};

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

impl EntryRow for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Option<i64> {
        self.get(i).ok()
    }
    fn opt_int(&self, i: usize) -> Option<Option<i64>> {
        self.get(i).ok()
    }
    fn text(&self, i: usize) -> Option<String> {
        self.get(i).ok()
    }
    fn opt_text(&self, i: usize) -> Option<Option<String>> {
        self.get(i).ok()
    }
    fn blob(&self, i: usize) -> Option<Vec<u8>> {
        self.get(i).ok()
    }
    fn opt_blob(&self, i: usize) -> Option<Option<Vec<u8>>> {
        self.get(i).ok()
    }
}

impl EntryRow for tokio_postgres::Row {
    fn int(&self, i: usize) -> Option<i64> {
        self.try_get(i).ok()
    }
    fn opt_int(&self, i: usize) -> Option<Option<i64>> {
        self.try_get(i).ok()
    }
    fn text(&self, i: usize) -> Option<String> {
        self.try_get(i).ok()
    }
    fn opt_text(&self, i: usize) -> Option<Option<String>> {
        self.try_get(i).ok()
    }
    fn blob(&self, i: usize) -> Option<Vec<u8>> {
        self.try_get(i).ok()
    }
    fn opt_blob(&self, i: usize) -> Option<Option<Vec<u8>>> {
        self.try_get(i).ok()
    }
}

/// Reads one row selected with `ENTRY_COLUMNS`, checking every field.
pub(super) fn read_entry(row: &impl EntryRow) -> Result<AuditEntry, Malformed> {
    let seq = row.int(0).map(u64_from_sql).ok_or(Malformed { seq: 0, field: "seq" })?;
    let bad = |field: &'static str| Malformed { seq, field };
    let text = |i: usize, field: &'static str| row.text(i).ok_or(bad(field));
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

/// Reads the rest of a checkpoint row (`seq, head_hash, time_ms, gatekeeper_id, key_id,
/// signature`) whose `seq` the caller has read.
pub(super) fn read_checkpoint(row: &impl EntryRow, seq: u64) -> Result<Checkpoint, Malformed> {
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

/// A nullable fixed-size blob: `Some(None)` for NULL, `None` for another type or length.
fn opt_array<const N: usize>(row: &impl EntryRow, i: usize) -> Option<Option<[u8; N]>> {
    match row.opt_blob(i)? {
        None => Some(None),
        Some(v) => <[u8; N]>::try_from(v.as_slice()).ok().map(Some),
    }
}
