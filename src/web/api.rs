//! `GatekeeperClient`'s JS methods: each reads its options, runs the client (`client::Inner`) and
//! turns the outcome into JS values or a `GatekeeperError`. Reads resolve to
//! `{ data, contentType, receipt }`: the plaintext in the form asked for, the media type stored
//! with the object, and the verified receipt of this very call (so concurrent calls never see each
//! other's receipts).

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::client::Inner;
use super::handle::ObjectHandle;
use super::js_error::to_js;
use super::object::{result_object, Plain, ReadableObject};
use super::options::{Accepts, CallOptions};
use super::wire_js;
use crate::error::ClientError;

/// A client for one gatekeeper, with its pinned key and this page's session key.
#[wasm_bindgen]
pub struct GatekeeperClient {
    inner: Rc<Inner>,
}

/// Which form a read hands out.
#[derive(Clone, Copy)]
enum Form {
    Bytes,
    Text,
    Json,
    Blob,
    Url,
    Stream,
}

impl GatekeeperClient {
    /// Authorizes a read of `key` and reads it in `form`.
    async fn read(&self, key: &str, form: Form, options: &JsValue) -> Result<JsValue, ClientError> {
        let accepts = if matches!(form, Form::Url | Form::Blob) { Accepts::ObjectUrl } else { Accepts::Read };
        let options = CallOptions::read(options, accepts)?;
        let object: ReadableObject = self.inner.readable(key, &options).await?;
        let receipt = wire_js::receipt(&object.receipt);
        let Plain { data, content_type } = match form {
            Form::Bytes => object.bytes(&options).await.map(|p| p.map(JsValue::from))?,
            Form::Text => object.text(&options).await.map(|p| p.map(JsValue::from))?,
            Form::Json => object.json(&options).await?,
            Form::Blob => object.blob(&options).await.map(|p| p.map(JsValue::from))?,
            Form::Url => object.blob_url(&options).await.map(|p| p.map(JsValue::from))?,
            Form::Stream => object.js_stream(&options).await.map(|p| p.map(JsValue::from))?,
        };
        Ok(result_object(&data, content_type, &receipt))
    }

    /// The inner client, for the test hooks.
    #[cfg(feature = "test-hooks")]
    pub fn hooks(&self) -> Hooks<'_> {
        Hooks(&self.inner)
    }
}

/// The browser tests' and benchmark's hooks (feature `test-hooks`, never in the npm package).
#[cfg(feature = "test-hooks")]
#[allow(missing_debug_implementations)]
pub struct Hooks<'a>(&'a Inner);

#[cfg(feature = "test-hooks")]
impl Hooks<'_> {
    /// Sends the last signed authorize body again, unchanged.
    pub async fn replay_last_authorization(&self) -> Result<(), ClientError> {
        self.0.replay_last_authorization().await
    }
    /// Pretends the corrected clock is `secs` seconds off.
    pub fn skew_clock(&self, secs: i64) {
        self.0.skew_clock(secs);
    }
    /// Authorizes a read of `key` and returns the presigned URL.
    pub async fn presigned_get_url(&self, key: &str) -> Result<String, ClientError> {
        self.0.presigned_get_url(key).await
    }
    /// Uploads `data` like `putObject`, with ciphertext byte `at` flipped.
    pub async fn put_damaged_object(&self, key: &str, data: &[u8], at: u32) -> Result<(), ClientError> {
        self.0.put_damaged_object(key, data, at).await
    }
}

#[wasm_bindgen]
impl GatekeeperClient {
    /// A client for the gatekeeper in `config`. Throws `invalid_config` naming a bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<GatekeeperClient, JsValue> {
        to_js(Inner::from_js(config).map(|inner| Self { inner: Rc::new(inner) }))
    }

    /// `{ data: Uint8Array, contentType, receipt }`.
    #[wasm_bindgen(js_name = getObject)]
    pub async fn get_object(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Bytes, &options).await)
    }

    /// `{ data: string, contentType, receipt }` (`not_text` if it is not UTF-8).
    #[wasm_bindgen(js_name = getText)]
    pub async fn get_text(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Text, &options).await)
    }

    /// `{ data: parsed JSON, contentType, receipt }` (`not_json` if it is not).
    #[wasm_bindgen(js_name = getJson)]
    pub async fn get_json(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Json, &options).await)
    }

    /// `{ data: Blob, contentType, receipt }`, the Blob typed with the stored media type.
    #[wasm_bindgen(js_name = getBlob)]
    pub async fn get_blob(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Blob, &options).await)
    }

    /// `{ data: "blob:…", contentType, receipt }`; revoke the URL when done.
    #[wasm_bindgen(js_name = getObjectUrl)]
    pub async fn get_object_url(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Url, &options).await)
    }

    /// `{ data: ReadableStream<Uint8Array>, contentType, receipt }`, decrypted as it arrives.
    #[wasm_bindgen(js_name = getObjectStream)]
    pub async fn get_object_stream(&self, key: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(self.read(&key, Form::Stream, &options).await)
    }

    /// `{ receipt, objects: ObjectHandle[] }` for every object under `prefix`.
    #[wasm_bindgen(js_name = readPrefix)]
    pub async fn read_prefix(&self, prefix: String, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(
            async {
                let options = CallOptions::read(&options, Accepts::Signal)?;
                let (receipt, objects) = self.inner.read_prefix(&prefix, &options).await?;
                let handles: Array =
                    objects.into_iter().map(|o| JsValue::from(ObjectHandle::new(self.inner.clone(), o))).collect();
                Ok(wire_js::object(&[("receipt", wire_js::receipt(&receipt)), ("objects", handles.into())]))
            }
            .await,
        )
    }

    /// Encrypts `data` and uploads it as a new object (never overwriting one); the receipt.
    #[wasm_bindgen(js_name = putObject)]
    pub async fn put_object(&self, key: String, data: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        to_js(async { self.inner.put(&key, &data, &CallOptions::read(&options, Accepts::Put)?).await }.await)
    }

    /// Deprecated: the receipts of the last call, which concurrent calls overwrite. Use the
    /// `receipt` each call returns.
    #[wasm_bindgen(js_name = lastReceipts)]
    pub fn last_receipts(&self) -> JsValue {
        self.inner.last_receipts()
    }
}
