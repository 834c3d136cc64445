//! The one conversion from a Rust error to what JavaScript sees: an `Error` whose `name` is
//! `GatekeeperError`, whose `message` a person can act on and whose `code` is the stable code.
//!
//! Every exported method maps its failures through [`js_error`]; nothing else builds JS errors.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::error::ClientError;

/// `ClientError` → `Error { name: "GatekeeperError", message, code }`.
pub(crate) fn js_error(error: &ClientError) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("GatekeeperError");
    // A fresh Error is an ordinary extensible object: defining a property on it cannot fail.
    let _ = Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(error.code()));
    js.into()
}

/// Maps a `Result` at the JS boundary.
pub(crate) fn to_js<T>(result: Result<T, ClientError>) -> Result<T, JsValue> {
    result.map_err(|e| js_error(&e))
}
