//! The HTTP API: `app(state) -> Router` and `serve_gatekeeper(listener, state, shutdown)`.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/info` | gatekeeper id, public keys, server time, protocol versions, limits |
//! | `POST /v1/authorize` | the authorize pipeline ([`crate::authorize`]) |
//! | `GET /v1/audit` | audit search for the customer's admin (bearer token) |
//! | `GET /healthz` | liveness |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/viewer/…` | the isolated viewer, when `[viewer]` enables it ([`crate::viewer`]) |
//!
//! Every error answer, on every route (unknown paths and wrong methods included), is
//! `{"error": {"code", "message"}}` with a stable code and a short message; internals go to the
//! log, never to the client. Every answer carries the security headers of [`add_security_headers`]. Bodies,
//! header counts and sizes, and time per request are bounded by `[limits]`; every refusal of an
//! authorize request, wherever it happens, is audited once with the caller's address. CORS allows
//! exactly the configured origins (scheme, host and port compared whole).
//!
//! This module must never answer an authorize request without an audit entry for it, never put a
//! key, a presigned URL or a token into a log line, and never answer an error in another shape.

mod audit_api;
mod authorize_api;
mod guard;
mod headers;
mod serve;
mod viewer_api;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use s3gk_wire::{Base64, ErrorAnswer, Info, Limits, SigningKeyInfo};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::authorize::{Gatekeeper, Refusal};
use crate::clock::unix_secs;

pub use headers::add_security_headers;
pub use serve::{serve, serve_gatekeeper, ConnectionLimits};

/// The path of the authorize endpoint, whose every answer is audited.
pub(crate) const AUTHORIZE_PATH: &str = "/v1/authorize";

/// The socket peer of a request, inserted by [`serve`] (or the Lambda adapter, or a test).
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub IpAddr);

/// An error answer: status, stable code, short message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The answer to a request that could not be served because of a bug; the cause is logged.
    pub(crate) fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorAnswer::new(self.code, self.message))).into_response()
    }
}

impl From<&Refusal> for ApiError {
    fn from(r: &Refusal) -> Self {
        use s3gk_protocol::Denial;
        let status = match r {
            Refusal::Denied(Denial::Malformed(_)) | Refusal::ForwardedFor => StatusCode::BAD_REQUEST,
            Refusal::AuditUnavailable | Refusal::ReplayUnavailable | Refusal::EntropyUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Refusal::Denied(_) => StatusCode::FORBIDDEN,
            Refusal::S3(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, r.code(), r.message())
    }
}

/// The router, with limits, CORS and security headers applied. Every request must carry a
/// [`PeerAddr`] extension (as [`serve`], the Lambda adapter and the tests insert it).
pub fn app(gk: Arc<Gatekeeper>) -> Router {
    let origins: Vec<HeaderValue> =
        gk.settings.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    let mut router = Router::new()
        .route("/v1/info", get(info))
        .route(AUTHORIZE_PATH, post(authorize_api::authorize).fallback(authorize_api::wrong_method))
        .route("/v1/audit", get(audit_api::search))
        .route("/healthz", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/metrics", get(metrics));
    if let Some(viewer) = gk.settings.viewer.clone() {
        router = router.merge(viewer_api::routes(viewer));
    }
    let mut router = router
        // Applies to the routes above that have no fallback of their own (all but authorize).
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(middleware::from_fn_with_state(gk.clone(), guard::guard))
        .layer(cors);
    if let Some(viewer) = gk.settings.viewer.clone() {
        router = router.layer(middleware::from_fn_with_state(viewer, viewer_api::secure));
    }
    router.layer(middleware::map_response(|response: Response| async { headers::secure(response) })).with_state(gk)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this endpoint")
}

async fn info(State(gk): State<Arc<Gatekeeper>>) -> Json<Info> {
    let s = &gk.settings;
    Json(Info {
        gatekeeper_id: s.gatekeeper_id.to_string(),
        protocol_versions: vec![s3gk_protocol::PROTOCOL_VERSION],
        server_time: unix_secs(gk.clock.now()),
        signing_keys: vec![SigningKeyInfo {
            key_id: s.signing_key_id.to_string(),
            public_key: Base64::encode(s.signing_key.verifying_key().as_bytes()),
        }],
        // New uploads are encrypted under this master key id; a client needs it to compute the
        // ciphertext length it binds into a put request (the id is not secret).
        upload_master_key_id: s.master_keys.first().map(|k| k.id().to_string()),
        limits: Limits {
            max_lifetime_secs: s.verify.time.max_lifetime(),
            max_skew_secs: s.verify.time.max_skew(),
            max_body_bytes: s.limits.max_body_bytes,
            presign_expiry_secs: s.s3.presign_expiry_secs,
            max_list_objects: s.limits.max_list_objects,
        },
    })
}

async fn metrics(State(gk): State<Arc<Gatekeeper>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], gk.metrics.render()).into_response()
}
