//! The HTTP API: `app(state) -> Router` and `serve(listener, …, shutdown)`.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/info` | gatekeeper id, public keys, server time, protocol versions, limits |
//! | `POST /v1/authorize` | the authorize pipeline ([`crate::authorize`]) |
//! | `GET /v1/audit` | audit search for the customer's admin (bearer token) |
//! | `GET /healthz` | liveness |
//! | `GET /metrics` | Prometheus text |
//!
//! Every error answer is `{"error": {"code", "message"}}` with a stable code and a short message;
//! internals go to the log, never to the client. Bodies, headers and time per request are bounded.
//! CORS allows exactly the configured origins (scheme, host and port compared whole).

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::audit::{Decision, SearchQuery};
use crate::authorize::{self, AuthorizeRequest, Caller, Gatekeeper, Refusal};

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
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": { "code": self.code, "message": self.message } }));
        (self.status, body).into_response()
    }
}

impl From<&Refusal> for ApiError {
    fn from(r: &Refusal) -> Self {
        use s3gk_protocol::Denial;
        let status = match r {
            Refusal::Denied(Denial::Malformed(_)) | Refusal::ForwardedFor => StatusCode::BAD_REQUEST,
            Refusal::Denied(Denial::AuditUnavailable) | Refusal::ReplayUnavailable | Refusal::EntropyUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Refusal::Denied(_) => StatusCode::FORBIDDEN,
            Refusal::S3(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, r.code(), r.message())
    }
}

/// The router, with limits and CORS applied.
pub fn app(gk: Arc<Gatekeeper>) -> Router {
    let origins: Vec<HeaderValue> =
        gk.settings.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/authorize", post(authorize_handler))
        .route("/v1/audit", get(audit_search))
        .route("/healthz", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(middleware::from_fn_with_state(gk.clone(), guard))
        .layer(cors)
        .with_state(gk)
}

/// Who is calling, as the audit log records it.
fn caller(peer: IpAddr, headers: &HeaderMap) -> Caller {
    let text = |name: header::HeaderName| {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(", ")
    };
    Caller {
        peer,
        forwarded_for: headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.to_str().map(str::to_owned).unwrap_or_else(|_| "\u{fffd}".to_owned()))
            .collect(),
        user_agent: text(header::USER_AGENT),
        origin: text(header::ORIGIN),
    }
}

/// Bounds header size and time for every request. An authorize request refused here is audited.
async fn guard(State(gk): State<Arc<Gatekeeper>>, req: Request, next: Next) -> Response {
    let limits = &gk.settings.limits;
    let header_bytes: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>()
        + req.uri().path().len()
        + req.uri().query().map_or(0, str::len);
    if header_bytes > limits.max_header_bytes {
        if req.uri().path() == "/v1/authorize" {
            if let Some(PeerAddr(peer)) = req.extensions().get::<PeerAddr>().copied() {
                let caller = caller(peer, req.headers());
                authorize::refuse_unparsed(&gk, &caller, "headers_too_large", SystemTime::now()).await;
            }
        }
        let msg = format!("request headers exceed {} bytes", limits.max_header_bytes);
        return ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", msg).into_response();
    }
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "request took too long").into_response(),
    }
}

async fn info(State(gk): State<Arc<Gatekeeper>>) -> Json<serde_json::Value> {
    let s = &gk.settings;
    Json(json!({
        "gatekeeper_id": s.gatekeeper_id,
        "protocol_versions": [s3gk_protocol::PROTOCOL_VERSION],
        "server_time": authorize::unix_secs(SystemTime::now()),
        "signing_keys": [{
            "key_id": s.signing_key_id.as_str(),
            "public_key": B64.encode(s.signing_key.verifying_key().as_bytes()),
        }],
        // New uploads are encrypted under this master key id; a client needs it to compute the
        // ciphertext length it binds into a put request (the id is not secret).
        "upload_master_key_id": s.master_keys.first().map(|k| k.id().to_string()),
        "limits": {
            "max_lifetime_secs": s.verify.time.max_lifetime(),
            "max_skew_secs": s.verify.time.max_skew(),
            "max_body_bytes": s.limits.max_body_bytes,
            "presign_expiry_secs": s.s3.presign_expiry_secs,
            "max_list_objects": s.limits.max_list_objects,
        },
    }))
}

