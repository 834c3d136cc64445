//! Serving a router over HTTP/1.1 on a listener the caller bound, until a shutdown signal.
//!
//! Each request gets its connection's [`PeerAddr`]. For the gatekeeper ([`serve_gatekeeper`]),
//! hyper's own limits are set well above `[limits]` ([`ConnectionLimits::above`]), so the router's
//! checks decide, answer with a code and audit. What still trips hyper (a request head four times
//! over the limits, or one that is not HTTP) is answered by hyper itself with a bare 431 or 400,
//! and then audited here with the peer address: `headers_too_large` or `malformed_http`. A request
//! head that does not arrive in time closes the connection without an answer and is not audited:
//! hyper reports an idle keep-alive connection the same way.
//!
//! This module must never listen anywhere but on the listener it is given, and never drop a
//! connection-level refusal of the gatekeeper without auditing it.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;

use super::guard::audit_refusal;
use super::PeerAddr;
use crate::authorize::{Caller, Gatekeeper};
use crate::config::Limits;

/// hyper's smallest read buffer.
const MIN_BUF_SIZE: usize = 8192;

/// The limits hyper enforces on a connection before the router sees a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// hyper's read buffer, which must hold the request line and every header (at least 8 KiB).
    pub max_buf_size: usize,
    /// The most header lines hyper parses.
    pub max_headers: usize,
    /// How long a request head may take to arrive; also how long a keep-alive connection may idle.
    pub header_read_timeout: Duration,
}

impl ConnectionLimits {
    /// Limits well above the gatekeeper's own, so its checks decide: four times the header bytes
    /// (at least 64 KiB), four times the header lines, twice the request timeout (at least 10 s).
    pub fn above(limits: &Limits) -> Self {
        Self {
            max_buf_size: limits.max_header_bytes.saturating_mul(4).max(64 * 1024),
            max_headers: limits.max_headers.saturating_mul(4),
            header_read_timeout: limits.request_timeout.saturating_mul(2).max(Duration::from_secs(10)),
        }
    }

    /// hyper's buffer holds `max_header_bytes` (at least 8 KiB), with its default of 100 header
    /// lines and a 10 s header timeout: for routers that are not a gatekeeper's.
    fn plain(max_header_bytes: usize) -> Self {
        Self { max_buf_size: max_header_bytes, max_headers: 100, header_read_timeout: Duration::from_secs(10) }
    }
}

/// Serves `app`, a router that is not a gatekeeper's (the dev stack's vendor, say), on `listener`
/// until `shutdown` completes, then drains open connections (at most ten seconds). hyper's read
/// buffer caps the header block at `max_header_bytes` (at least 8 KiB). Nothing is audited: use
/// [`serve_gatekeeper`] for a gatekeeper.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    max_header_bytes: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, app, ConnectionLimits::plain(max_header_bytes), None, shutdown).await
}

/// Serves the gatekeeper's [`app`](super::app) on `listener` until `shutdown` completes, then
/// drains open connections (at most ten seconds), with hyper's limits [`ConnectionLimits::above`]
/// the configured ones; a request hyper still refuses is audited with the peer address.
pub async fn serve_gatekeeper(
    listener: tokio::net::TcpListener,
    gk: Arc<Gatekeeper>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let limits = ConnectionLimits::above(&gk.settings.limits);
    serve_with(listener, super::app(gk.clone()), limits, Some(gk), shutdown).await
}

async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    gk: Option<Arc<Gatekeeper>>,
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
                    .header_read_timeout(limits.header_read_timeout)
                    .max_buf_size(limits.max_buf_size.max(MIN_BUF_SIZE))
                    .max_headers(limits.max_headers)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                let gk = gk.clone();
                tokio::spawn(async move {
                    if let (Err(e), Some(gk)) = (watched.await, gk) {
                        audit_connection_error(&gk, peer.ip(), &e).await;
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// Audits a request hyper refused before the router saw it. Only the peer is known: the head did
/// not parse, so there is no path, user agent or forwarded address.
async fn audit_connection_error(gk: &Arc<Gatekeeper>, peer: IpAddr, error: &hyper::Error) {
    let code = if error.is_parse_too_large() {
        "headers_too_large"
    } else if error.is_parse() {
        "malformed_http"
    } else {
        // Timeouts (also idle keep-alive), resets, clients leaving mid-request: no request was refused.
        tracing::debug!(%peer, error = %error, "connection ended with an error");
        return;
    };
    tracing::info!(%peer, code, "request refused by the HTTP parser");
    let caller = Caller { peer, forwarded_for: Vec::new(), user_agent: String::new(), origin: String::new() };
    audit_refusal(gk, caller, code).await;
}
