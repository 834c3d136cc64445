//! The audit log: one hash-chained entry per decision, signed checkpoints, durable before answering.
//!
//! Every authorization decision, granted or denied, becomes one [`AuditEntry`] in a SQLite database
//! (WAL, `synchronous=FULL`), or, for several gatekeeper instances, in one shared PostgreSQL
//! database. Entries are chained by SHA-256 ([`entry_hash`]) and the gatekeeper signs checkpoints
//! of the head, so the customer can check offline with [`verify()`] that nothing was edited or
//! dropped. `docs/audit.md` is the normative description of the format.
//!
//! - [`AuditLog`]: the handle; behind it one writer thread that assigns sequence numbers and
//!   commits appends in groups (one durable commit per batch), answering each caller only once it
//!   is durable, and one reader thread;
//! - [`AuditLog::search`], [`export_jsonl`]: filtered reads for the CLI and the admin API;
//! - [`verify()`]: the offline check of the chain and the checkpoints; [`verify_with_receipts`]
//!   also checks the receipts clients kept ([`read_receipts`]) against their entries.
//!
//! Each database is one file implementing the `Store` trait (`store.rs`): `sqlite.rs` and
//! `postgres.rs`. The writer, the reader, the export and the verify above it are written once.
//!
//! This module must never answer an append before the entry is committed, never let a failed write
//! look like a success (callers deny: fail closed), never build SQL from caller text (every value is
//! bound), and never put stored data or internals into an error's `Display`.

use core::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

mod chain;
mod json;
mod log;
mod postgres;
mod reader;
mod receipts;
mod row;
mod search;
mod sqlite;
mod store;
mod stores;
mod verify;
mod writer;

#[cfg(test)]
mod tests;

pub use chain::{checkpoint_message, entry_hash, CHECKPOINT_LABEL, ENTRY_LABEL, GENESIS_HASH};
pub use json::entry_json;
pub use log::{AuditLog, Queued};
pub use reader::export_jsonl;
pub use receipts::{read_receipts, HeldReceipt, ReceiptsFileError, MAX_RECEIPTS_FILE};
pub use search::{SearchQuery, MAX_FILTER_LEN, MAX_SEARCH_LIMIT};
pub use verify::{verify, verify_with_receipts, VerifyFailure, VerifyProblem, VerifyReport};
pub use writer::MAX_BATCH;

pub use crate::postgres::{PostgresSettings, PostgresTls};

/// Where the audit log lives and how often it is checkpointed.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// Which database keeps the log.
    pub store: AuditStore,
    /// The SQLite database file (created if missing, with its `-wal` and `-shm` companions). Used
    /// only with [`AuditStore::Sqlite`].
    pub path: PathBuf,
    /// Sign a checkpoint whenever the committed sequence number crosses a multiple of this.
    /// `0` disables these (the interval below still applies).
    pub checkpoint_every: u64,
    /// Sign a checkpoint at the latest this long after the first entry no checkpoint covers yet,
    /// so that a truncation of entries older than this is always detected (`docs/audit.md`
    /// section 7). Measured on the monotonic clock. `Duration::ZERO` disables the timer (only
    /// `checkpoint_every` and [`AuditLog::checkpoint`] then write checkpoints).
    pub checkpoint_interval: Duration,
    /// A cap on the database size in pages (`PRAGMA max_page_count`; pages are 4 KiB). When the
    /// database is full, appends fail with [`AuditError::Unavailable`] and requests are refused.
    /// SQLite will not lower the cap below the current size. `None`: no cap beyond SQLite's own.
    /// Used only with [`AuditStore::Sqlite`].
    pub max_db_pages: Option<u32>,
    /// The time checkpoints are signed at (the service's clock seam). Sequence numbers never
    /// depend on it.
    pub clock: Arc<dyn Clock>,
}

/// Which database keeps the audit log.
#[derive(Clone, Debug, Default)]
pub enum AuditStore {
    /// The SQLite file at [`AuditSettings::path`]: one gatekeeper process; the replay cache stays in
    /// memory.
    #[default]
    Sqlite,
    /// A PostgreSQL database shared by several gatekeeper instances, which also share their replay
    /// cache there.
    Postgres(PostgresSettings),
}

impl AuditSettings {
    /// The default checkpoint interval, in entries.
    pub const DEFAULT_CHECKPOINT_EVERY: u64 = 1000;
    /// The default longest time an entry waits for a checkpoint.
    pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(10);

    /// Settings for a database at `path`, with the default checkpoint intervals and no size cap.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            store: AuditStore::Sqlite,
            path: path.into(),
            checkpoint_every: Self::DEFAULT_CHECKPOINT_EVERY,
            checkpoint_interval: Self::DEFAULT_CHECKPOINT_INTERVAL,
            max_db_pages: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Settings for the PostgreSQL store `pg`, with the default checkpoint interval.
    pub fn postgres(pg: PostgresSettings) -> Self {
        Self { store: AuditStore::Postgres(pg), ..Self::new("") }
    }
}

/// What the gatekeeper decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Access was granted (a receipt and presigned URLs went out).
    Granted,
    /// Access was refused; the entry's `reason` says why.
    Denied,
}

