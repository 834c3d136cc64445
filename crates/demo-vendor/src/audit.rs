//! `GET /api/audit?prefix=…`: the gatekeeper's audit trail for a prefix the logged-in user may
//! read. **A demo stand-in that exists only in the dev stack.**
//!
//! In production the audit log belongs to the customer: it lives next to their bucket, and only
//! the customer's administrator holds the admin token of `GET /v1/audit`. A vendor has neither,
//! and cannot read the log. Here the vendor process holds the token the dev stack generated, so
//! the demo page can show the trail of the tickets its user may see. This module must never
//! send the admin token anywhere but the stack's own gatekeeper, nor answer for a prefix the
//! user may not read.

use std::sync::Arc;

use crate::error::VendorError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use s3gk_protocol::policy::object_key::{check_syntax, KeyKind};
use s3gk_protocol::Denial;
use serde::Deserialize;

use crate::cosign::vendor_denied;
use crate::session::not_logged_in;
use crate::VendorState;

/// Query of `GET /api/audit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// A prefix the user may read, e.g. `tickets/1001/`.
    prefix: String,
    /// At most this many entries (1–1000, default 100).
    limit: Option<u16>,
}

/// `GET /api/audit?prefix=…[&limit=…]`: the gatekeeper's audit entries under a prefix the user
/// may read, fetched with the admin token (demo stand-in; see the module documentation).
pub(crate) async fn audit(
    State(state): State<Arc<VendorState>>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    let Some(user) = state.sessions.user(&headers) else { return not_logged_in().into_response() };
    let Ok(Query(query)) = query else {
        let msg = "expected ?prefix=tickets/NNNN/ and optionally &limit=1..1000";
        return VendorError::new(StatusCode::BAD_REQUEST, "malformed_query", msg).into_response();
    };
    let prefix = match check_syntax(&query.prefix, KeyKind::Prefix) {
        Ok(prefix) => prefix,
        Err(p) => {
            return VendorError::new(StatusCode::BAD_REQUEST, p.code(), Denial::Key(p).to_string()).into_response()
        }
    };
    if !user.may(&prefix) {
        return vendor_denied().into_response();
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000).to_string();
    let sent = state
        .http
        .get(format!("{}/v1/audit", state.gatekeeper_url))
        .bearer_auth(state.admin_token.as_str())
        .query(&[("key_prefix", query.prefix.as_str()), ("limit", limit.as_str())])
        .send()
        .await;
    let unavailable = || {
        VendorError::new(StatusCode::BAD_GATEWAY, "gatekeeper_unavailable", "the gatekeeper's audit search failed")
            .into_response()
    };
    let Ok(answer) = sent else { return unavailable() };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match answer.json::<serde_json::Value>().await {
        Ok(body) => (status, Json(body)).into_response(),
        Err(_) => unavailable(),
    }
}
