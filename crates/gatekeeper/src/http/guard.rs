//! The checks every request passes before a handler runs: the number and total size of its header
//! lines, and the time the whole request may take; and, for `POST /v1/authorize`, who is calling
//! and whether the request's decision is already being recorded.
//!
//! An authorize request refused anywhere before the pipeline (here, in its handler, or by the
//! per-request timeout) is audited exactly once, with the caller's address: [`AuthorizeCall`]
//! carries a flag that the first to record the decision claims. Once the request is handed to the
//! pipeline, the pipeline records it (it runs in its own task and is never abandoned halfway).
//!
//! This module must never let an authorize refusal go unaudited, never audit one request twice,
//! and never read a request body.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, PeerAddr, AUTHORIZE_PATH};
use crate::authorize::{self, Caller, Gatekeeper};

/// What the handlers of `/v1/authorize` know about a request before reading its body, inserted by
/// [`guard`].
#[derive(Clone, Debug)]
pub(super) struct AuthorizeCall {
    /// Who is calling, as the audit log records it.
    pub(super) caller: Caller,
    /// Set once the decision of this request is recorded, or handed to the pipeline to record.
    recorded: Arc<AtomicBool>,
}

impl AuthorizeCall {
    fn new(caller: Caller) -> Self {
        Self { caller, recorded: Arc::new(AtomicBool::new(false)) }
    }

    /// True for the first caller only: that one records the decision.
    fn claim(&self) -> bool {
        !self.recorded.swap(true, Ordering::AcqRel)
    }

    /// Audits `error` as this request's decision (unless it is already recorded) and answers it.
    pub(super) async fn refuse(&self, gk: &Arc<Gatekeeper>, error: ApiError) -> Response {
        if self.claim() {
            audit_refusal(gk, self.caller.clone(), error.code()).await;
        }
        error.into_response()
    }

    /// The pipeline records the decision from now on: a timeout must not record another.
    pub(super) fn hand_to_pipeline(&self) {
        let _first = self.claim();
    }
}

/// Who is calling, as the audit log records it.
pub(super) fn caller(peer: IpAddr, headers: &HeaderMap) -> Caller {
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

/// Records a refusal of an authorize request that never reached the pipeline, and counts it. The
/// append runs as its own task, so the entry is written even if the request is abandoned meanwhile
/// (the connection closed).
pub(super) async fn audit_refusal(gk: &Arc<Gatekeeper>, caller: Caller, code: &'static str) {
    gk.metrics.decision("denied", code);
    let task_gk = gk.clone();
    let task =
        tokio::spawn(async move { authorize::refuse_unparsed(&task_gk, &caller, code, task_gk.clock.now()).await });
    if task.await.is_err() {
        tracing::error!(code, "the task auditing a refusal ended abnormally");
    }
}

/// Bounds the header lines and the time of every request. An authorize request refused here is
/// audited; one that passes gets its [`AuthorizeCall`].
pub(super) async fn guard(State(gk): State<Arc<Gatekeeper>>, mut req: Request, next: Next) -> Response {
    let limits = gk.settings.limits;
    let call = if req.uri().path() == AUTHORIZE_PATH {
        let Some(PeerAddr(peer)) = req.extensions().get::<PeerAddr>().copied() else {
            tracing::error!("request without a peer address; the server must insert PeerAddr");
            return ApiError::internal().into_response();
        };
        let call = AuthorizeCall::new(caller(peer, req.headers()));
        req.extensions_mut().insert(call.clone());
        Some(call)
    } else {
        None
    };
    let header_bytes: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum::<usize>()
        + req.uri().path().len()
        + req.uri().query().map_or(0, str::len);
    let refused = if req.headers().len() > limits.max_headers {
        let msg = format!("more than {} request header lines", limits.max_headers);
        Some(ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too_many_headers", msg))
    } else if header_bytes > limits.max_header_bytes {
        let msg = format!("request headers exceed {} bytes", limits.max_header_bytes);
        Some(ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", msg))
    } else {
        None
    };
    if let Some(error) = refused {
        return match &call {
            Some(call) => call.refuse(&gk, error).await,
            None => error.into_response(),
        };
    }
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "request took too long");
            match &call {
                Some(call) => call.refuse(&gk, error).await,
                None => error.into_response(),
            }
        }
    }
}
