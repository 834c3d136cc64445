//! `POST /api/cosign`: the vendor's co-signature (`docs/protocol.md` section 4.1).
//!
//! Co-signing checks, in order: a live session (401 `not_logged_in`), then the protocol's
//! co-signer checks ([`CosignPolicy::check`]): the request decodes (400 `malformed_request` /
//! `unsupported_version`), it names this stack's gatekeeper (403 `wrong_audience`), the key is
//! well-formed (400 `key_*`), and its window is short and issued now by this server's clock (400
//! `invalid_time_window` / `lifetime_too_long` / `not_yet_valid` / `stale_request`); then the
//! user's own permission on the checked key, `CosignCandidate::key` (403 `vendor_denied`). Only
//! then is `PAE([label, vendor_key_id, request])` signed, over the exact bytes checked.
//!
//! Nothing here may sign for a user without a session, sign bytes other than those checked, or
//! sign a window that does not start now: a user removed tomorrow must hold nothing signed today
//! for next month.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::error::VendorError;
use s3gk_protocol::cosign::CosignPolicy;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::Denial;
use serde::Deserialize;
use serde_json::json;

use crate::session::not_logged_in;
use crate::VendorState;

/// The longest validity window the vendor co-signs, in seconds.
pub const MAX_LIFETIME_SECS: u64 = 300;
/// How far the client's clock (corrected from the gatekeeper's) may differ from this server's.
pub(crate) const MAX_SKEW_SECS: u64 = 60;

fn cosign_time_policy() -> TimePolicy {
    TimePolicy::new(MAX_LIFETIME_SECS, MAX_SKEW_SECS).expect("300 s and 60 s are within the protocol's bounds")
}

/// The body of `POST /api/cosign`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CosignBody {
    /// The encoded access request, base64.
    request: String,
}

pub(crate) fn vendor_denied() -> VendorError {
    VendorError::new(StatusCode::FORBIDDEN, "vendor_denied", "your account may not access this key")
}

/// `POST /api/cosign {request}` → `{vendor_key_id, vendor_signature}`.
pub(crate) async fn cosign(
    State(state): State<Arc<VendorState>>,
    headers: HeaderMap,
    body: Result<Json<CosignBody>, JsonRejection>,
) -> Response {
    match cosign_inner(&state, &headers, body) {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_response(),
    }
}

fn cosign_inner(
    state: &VendorState,
    headers: &HeaderMap,
    body: Result<Json<CosignBody>, JsonRejection>,
) -> Result<serde_json::Value, VendorError> {
    let user = state.sessions.user(headers).ok_or_else(not_logged_in)?;
    let Ok(Json(body)) = body else {
        return Err(VendorError::new(StatusCode::BAD_REQUEST, "malformed_json", "body must be JSON with request"));
    };
    let bytes = B64.decode(&body.request).map_err(|_| {
        VendorError::new(StatusCode::BAD_REQUEST, "malformed_request", "request is not base64 with padding")
    })?;
    let policy = CosignPolicy { gatekeeper_id: state.gatekeeper_id.clone(), time: cosign_time_policy() };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let candidate = policy.check(&bytes, now).map_err(|denial| {
        let status = if denial == Denial::WrongAudience { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
        VendorError::new(status, denial.code(), denial.to_string())
    })?;
    let request = candidate.request();
    if !user.may(candidate.key()) {
        tracing::info!(user = user.username, key = %request.key, "co-signature refused");
        return Err(vendor_denied());
    }
    let signature = candidate.sign(&state.signer, &state.signer_key_id);
    tracing::info!(user = user.username, operation = request.operation.kind().name(), key = %request.key, "co-signed");
    Ok(json!({
        "vendor_key_id": state.signer_key_id.as_str(),
        "vendor_signature": B64.encode(signature),
    }))
}
