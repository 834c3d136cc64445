//! The security headers every answer of the gatekeeper carries, errors and CORS preflights included,
//! on a server and on Lambda:
//!
//! - `X-Content-Type-Options: nosniff`: a browser never reads an answer as anything but its
//!   declared type (JSON, the metrics text, or the viewer's page and files);
//! - `Cache-Control: no-store`: answers hold key material, presigned URLs, receipts and audit
//!   entries, so no answer is kept by a browser or a shared cache. Every route gets it, `/healthz`
//!   and `/v1/info` too: one rule with no exception is easier to check than a list;
//! - `Referrer-Policy: no-referrer`.
//!
//! This module must never leave an answer without these headers, and never weaken one a handler set.

use axum::http::header::{CACHE_CONTROL, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

/// Sets the security headers on an answer's headers, replacing any value already there.
pub fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// `response` with the security headers.
pub(super) fn secure(mut response: Response) -> Response {
    add_security_headers(response.headers_mut());
    response
}