async fn authorize_handler(
    State(gk): State<Arc<Gatekeeper>>,
    peer: Option<Extension<PeerAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let result = authorize_inner(&gk, peer, &headers, body).await;
    gk.metrics.observe(started.elapsed());
    match result {
        Ok(response) => {
            gk.metrics.decision("granted", "granted");
            Json(response).into_response()
        }
        Err(Outcome::Refused(refusal)) => {
            gk.metrics.decision("denied", refusal.code());
            ApiError::from(&refusal).into_response()
        }
        Err(Outcome::BadInput(error)) => {
            gk.metrics.decision("denied", error.code);
            error.into_response()
        }
    }
}

enum Outcome {
    /// The pipeline refused (and audited) the request.
    Refused(Refusal),
    /// The body never reached the pipeline: too large, not JSON, no peer address.
    BadInput(ApiError),
}

async fn authorize_inner(
    gk: &Gatekeeper,
    peer: Option<Extension<PeerAddr>>,
    headers: &HeaderMap,
    body: Body,
) -> Result<authorize::AuthorizeResponse, Outcome> {
    let Some(Extension(PeerAddr(peer))) = peer else {
        tracing::error!("request without a peer address; the server must insert PeerAddr");
        return Err(Outcome::BadInput(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")));
    };
    let caller = caller(peer, headers);
    let limit = gk.settings.limits.max_body_bytes;
    let caller = &caller;
    let refused = |status, code, msg: String| async move {
        authorize::refuse_unparsed(gk, caller, code, SystemTime::now()).await;
        Outcome::BadInput(ApiError::new(status, code, msg))
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let msg = format!("request body exceeds {limit} bytes");
            return Err(refused(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", msg).await);
        }
    };
    let request: AuthorizeRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(_) => {
            let msg = "body must be JSON with request, vendor_key_id, vendor_signature and client_signature".to_owned();
            return Err(refused(StatusCode::BAD_REQUEST, "malformed_json", msg).await);
        }
    };
    authorize::authorize(gk, caller, &request, SystemTime::now()).await.map_err(Outcome::Refused)
}

/// Query parameters of `GET /v1/audit`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
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

async fn audit_search(
    State(gk): State<Arc<Gatekeeper>>,
    headers: HeaderMap,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
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
    let Ok(Query(p)) = params else {
        return ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", "unknown or malformed search parameter")
            .into_response();
    };
    let decision = match p.decision.as_deref() {
        None => None,
        Some("granted") => Some(Decision::Granted),
        Some("denied") => Some(Decision::Denied),
        Some(_) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", "decision is granted or denied")
                .into_response()
        }
    };
    let query = SearchQuery {
        from_ms: p.from_ms,
        to_ms: p.to_ms,
        ip: p.ip,
        key_prefix: p.key_prefix,
        decision,
        operation: p.operation,
        text: p.q,
        after_seq: p.after_seq,
        limit: p.limit.unwrap_or(100),
    };
    let audit = gk.audit.clone();
    match tokio::task::spawn_blocking(move || audit.search(&query)).await {
        Ok(Ok(entries)) => {
            let entries: Vec<serde_json::Value> = entries.iter().map(crate::audit::entry_json).collect();
            Json(json!({ "entries": entries })).into_response()
        }
        _ => {
            tracing::error!("audit search failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable", "audit log unavailable").into_response()
        }
    }
}

async fn metrics(State(gk): State<Arc<Gatekeeper>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], gk.metrics.render()).into_response()
}

/// Serves `app` on `listener` until `shutdown` completes, then drains open connections (at most
/// ten seconds). Each request gets the connection's [`PeerAddr`]. Hyper's own read buffer caps the
/// header block at `max_header_bytes` (at least 8 KiB); [`app`] answers smaller excesses with a code.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    max_header_bytes: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(PeerAddr(peer.ip()));
                    app.clone().oneshot(req.map(Body::new))
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .max_buf_size(max_header_bytes.max(8192))
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
