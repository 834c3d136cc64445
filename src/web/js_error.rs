//! The one conversion from a Rust error to what JavaScript sees: a `GatekeeperError` (the class in
//! `js/errors.js`, which the package exports, so `instanceof` works) whose `message` a person can
//! act on, whose `code` is the stable code, with the HTTP `status` and the `party` when known.
//!
//! Every exported method maps its failures through [`js_error`]; nothing else builds JS errors.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::error::ClientError;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// `js/errors.js`'s `GatekeeperError`.
    type GatekeeperError;

    #[wasm_bindgen(constructor)]
    fn new(message: &str, code: &str, status: Option<u16>, party: Option<&str>) -> GatekeeperError;
}

/// `ClientError` → `GatekeeperError { message, code, status, party }`.
pub(crate) fn js_error(error: &ClientError) -> JsValue {
    GatekeeperError::new(&error.to_string(), error.code(), error.status(), error.party()).into()
}

/// Maps a `Result` at the JS boundary.
pub(crate) fn to_js<T>(result: Result<T, ClientError>) -> Result<T, JsValue> {
    result.map_err(|e| js_error(&e))
}
