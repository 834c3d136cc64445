//! Reading the audit log: filtered search, live nonces for the replay cache, and JSON-lines export.
//!
//! The SQL text is assembled only from fixed fragments chosen by which filters are set; every value
//! the caller gives is a bound parameter, and free text is matched with `LIKE … ESCAPE '\'` after
//! escaping `\`, `%` and `_`, so it is always literal. This module must never interpolate a caller's
//! value into SQL, and never write to the database.

use std::io::Write;
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::store::{self, u64_from_sql, ENTRY_COLUMNS};
use super::{AuditEntry, AuditError, AuditLog, Decision};

/// The most entries one search returns.
pub const MAX_SEARCH_LIMIT: usize = 1000;
/// The longest `key_prefix` or `text` accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 1024;
/// The escape character of `LIKE` patterns.
const ESCAPE: char = '\\';

/// Which entries to return. Every filter that is set must match; results are in `seq` order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchQuery {
    /// Entries with `time_ms >= from_ms`.
    pub from_ms: Option<u64>,
    /// Entries with `time_ms < to_ms`.
    pub to_ms: Option<u64>,
    /// Entries whose client IP is exactly this text.
    pub ip: Option<String>,
    /// Entries whose key starts with this text (exact, case-sensitive; `%` and `_` are literal).
    pub key_prefix: Option<String>,
    /// Only granted, or only denied, entries.
    pub decision: Option<Decision>,
    /// Entries with exactly this operation (`"get"`, `"put"`, `"list_prefix"`, `""`).
    pub operation: Option<String>,
    /// Entries where key, user agent, origin, client IP, reason, vendor key id or country contains
    /// this text (literal; ASCII letters match either case).
    pub text: Option<String>,
    /// Entries with `seq > after_seq` (pagination: pass the last seq of the previous page).
    pub after_seq: Option<u64>,
    /// Search: the page size, clamped to `1..=MAX_SEARCH_LIMIT`. Export: the most entries written in
    /// all (at least 1; `usize::MAX` for every match).
    pub limit: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            from_ms: None,
            to_ms: None,
            ip: None,
            key_prefix: None,
            decision: None,
            operation: None,
            text: None,
            after_seq: None,
            limit: 100,
        }
    }
}

impl AuditLog {
    /// The entries matching `q`, in `seq` order. Blocking: call it from `spawn_blocking`.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<AuditEntry>, AuditError> {
        self.with_reader(|conn| search_page(conn, q, q.after_seq, q.limit))
    }

    /// `(nonce, expires_at)` of every granted entry with `expires_at >= now_secs`, to warm-start the
    /// replay cache after a restart. Blocking.
    pub fn unexpired_nonces(&self, now_secs: u64) -> Result<Vec<([u8; 16], u64)>, AuditError> {
        self.with_reader(|conn| live_nonces(conn, now_secs))
    }
}

/// Writes the entries of the database at `db_path` matching `q` (after `q.after_seq`, at most
/// `q.limit` of them, not clamped to a page) as JSON, one entry per line, binary fields in lowercase
/// hex. Returns the number of lines written. Safe while the gatekeeper runs (read-only, WAL).
pub fn export_jsonl(db_path: &Path, q: &SearchQuery, out: &mut dyn Write) -> Result<u64, AuditError> {
    let conn = store::open_reader(db_path).map_err(|e| {
        tracing::error!(path = %db_path.display(), error = %e, "cannot open the audit log for export");
        AuditError::Open
    })?;
    let mut after = q.after_seq;
    let mut left = q.limit.max(1);
    let mut written = 0u64;
    while left > 0 {
        let page = search_page(&conn, q, after, left.min(MAX_SEARCH_LIMIT))?;
        left = left.saturating_sub(page.len());
        let Some(last) = page.last().map(|e| e.seq) else { break };
        for entry in &page {
            serde_json::to_writer(&mut *out, entry).map_err(|_| AuditError::Export)?;
            out.write_all(b"\n").map_err(|_| AuditError::Export)?;
            written = written.saturating_add(1);
        }
        after = Some(last);
    }
    out.flush().map_err(|_| AuditError::Export)?;
    Ok(written)
}

