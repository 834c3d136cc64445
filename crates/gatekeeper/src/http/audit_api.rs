//! `GET /v1/audit`: audit search for the customer's administrator, behind a bearer token compared
//! in constant time.
//!
//! Every parameter is checked before the search runs, and each bad value is answered 400
//! `malformed_query` naming the parameter: unknown or repeated parameters, numbers that are not
//! numbers, `decision` other than `granted` or `denied`, `operation` other than an operation name
//! (or empty, for requests that did not parse), `ip` that is not an IP address, `q`, `key_prefix`
//! longer than [`MAX_FILTER_LEN`] bytes, `limit` outside `1..=`[`MAX_SEARCH_LIMIT`]. Only a failure
//! to read the log is 503 `audit_unavailable`.
//!
//! This module must never answer anything before the token is checked, and never build a search
//! from a value it did not check.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use s3gk_protocol::policy::acl::normalize_ip;
use s3gk_protocol::request::OperationKind;

use super::ApiError;
use crate::audit::{AuditError, Decision, SearchQuery, MAX_FILTER_LEN, MAX_SEARCH_LIMIT};
use crate::authorize::Gatekeeper;

/// Query parameters of `GET /v1/audit`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditParams {
    from_ms: Option<u64>,
    to_ms: Option<u64>,
    ip: Option<String>,
    key_prefix: Option<String>,
    decision: Option<String>,
    operation: Option<String>,
    q: Option<String>,
    after_seq: Option<u64>,
    limit: Option<usize>,
}

/// The handler of `GET /v1/audit`.
pub(super) async fn search(
    State(gk): State<Arc<Gatekeeper>>,
    headers: HeaderMap,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Response {
    let Some(token) = &gk.settings.admin_token else {
        return ApiError::new(StatusCode::FORBIDDEN, "admin_disabled", "no admin token is configured").into_response();
    };
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    // Compare digests so neither the content nor the length of the token leaks through timing.
    let authorized = presented
        .is_some_and(|p| Sha256::digest(p.as_bytes()).ct_eq(&Sha256::digest(token.expose().as_bytes())).into());
    if !authorized {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid admin bearer token is required")
            .into_response();
    }
    let Ok(Query(params)) = params else {
        return malformed("unknown, repeated or malformed search parameter").into_response();
    };
    let query = match search_query(params) {
        Ok(query) => query,
        Err(error) => return error.into_response(),
    };
    let audit = gk.audit.clone();
    match tokio::task::spawn_blocking(move || audit.search(&query)).await {
        Ok(Ok(entries)) => {
            let entries: Vec<serde_json::Value> = entries.iter().map(crate::audit::entry_json).collect();
            Json(json!({ "entries": entries })).into_response()
        }
        // Checked above; kept so a bound added to the search alone is still answered as the caller's mistake.
        Ok(Err(AuditError::BadQuery(name))) => {
            let name = if name == "text" { "q" } else { name };
            malformed(format!("{name} is not a valid search value")).into_response()
        }
        _ => {
            tracing::error!("audit search failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable", "audit log unavailable").into_response()
        }
    }
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", message)
}

/// The search the parameters ask for, or the answer naming the first bad one.
fn search_query(p: AuditParams) -> Result<SearchQuery, ApiError> {
    let bounded = |name: &str, value: Option<String>| match value {
        Some(v) if v.len() > MAX_FILTER_LEN => Err(malformed(format!("{name} is longer than {MAX_FILTER_LEN} bytes"))),
        v => Ok(v),
    };
    let decision = match p.decision.as_deref() {
        None => None,
        Some(text) => Some(Decision::from_text(text).ok_or_else(|| malformed("decision is granted or denied"))?),
    };
    let operation = match p.operation {
        Some(op) if !op.is_empty() && OperationKind::from_name(&op).is_none() => {
            return Err(malformed("operation is get, put, list_prefix, or empty"));
        }
        op => op,
    };
    let ip = match p.ip {
        None => None,
        Some(text) => {
            let ip: IpAddr = text.parse().map_err(|_| malformed("ip is an IPv4 or IPv6 address"))?;
            // As the audit log stores it: IPv4-mapped IPv6 as IPv4, in canonical text.
            Some(normalize_ip(ip).to_string())
        }
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=MAX_SEARCH_LIMIT).contains(&limit) {
        return Err(malformed(format!("limit is 1..={MAX_SEARCH_LIMIT}")));
    }
    Ok(SearchQuery {
        from_ms: p.from_ms,
        to_ms: p.to_ms,
        ip,
        key_prefix: bounded("key_prefix", p.key_prefix)?,
        decision,
        operation,
        text: bounded("q", p.q)?,
        after_seq: p.after_seq,
        limit,
    })
}
