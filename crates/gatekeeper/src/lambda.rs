//! Runs the same router under AWS Lambda (API Gateway REST API and HTTP API events).
//!
//! The client address is the API Gateway request context's `sourceIp`, the only address on
//! Lambda that a client cannot choose. `X-Forwarded-For` is then resolved exactly as on a server:
//! it counts only if that source is a configured trusted proxy. A request without a source IP is
//! refused, never guessed.

use std::net::IpAddr;
use std::sync::Arc;

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceExt as _;

use crate::authorize::Gatekeeper;
use crate::http::{app, PeerAddr};

/// The source IP from an API Gateway request context.
fn source_ip(req: &Request) -> Option<IpAddr> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref(),
        _ => None,
    };
    ip?.parse().ok()
}

/// Serves Lambda invocations until the runtime stops.
pub async fn run(gk: Arc<Gatekeeper>) -> Result<(), lambda_http::Error> {
    let router = app(gk);
    lambda_http::run(tower::service_fn(move |req: Request| {
        let router = router.clone();
        async move {
            let peer = source_ip(&req);
            let (parts, body) = req.into_parts();
            let mut req = axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
            if let Some(ip) = peer {
                req.extensions_mut().insert(PeerAddr(ip));
            }
            router.oneshot(req).await
        }
    }))
    .await
}