/// One page of matches after `after_seq`.
fn search_page(
    conn: &Connection,
    q: &SearchQuery,
    after_seq: Option<u64>,
    limit: usize,
) -> Result<Vec<AuditEntry>, AuditError> {
    let (clauses, mut values) = filters(q, after_seq)?;
    let limit = limit.clamp(1, MAX_SEARCH_LIMIT);
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(1)));
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE {clauses} ORDER BY seq LIMIT ?");
    let mut stmt = conn.prepare_cached(&sql).map_err(query_failed)?;
    let mut rows = stmt.query(params_from_iter(values.iter())).map_err(query_failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(query_failed)? {
        let entry = store::read_entry(row).map_err(|m| {
            tracing::error!(seq = m.seq, field = m.field, "malformed audit row");
            AuditError::Corrupt { seq: m.seq }
        })?;
        out.push(entry);
    }
    Ok(out)
}

/// The `WHERE` clause for `q` (fixed fragments joined by `AND`) and the values to bind, in order.
fn filters(q: &SearchQuery, after_seq: Option<u64>) -> Result<(String, Vec<Value>), AuditError> {
    let mut clauses: Vec<&'static str> = Vec::new();
    let mut values = Vec::new();
    if let Some(seq) = after_seq {
        clauses.push("seq > ?");
        values.push(Value::Integer(i64::try_from(seq).unwrap_or(i64::MAX)));
    }
    if let Some(from) = q.from_ms {
        clauses.push("time_ms >= ?");
        values.push(Value::Integer(i64::try_from(from).unwrap_or(i64::MAX)));
    }
    if let Some(to) = q.to_ms {
        clauses.push("time_ms < ?");
        values.push(Value::Integer(i64::try_from(to).unwrap_or(i64::MAX)));
    }
    if let Some(ip) = &q.ip {
        clauses.push("client_ip = ?");
        values.push(Value::Text(bounded(ip, "ip")?.to_owned()));
    }
    if let Some(prefix) = &q.key_prefix {
        // Exact, case-sensitive prefix: LIKE would fold ASCII case, and S3 keys are case-sensitive.
        clauses.push("substr(object_key, 1, length(?)) = ?");
        let prefix = bounded(prefix, "key_prefix")?;
        values.push(Value::Text(prefix.to_owned()));
        values.push(Value::Text(prefix.to_owned()));
    }
    if let Some(decision) = q.decision {
        clauses.push("decision = ?");
        values.push(Value::Text(decision.as_str().to_owned()));
    }
    if let Some(operation) = &q.operation {
        clauses.push("operation = ?");
        values.push(Value::Text(bounded(operation, "operation")?.to_owned()));
    }
    if let Some(text) = &q.text {
        clauses.push(
            "(object_key LIKE ? ESCAPE '\\' OR user_agent LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\' \
             OR client_ip LIKE ? ESCAPE '\\' OR reason LIKE ? ESCAPE '\\' OR vendor_key_id LIKE ? ESCAPE '\\' \
             OR coalesce(country, '') LIKE ? ESCAPE '\\')",
        );
        let pattern = contains_pattern(bounded(text, "text")?);
        values.extend(std::iter::repeat_n(Value::Text(pattern), 7));
    }
    let sql = if clauses.is_empty() { "1 = 1".to_owned() } else { clauses.join(" AND ") };
    Ok((sql, values))
}

/// `%text%` with `\`, `%` and `_` escaped, for `LIKE … ESCAPE '\'`.
pub(super) fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len().saturating_add(8));
    p.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push(ESCAPE);
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn bounded<'a>(value: &'a str, name: &'static str) -> Result<&'a str, AuditError> {
    if value.len() > MAX_FILTER_LEN {
        return Err(AuditError::BadQuery(name));
    }
    Ok(value)
}

fn live_nonces(conn: &Connection, now_secs: u64) -> Result<Vec<([u8; 16], u64)>, AuditError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, nonce, expires_at FROM audit_entries \
             WHERE decision = 'granted' AND nonce IS NOT NULL AND expires_at >= ?1",
        )
        .map_err(query_failed)?;
    let now = i64::try_from(now_secs).unwrap_or(i64::MAX);
    let mut rows = stmt.query([now]).map_err(query_failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(query_failed)? {
        let seq = row.get::<_, i64>(0).map(u64_from_sql).map_err(query_failed)?;
        let nonce: Vec<u8> = row.get(1).map_err(|_| AuditError::Corrupt { seq })?;
        let nonce = <[u8; 16]>::try_from(nonce.as_slice()).map_err(|_| AuditError::Corrupt { seq })?;
        let expires_at = row.get::<_, i64>(2).map(u64_from_sql).map_err(|_| AuditError::Corrupt { seq })?;
        out.push((nonce, expires_at));
    }
    Ok(out)
}

fn query_failed(e: rusqlite::Error) -> AuditError {
    tracing::error!(error = %e, "audit log read failed");
    AuditError::Query
}
