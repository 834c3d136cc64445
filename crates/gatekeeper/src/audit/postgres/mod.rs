//! The PostgreSQL store: one audit log for several gatekeeper instances.
//!
//! Entries, hashes and checkpoints are exactly those of the SQLite store (`docs/audit.md`); only the
//! tables differ (section 9 there). Each instance groups its appends like the SQLite writer, and
//! each batch is one transaction that locks the single row of `audit_head` (`SELECT … FOR UPDATE`),
//! numbers its entries from it, inserts them, moves the head and commits. Batches of different
//! instances therefore commit one after another, in `seq` order, and the chain stays one contiguous
//! sequence; any failure refuses every entry of the batch (fail closed). Connecting is
//! [`crate::postgres`]'s. This module must never answer an append before its COMMIT returned,
//! never number an entry outside the transaction that holds the head lock, and never build SQL from
//! caller text.

mod reader;
mod schema;
mod writer;

pub(super) use reader::Reader;
pub use reader::{export_jsonl, verify, verify_with_keys};
pub(super) use writer::open;
