//! The options object every method takes last: `signal` (an `AbortSignal`), `onProgress` (called
//! with `{ loaded, total }` in plaintext bytes), and per method `contentType`, `length` or
//! `mimeType`. Unknown names and wrong types are refused (`invalid_argument`), so a misspelt
//! option is an error rather than silently ignored.
//!
//! [`Progress`] reports to the callback; an exception thrown by the page's callback is swallowed
//! so it can never break a transfer half way. This module must never call the callback with
//! anything but plaintext byte counts.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::error::ClientError;

/// The options a method accepts.
#[derive(Clone, Copy)]
pub(crate) enum Accepts {
    /// `signal`, `onProgress`.
    Read,
    /// Read's, and `mimeType`.
    ObjectUrl,
    /// Read's, `contentType` and `length`.
    Put,
    /// `signal` only.
    Signal,
}

impl Accepts {
    fn names(self) -> &'static [&'static str] {
        match self {
            Accepts::Read => &["signal", "onProgress"],
            Accepts::ObjectUrl => &["signal", "onProgress", "mimeType"],
            Accepts::Put => &["signal", "onProgress", "contentType", "length"],
            Accepts::Signal => &["signal"],
        }
    }
}

/// A method's options, checked.
#[derive(Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) on_progress: Option<Function>,
    pub(crate) content_type: Option<String>,
    pub(crate) length: Option<u64>,
    pub(crate) mime_type: Option<String>,
}

impl CallOptions {
    /// Reads `value` (`undefined`, `null` or a plain object) for a method accepting `accepts`.
    pub(crate) fn read(value: &JsValue, accepts: Accepts) -> Result<Self, ClientError> {
        let mut options = Self::default();
        if value.is_undefined() || value.is_null() {
            return Ok(options);
        }
        let names = accepts.names();
        let bad = |why: String| ClientError::InvalidArgument(why);
        let object = value
            .dyn_ref::<Object>()
            .filter(|_| !value.is_function())
            .ok_or_else(|| bad(format!("options must be an object with {}", names.join(", "))))?;
        for name in Object::keys(object).iter().filter_map(|k| k.as_string()) {
            let field = Reflect::get(value, &JsValue::from_str(&name)).unwrap_or(JsValue::UNDEFINED);
            if !names.contains(&name.as_str()) {
                return Err(bad(format!("unknown option `{name}`, expected one of {}", names.join(", "))));
            }
            if field.is_undefined() {
                continue;
            }
            let wrong = |what: &str| bad(format!("option `{name}` must be {what}"));
            match name.as_str() {
                "signal" => options.signal = Some(field.dyn_into().map_err(|_| wrong("an AbortSignal"))?),
                "onProgress" => options.on_progress = Some(field.dyn_into().map_err(|_| wrong("a function"))?),
                "contentType" => options.content_type = Some(field.as_string().ok_or_else(|| wrong("a string"))?),
                "mimeType" => options.mime_type = Some(field.as_string().ok_or_else(|| wrong("a string"))?),
                "length" => {
                    let n = field.as_f64().filter(|n| n.fract() == 0.0 && (0.0..=9.0e15).contains(n));
                    // A whole number below 2^53, where f64 is exact.
                    options.length = Some(n.ok_or_else(|| wrong("a whole number of bytes"))? as u64);
                }
                _ => return Err(ClientError::Internal("an accepted option without a reader")),
            }
        }
        Ok(options)
    }

    /// `aborted` once the signal has fired.
    pub(crate) fn check(&self) -> Result<(), ClientError> {
        match &self.signal {
            Some(signal) if signal.aborted() => Err(ClientError::Aborted),
            _ => Ok(()),
        }
    }

    /// A progress reporter for this call.
    pub(crate) fn progress(&self, total: Option<u64>) -> Progress {
        Progress { callback: self.on_progress.clone(), loaded: 0, total }
    }
}

/// Reports plaintext bytes done to the page's `onProgress`.
pub(crate) struct Progress {
    callback: Option<Function>,
    loaded: u64,
    total: Option<u64>,
}

impl Progress {
    /// Learns the total (a download learns it from the response).
    pub(crate) fn set_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// `n` more bytes are done; reports.
    pub(crate) fn advance(&mut self, n: u64) {
        self.loaded = self.loaded.saturating_add(n);
        self.report();
    }

    /// Sets the bytes done; reports if they changed.
    pub(crate) fn set_loaded(&mut self, loaded: u64) {
        if loaded != self.loaded {
            self.loaded = loaded;
            self.report();
        }
    }

    /// Calls the callback with `{ loaded, total }` (`total` undefined while unknown).
    pub(crate) fn report(&self) {
        let Some(callback) = &self.callback else { return };
        let event = Object::new();
        // Sizes are far below 2^53, where f64 is exact; setting fields of a fresh object cannot fail.
        let _ = Reflect::set(&event, &JsValue::from_str("loaded"), &JsValue::from_f64(self.loaded as f64));
        let total = self.total.map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
        let _ = Reflect::set(&event, &JsValue::from_str("total"), &total);
        let _ = callback.call1(&JsValue::UNDEFINED, &event);
    }
}
