//! `GET /v1/viewer/…`: the isolated viewer's page and files, from memory ([`crate::viewer`]).
//!
//! | path | what |
//! |---|---|
//! | `/v1/viewer/` | the page (HTML shell); `/v1/viewer` redirects to it |
//! | `/v1/viewer/frame.js`, `report.js`, `viewer.css` | this release's own files |
//! | `/v1/viewer/client/…` | the WebAssembly client's `.js` and `.wasm` files |
//!
//! Every answer under `/v1/viewer` (errors and wrong methods included) carries the viewer's
//! Content-Security-Policy and a `Cross-Origin-Resource-Policy`: `cross-origin` for the page,
//! which the configured vendor origins embed (the policy's `frame-ancestors` decides who may),
//! `same-origin` for everything else, which only the page itself loads. This module must never
//! serve anything but what [`Viewer`] holds, and never leave a viewer answer without the policy.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::ApiError;
use crate::viewer::Viewer;

/// The path prefix of every viewer answer.
const PREFIX: &str = "/v1/viewer";
/// The page's own path.
const PAGE: &str = "/v1/viewer/";
/// `Cross-Origin-Resource-Policy` (not among `http`'s named headers).
const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// The viewer's routes.
pub(super) fn routes<S: Clone + Send + Sync + 'static>(viewer: Arc<Viewer>) -> Router<S> {
    Router::new()
        .route(PREFIX, get(redirect))
        .route(PAGE, get(page))
        .route("/v1/viewer/{name}", get(own_file))
        .route("/v1/viewer/client/{*path}", get(client_file))
        .with_state(viewer)
}

async fn redirect() -> Response {
    // Relative, so a stage prefix in front of the gatekeeper (API Gateway) is kept.
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, HeaderValue::from_static("viewer/"))]).into_response()
}

async fn page(State(viewer): State<Arc<Viewer>>) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], viewer.page()).into_response()
}

fn file(viewer: &Viewer, path: &str) -> Response {
    match viewer.file(path) {
        Some(asset) => {
            ([(CONTENT_TYPE, HeaderValue::from_static(asset.content_type))], asset.bytes.clone()).into_response()
        }
        None => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such viewer file").into_response(),
    }
}

async fn own_file(State(viewer): State<Arc<Viewer>>, Path(name): Path<String>) -> Response {
    file(&viewer, &name)
}

async fn client_file(State(viewer): State<Arc<Viewer>>, Path(path): Path<String>) -> Response {
    file(&viewer, &format!("client/{path}"))
}

/// Sets the viewer's policy headers on every answer under `/v1/viewer`.
pub(super) async fn secure(State(viewer): State<Arc<Viewer>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let (viewer_path, page) = (path == PREFIX || path.starts_with(PAGE), path == PAGE);
    let mut response = next.run(request).await;
    if viewer_path {
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, viewer.policy().clone());
        let corp = if page { "cross-origin" } else { "same-origin" };
        headers.insert(CROSS_ORIGIN_RESOURCE_POLICY, HeaderValue::from_static(corp));
    }
    response
}
