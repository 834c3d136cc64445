//! The SQL of a search: which entries a [`SearchQuery`] selects, for every SQL store.
//!
//! The SQL text is assembled only from fixed fragments chosen by which filters are set; every value
//! the caller gives is a bound parameter, and free text is matched with `LIKE … ESCAPE '\'` after
//! escaping `\`, `%` and `_`, so it is always literal. The same fragments serve SQLite and, through
//! [`Dialect::Postgres`], PostgreSQL. This module must never interpolate a caller's value into SQL,
//! and never write to the database.

use super::row::{ENTRY_COLUMNS, NONCE_COLUMNS};
use super::Decision;

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

/// A value bound to a placeholder of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Param {
    /// An integer (`u64` values as their two's-complement `i64`, like the stored ones).
    Int(i64),
    /// Text.
    Text(String),
}

/// Which SQL a search is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// `?` placeholders; `LIKE` folds ASCII case.
    Sqlite,
    /// `$1, $2, …` placeholders; `ILIKE` folds case as the database's `LC_CTYPE` does.
    Postgres,
}

/// The `SELECT` of one page of matches for `q` after `after_seq`, and the values to bind in order;
/// or the name of a parameter that is refused.
pub(super) fn page_query(
    q: &SearchQuery,
    after_seq: Option<u64>,
    limit: usize,
    dialect: Dialect,
) -> Result<(String, Vec<Param>), &'static str> {
    let (clauses, mut params) = filters(q, after_seq, dialect)?;
    params.push(Param::Int(i64::try_from(limit.clamp(1, MAX_SEARCH_LIMIT)).unwrap_or(1)));
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE {clauses} ORDER BY seq LIMIT ?");
    Ok(match dialect {
        Dialect::Sqlite => (sql, params),
        Dialect::Postgres => (numbered(&sql), params),
    })
}

/// `sql` with its `?` placeholders numbered `$1, $2, …` (the fixed fragments hold no other `?`).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len().saturating_add(16));
    let mut n = 0u32;
    for c in sql.chars() {
        if c == '?' {
            n = n.saturating_add(1);
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `WHERE` clause for `q` (fixed fragments joined by `AND`) and the values to bind, in order.
fn filters(q: &SearchQuery, after_seq: Option<u64>, dialect: Dialect) -> Result<(String, Vec<Param>), &'static str> {
    let mut clauses: Vec<&'static str> = Vec::new();
    let mut values = Vec::new();
    if let Some(seq) = after_seq {
        clauses.push("seq > ?");
        values.push(Param::Int(i64::try_from(seq).unwrap_or(i64::MAX)));
    }
    if let Some(from) = q.from_ms {
        clauses.push("time_ms >= ?");
        values.push(Param::Int(i64::try_from(from).unwrap_or(i64::MAX)));
    }
    if let Some(to) = q.to_ms {
        clauses.push("time_ms < ?");
        values.push(Param::Int(i64::try_from(to).unwrap_or(i64::MAX)));
    }
    if let Some(ip) = &q.ip {
        clauses.push("client_ip = ?");
        values.push(Param::Text(bounded(ip, "ip")?));
    }
    if let Some(prefix) = &q.key_prefix {
        // Exact, case-sensitive prefix: LIKE would fold ASCII case, and S3 keys are case-sensitive.
        clauses.push("substr(object_key, 1, length(?)) = ?");
        let prefix = bounded(prefix, "key_prefix")?;
        values.push(Param::Text(prefix.clone()));
        values.push(Param::Text(prefix));
    }
    if let Some(decision) = q.decision {
        clauses.push("decision = ?");
        values.push(Param::Text(decision.as_str().to_owned()));
    }
    if let Some(operation) = &q.operation {
        clauses.push("operation = ?");
        values.push(Param::Text(bounded(operation, "operation")?));
    }
    if let Some(text) = &q.text {
        clauses.push(match dialect {
            Dialect::Sqlite => {
                "(object_key LIKE ? ESCAPE '\\' OR user_agent LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\' \
                 OR client_ip LIKE ? ESCAPE '\\' OR reason LIKE ? ESCAPE '\\' OR vendor_key_id LIKE ? ESCAPE '\\' \
                 OR coalesce(country, '') LIKE ? ESCAPE '\\')"
            }
            Dialect::Postgres => {
                "(object_key ILIKE ? ESCAPE '\\' OR user_agent ILIKE ? ESCAPE '\\' OR origin ILIKE ? ESCAPE '\\' \
                 OR client_ip ILIKE ? ESCAPE '\\' OR reason ILIKE ? ESCAPE '\\' OR vendor_key_id ILIKE ? ESCAPE '\\' \
                 OR coalesce(country, '') ILIKE ? ESCAPE '\\')"
            }
        });
        let pattern = contains_pattern(&bounded(text, "text")?);
        values.extend(std::iter::repeat_n(Param::Text(pattern), 7));
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

/// `value` if it is at most [`MAX_FILTER_LEN`] bytes, in the form the log stores text in: U+0000
/// becomes U+FFFD, as in every entry (see `chain::canonicalise`). A NUL must never reach SQL:
/// SQLite's `LIKE` ends the pattern there (so `%\0%` matched every entry) and PostgreSQL refuses
/// the value.
fn bounded(value: &str, name: &'static str) -> Result<String, &'static str> {
    if value.len() > MAX_FILTER_LEN {
        return Err(name);
    }
    Ok(value.replace('\0', "\u{fffd}"))
}

/// The `SELECT` of every entry with a nonce and `expires_at >= now_secs` (the one value to bind),
/// granted or denied: what [`AuditLog::unexpired_nonces`](super::AuditLog::unexpired_nonces) reads.
pub(super) fn live_nonces_query(dialect: Dialect) -> String {
    let sql = format!("SELECT {NONCE_COLUMNS} FROM audit_entries WHERE nonce IS NOT NULL AND expires_at >= ?");
    match dialect {
        Dialect::Sqlite => sql,
        Dialect::Postgres => numbered(&sql),
    }
}
