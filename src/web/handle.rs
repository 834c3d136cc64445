//! `ObjectHandle`: one object of a `readPrefix` answer, with its own receipt. Its methods fetch
//! and decrypt the object with the key material already received: no further gatekeeper call,
//! and several may run in parallel. Once its presigned URL has expired, a read re-authorizes the
//! object through the client (one vendor and one gatekeeper round trip, audited like any read),
//! and `receipt` and `expiresAt` then describe the new grant. This module must never read an
//! object with a URL past its expiry.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::{Blob, ReadableStream};

use super::client::Inner;
use super::js_error::to_js;
use super::object::ReadableObject;
use super::options::{Accepts, CallOptions};
use super::wire_js;
use crate::clock::Clock;
use crate::error::ClientError;

/// One object under a prefix, granted by one `readPrefix` call.
#[wasm_bindgen]
pub struct ObjectHandle {
    client: Rc<Inner>,
    object: RefCell<ReadableObject>,
}

impl ObjectHandle {
    pub(crate) fn new(client: Rc<Inner>, object: ReadableObject) -> Self {
        Self { client, object: RefCell::new(object) }
    }

    /// The object, re-authorized first if its URL has expired.
    async fn fresh(&self, options: &CallOptions) -> Result<ReadableObject, ClientError> {
        let current = self.object.borrow().clone();
        if !current.expired() {
            return Ok(current);
        }
        let renewed = self.client.readable(&current.key, options).await?;
        *self.object.borrow_mut() = renewed.clone();
        Ok(renewed)
    }
}

#[wasm_bindgen]
impl ObjectHandle {
    /// The object key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        self.object.borrow().key.clone()
    }

    /// The stored size in bytes: the encrypted object, a little larger than its plaintext.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Option<f64> {
        // Sizes are far below 2^53, where f64 is exact.
        self.object.borrow().size.map(|s| s as f64)
    }

    /// The verified receipt of this object's grant.
    #[wasm_bindgen(getter)]
    pub fn receipt(&self) -> JsValue {
        wire_js::receipt(&self.object.borrow().receipt)
    }

    /// When the presigned URL expires, in this machine's `Date.now()` milliseconds (corrected for
    /// the gatekeeper's clock). A read after it re-authorizes the object.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> f64 {
        let object = self.object.borrow();
        local_ms(object.clock, object.expires_at)
    }

    /// The plaintext.
    pub async fn bytes(&self, options: JsValue) -> Result<Uint8Array, JsValue> {
        to_js(async { self.fresh(&read(&options)?).await?.bytes(&read(&options)?).await.map(|p| p.data) }.await)
    }

    /// The plaintext as UTF-8 text (`not_text` if it is not).
    pub async fn text(&self, options: JsValue) -> Result<String, JsValue> {
        to_js(async { self.fresh(&read(&options)?).await?.text(&read(&options)?).await.map(|p| p.data) }.await)
    }

    /// The plaintext parsed as JSON (`not_json` if it is not).
    pub async fn json(&self, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(async { self.fresh(&read(&options)?).await?.json(&read(&options)?).await.map(|p| p.data) }.await)
    }

    /// The plaintext as a `Blob` of the stored media type.
    pub async fn blob(&self, options: JsValue) -> Result<Blob, JsValue> {
        to_js(async { self.fresh(&read(&options)?).await?.blob(&read(&options)?).await.map(|p| p.data) }.await)
    }

    /// A `blob:` URL of the plaintext (the given media type, else the stored one); revoke it when
    /// done. HTML, SVG and XML types are refused (`invalid_argument`).
    #[wasm_bindgen(js_name = blobUrl)]
    pub async fn blob_url(&self, mime_type: Option<String>, options: JsValue) -> Result<String, JsValue> {
        to_js(
            async {
                let mut call = read(&options)?;
                call.mime_type = mime_type;
                self.fresh(&call).await?.blob_url(&call).await.map(|p| p.data)
            }
            .await,
        )
    }

    /// A stream of the plaintext, decrypted as it arrives. If the object proves damaged or
    /// truncated the stream errors with code `decryption_failed`: discard what it gave.
    pub async fn stream(&self, options: JsValue) -> Result<ReadableStream, JsValue> {
        to_js(async { self.fresh(&read(&options)?).await?.js_stream(&read(&options)?).await.map(|p| p.data) }.await)
    }
}

fn read(options: &JsValue) -> Result<CallOptions, ClientError> {
    CallOptions::read(options, Accepts::Read)
}

/// Gatekeeper time `secs` as local `Date.now()` milliseconds.
pub(crate) fn local_ms(clock: Clock, secs: u64) -> f64 {
    let skew = clock.now(js_sys::Date::now()) as f64 - (js_sys::Date::now() / 1000.0).floor();
    (secs as f64 - skew) * 1000.0
}