impl Decision {
    /// `"granted"` or `"denied"`, as stored and searched.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Granted => "granted",
            Decision::Denied => "denied",
        }
    }

    /// The byte the entry hash covers: 1 for granted, 2 for denied.
    pub fn hash_byte(self) -> u8 {
        match self {
            Decision::Granted => 1,
            Decision::Denied => 2,
        }
    }

    /// The inverse of [`Decision::as_str`].
    pub fn from_text(s: &str) -> Option<Self> {
        match s {
            "granted" => Some(Decision::Granted),
            "denied" => Some(Decision::Denied),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the caller knows about one decision; the log adds the sequence number and hashes.
///
/// Built with [`NewEntry::granted`] or [`NewEntry::denied`], so the decision and its reason always
/// agree (a grant's reason is `"granted"`); the other fields are then filled in. Strings are stored
/// and hashed exactly as given (no normalisation). Empty strings are fine for what is not known
/// (e.g. `operation` when the request did not parse). An entry read back from a store holds what is
/// stored, agreeing or not: [`verify()`] judges it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    /// When the decision was made, Unix milliseconds.
    pub time_ms: u64,
    /// `"get"`, `"put"`, `"list_prefix"`, or `""` when the request did not parse.
    pub operation: String,
    /// The object key or prefix the request named (`""` if unparsed).
    pub key: String,
    /// The client IP as resolved by the gatekeeper.
    pub client_ip: String,
    /// ISO 3166-1 alpha-2 country of the client IP, if the lookup found one (`Some("")` is stored
    /// as `None`).
    pub country: Option<String>,
    /// The `User-Agent` header as received (`""` if absent).
    pub user_agent: String,
    /// The `Origin` header as received (`""` if absent).
    pub origin: String,
    /// The vendor key id the request named (`""` if unparsed).
    pub vendor_key_id: String,
    /// The request's nonce, if it parsed.
    pub nonce: Option<[u8; 16]>,
    /// The request's `expires_at` (Unix seconds), if it parsed.
    pub expires_at: Option<u64>,
    /// Granted or denied.
    decision: Decision,
    /// The stable reason code of a denial, or `"granted"`.
    reason: String,
    /// The access request bytes exactly as received.
    pub request: Vec<u8>,
    /// The vendor's signature, if present.
    pub vendor_signature: Option<[u8; 64]>,
    /// The client's session signature, if present.
    pub client_signature: Option<[u8; 64]>,
    /// The gatekeeper's receipt signature (granted decisions).
    pub gatekeeper_signature: Option<[u8; 64]>,
}

impl NewEntry {
    /// A granted entry made at `time_ms` (reason `"granted"`), every other field empty.
    pub fn granted(time_ms: u64) -> Self {
        Self::decided(time_ms, Decision::Granted, Decision::Granted.as_str().to_owned())
    }

    /// A denied entry made at `time_ms` for the stable denial code `reason` (`docs/protocol.md`,
    /// section 8), every other field empty.
    pub fn denied(time_ms: u64, reason: &'static str) -> Self {
        Self::decided(time_ms, Decision::Denied, reason.to_owned())
    }

    fn decided(time_ms: u64, decision: Decision, reason: String) -> Self {
        Self {
            time_ms,
            operation: String::new(),
            key: String::new(),
            client_ip: String::new(),
            country: None,
            user_agent: String::new(),
            origin: String::new(),
            vendor_key_id: String::new(),
            nonce: None,
            expires_at: None,
            decision,
            reason,
            request: Vec::new(),
            vendor_signature: None,
            client_signature: None,
            gatekeeper_signature: None,
        }
    }

    /// Granted or denied.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// The stable reason code of a denial, or `"granted"`.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A nonce the log recorded, with what was decided: the replay cache is rebuilt from these.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsedNonce {
    /// The request's nonce.
    pub nonce: [u8; 16],
    /// The request's `expires_at`.
    pub expires_at: u64,
    /// What was decided.
    pub decision: Decision,
    /// The reason code.
    pub reason: String,
}

/// One committed entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// The sequence number: 1 for the first entry, then contiguous.
    pub seq: u64,
    /// What was decided, as the caller described it.
    pub entry: NewEntry,
    /// The previous entry's hash ([`GENESIS_HASH`] for seq 1).
    pub prev_hash: [u8; 32],
    /// This entry's hash, [`entry_hash`] of the fields above.
    pub hash: [u8; 32],
}

/// Why the audit log could not do what was asked. `Display` never includes stored data.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditError {
    /// The entry could not be made durable (disk full, I/O error, writer stopped): refuse the request.
    Unavailable,
    /// The database could not be opened or initialised.
    Open,
    /// The stored log is inconsistent at this sequence number (run `verify`).
    Corrupt {
        /// The first sequence number found to be wrong.
        seq: u64,
    },
    /// A read (search, nonce scan, export) failed.
    Query,
    /// The search parameters are refused; the text names the parameter.
    BadQuery(&'static str),
    /// Writing the export failed.
    Export,
}

impl AuditError {
    /// A stable code for HTTP answers, CLI output and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::Unavailable => "audit_unavailable",
            AuditError::Open => "audit_open_failed",
            AuditError::Corrupt { .. } => "audit_corrupt",
            AuditError::Query => "audit_query_failed",
            AuditError::BadQuery(_) => "audit_bad_query",
            AuditError::Export => "audit_export_failed",
        }
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::Unavailable => f.write_str("the audit log cannot record the decision"),
            AuditError::Open => f.write_str("cannot open the audit log"),
            AuditError::Corrupt { seq } => write!(f, "the audit log is inconsistent at seq {seq}; run verify"),
            AuditError::Query => f.write_str("cannot read the audit log"),
            AuditError::BadQuery(what) => write!(f, "invalid search parameter: {what}"),
            AuditError::Export => f.write_str("cannot write the export"),
        }
    }
}

impl std::error::Error for AuditError {}
