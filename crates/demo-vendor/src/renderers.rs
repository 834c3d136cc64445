//! `GET /renderers/{name}.js`: the vendor's own report layouts for the customer's isolated viewer.
//!
//! A renderer runs inside the customer's viewer only while its bytes have the digest the customer
//! pinned. The file is read on every request, as a vendor's web server would serve its current
//! version: change it, and the viewer refuses it (`renderer_refused`) until the customer pins the
//! new digest. The browser fetches it from the viewer's origin as a module, so the answer allows
//! exactly that origin by CORS, without credentials. This module must never serve a file that is
//! not listed, and never allow another origin.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE, VARY};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::VendorError;

/// The renderers served, and the one origin (the customer's viewer) allowed to load them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Renderers {
    /// `(name, file)`: served at `/renderers/{name}.js`.
    pub(crate) files: Vec<(String, PathBuf)>,
    /// The viewer's origin.
    pub(crate) viewer_origin: Option<HeaderValue>,
}

/// `Cross-Origin-Resource-Policy` (not among `http`'s named headers).
const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// Serves one listed renderer.
pub(crate) async fn renderer(State(renderers): State<Arc<Renderers>>, Path(file): Path<String>) -> Response {
    let not_found = || VendorError::new(StatusCode::NOT_FOUND, "not_found", "no such renderer").into_response();
    let Some(name) = file.strip_suffix(".js") else { return not_found() };
    let Some((_, path)) = renderers.files.iter().find(|(n, _)| n == name) else { return not_found() };
    let Ok(bytes) = tokio::fs::read(path).await else { return not_found() };
    let mut response =
        ([(CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"))], bytes).into_response();
    let headers = response.headers_mut();
    if let Some(origin) = &renderers.viewer_origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(VARY, HeaderValue::from_static("origin"));
    }
    headers.insert(CROSS_ORIGIN_RESOURCE_POLICY, HeaderValue::from_static("cross-origin"));
    response
}
