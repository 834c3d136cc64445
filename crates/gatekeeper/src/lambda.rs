//! Runs the same router under AWS Lambda (API Gateway REST API and HTTP API events).
//!
//! The client address is the API Gateway request context's `sourceIp`, the only address on
//! Lambda that a client cannot choose. `X-Forwarded-For` is then resolved exactly as on a server:
//! it counts only if that source is a configured trusted proxy. A request without a source IP is
//! refused with `no_source_ip`, never guessed. Every answer, that refusal included, carries the
//! same security headers as on a server.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceExt as _;

use crate::authorize::Gatekeeper;
use crate::http::{add_security_headers, app, ApiError, PeerAddr};

/// The source IP from an API Gateway request context.
fn source_ip(req: &Request) -> Option<IpAddr> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref(),
        _ => None,
    };
    ip?.parse().ok()
}

/// Answers one Lambda invocation with `router`.
pub async fn handle(router: Router, req: Request) -> Response {
    let Some(peer) = source_ip(&req) else {
        let msg = "the request context has no source IP; only API Gateway REST and HTTP API events are served";
        let mut response = ApiError::new(StatusCode::BAD_REQUEST, "no_source_ip", msg).into_response();
        add_security_headers(response.headers_mut());
        return response;
    };
    // API Gateway REST events carry the stage in the URI lambda_http builds; route on the path the
    // client sent (`raw_http_path`), keeping the query string.
    let raw_path = req.raw_http_path().to_owned();
    let (mut parts, body) = req.into_parts();
    if !raw_path.is_empty() {
        let path_and_query = match parts.uri.query() {
            Some(q) => format!("{raw_path}?{q}"),
            None => raw_path,
        };
        if let Ok(uri) = axum::http::Uri::builder().path_and_query(path_and_query).build() {
            parts.uri = uri;
        }
    }
    let mut req = axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
    req.extensions_mut().insert(PeerAddr(peer));
    match router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Serves Lambda invocations until the runtime stops.
pub async fn run(gk: Arc<Gatekeeper>) -> Result<(), lambda_http::Error> {
    let router = app(gk);
    lambda_http::run(tower::service_fn(move |req: Request| {
        let router = router.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(router, req).await) }
    }))
    .await
}
