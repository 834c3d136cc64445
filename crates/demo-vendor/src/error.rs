//! The demo vendor's error answers: `{"error": {"code", "message"}}` (the shape of
//! [`s3gk_wire::ErrorAnswer`], which the browser client reads), with a status and a stable code.
//!
//! Messages are short and never include a session id, a password or a key.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use s3gk_wire::ErrorAnswer;

/// An error answer.
#[derive(Debug)]
pub struct VendorError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl VendorError {
    /// An error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for VendorError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorAnswer::new(self.code, self.message))).into_response()
    }
}
