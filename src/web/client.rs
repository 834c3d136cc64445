//! `GatekeeperClient`: the handshake's I/O (`docs/protocol.md`, section 1) and the JS methods.
//!
//! Per call: `/v1/info` once per client (cached: clock correction, upload key id), a fresh nonce,
//! the request built and encoded by `handshake`, one POST to the vendor's co-sign endpoint, the
//! session key's signature, one POST to `/v1/authorize`, and the receipt verified under the
//! pinned key before any URL or key in the answer is used. The session key is generated once
//! per client from `crypto.getRandomValues` and never leaves it.
//!
//! Methods behind the `test-hooks` feature are for this crate's browser tests (replaying a request,
//! skewing the clock, uploading damaged ciphertext) and its browser benchmark (the presigned URL,
//! to time a plain `fetch` of the same bytes). They are never exported to JavaScript, and the npm
//! package is built without them.

use std::cell::{Cell, RefCell};

use ed25519_dalek::SigningKey;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStream, RequestCredentials};
use zeroize::Zeroizing;

use s3gk_protocol::{KeyId, Operation};

use super::js_error::to_js;
use super::object::{ObjectHandle, ReadableObject};
use super::{encrypt, fetch};
use crate::clock::Clock;
use crate::config::{check_field_names, ClientConfig, Settings};
use crate::error::{ClientError, Party};
use crate::handshake::{self, Access, ReceiptSummary, Transport, VerifiedGrant};
use s3gk_wire::{AuthorizeRequest, CosignAnswer, CosignRequest, Grant, Info as InfoAnswer};

/// The handshake's two round trips over `fetch`: the co-sign call with the page's credentials
/// choice, the gatekeeper without cookies. The signed body is kept for the replay test hook.
struct Fetch<'a>(&'a GatekeeperClient);

impl Transport for Fetch<'_> {
    async fn cosign(&self, body: &CosignRequest) -> Result<CosignAnswer, ClientError> {
        let credentials = fetch::credentials(self.0.settings.credentials);
        fetch::post_json(Party::Vendor, &self.0.settings.cosign_url, body, credentials).await
    }

    async fn authorize(&self, body: &AuthorizeRequest) -> Result<Grant, ClientError> {
        *self.0.last_body.borrow_mut() = Some(body.clone());
        fetch::post_json(Party::Gatekeeper, &self.0.authorize_url(), body, RequestCredentials::Omit).await
    }
}

/// What `/v1/info` told this client.
#[derive(Clone, Debug)]
struct Info {
    clock: Clock,
    upload_key_id: Option<KeyId>,
    max_lifetime: Option<u64>,
}

/// A client for one gatekeeper, with its pinned key and this page's session key.
#[wasm_bindgen]
pub struct GatekeeperClient {
    settings: Settings,
    session: SigningKey,
    info: RefCell<Option<Info>>,
    receipts: RefCell<Vec<ReceiptSummary>>,
    last_body: RefCell<Option<AuthorizeRequest>>,
    clock_shift: Cell<i64>,
}

/// `N` random bytes from `crypto.getRandomValues`.
fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, ClientError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::getrandom(bytes.as_mut_slice()).map_err(|_| ClientError::Unsupported("crypto.getRandomValues"))?;
    Ok(bytes)
}

impl GatekeeperClient {
    fn from_js(config: JsValue) -> Result<Self, ClientError> {
        let object = config
            .dyn_ref::<Object>()
            .filter(|_| !config.is_function())
            .ok_or(ClientError::InvalidConfig("the configuration must be an object".into()))?;
        let names: Vec<String> = Object::keys(object).iter().filter_map(|k| k.as_string()).collect();
        check_field_names(names.iter().map(String::as_str))?;
        let config: ClientConfig = serde_wasm_bindgen::from_value(config).map_err(|e| {
            // Its text is a JS error's `toString()`: "Error: missing field `cosignUrl`".
            ClientError::InvalidConfig(e.to_string().trim_start_matches("Error: ").to_owned())
        })?;
        let settings = Settings::from_config(config)?;
        let session = SigningKey::from_bytes(&*random::<32>()?);
        Ok(Self {
            settings,
            session,
            info: RefCell::new(None),
            receipts: RefCell::new(Vec::new()),
            last_body: RefCell::new(None),
            clock_shift: Cell::new(0),
        })
    }

    /// `/v1/info`, fetched once.
    async fn info(&self) -> Result<Info, ClientError> {
        if let Some(info) = self.info.borrow().as_ref() {
            return Ok(info.clone());
        }
        let url = format!("{}/v1/info", self.settings.gatekeeper_url);
        let answer: InfoAnswer = fetch::get_json(Party::Gatekeeper, &url).await?;
        if answer.gatekeeper_id != self.settings.gatekeeper_id.as_str() {
            return Err(ClientError::InvalidConfig(format!(
                "gatekeeperId is {:?}, but the gatekeeper at gatekeeperUrl is {:?}",
                self.settings.gatekeeper_id, answer.gatekeeper_id
            )));
        }
        let info = Info {
            clock: Clock::from_server_time(answer.server_time, js_sys::Date::now()),
            upload_key_id: answer.upload_master_key_id.and_then(|id| KeyId::new(&id).ok()),
            max_lifetime: Some(answer.limits.max_lifetime_secs),
        };
        *self.info.borrow_mut() = Some(info.clone());
        Ok(info)
    }

    /// One vendor round trip and one gatekeeper round trip; the answer is verified.
    async fn authorize(&self, operation: Operation, key: &str) -> Result<(VerifiedGrant, Clock), ClientError> {
        self.receipts.borrow_mut().clear();
        let info = self.info().await?;
        let clock = info.clock.shifted(self.clock_shift.get());
        let who = Access {
            gatekeeper_id: self.settings.gatekeeper_id.as_str(),
            pinned: &self.settings.pinned,
            session: &self.session,
            now: clock.now(js_sys::Date::now()),
            max_lifetime: info.max_lifetime,
            nonce: *random::<16>()?,
        };
        let grant = handshake::access(&Fetch(self), &who, operation, key).await?;
        *self.receipts.borrow_mut() = grant.summaries();
        Ok((grant, clock))
    }

    fn authorize_url(&self) -> String {
        format!("{}/v1/authorize", self.settings.gatekeeper_url)
    }

    /// Authorizes a read of `key`.
    async fn readable(&self, key: &str) -> Result<ReadableObject, ClientError> {
        let (grant, clock) = self.authorize(Operation::Get, key).await?;
        let object = grant.objects.into_iter().next().ok_or(ClientError::Internal("a get grant has one object"))?;
        Ok(ReadableObject::new(object, clock))
    }

    async fn read_prefix_inner(&self, prefix: &str) -> Result<JsValue, ClientError> {
        let (grant, clock) = self.authorize(Operation::ListPrefix, prefix).await?;
        let receipt = to_value(&grant.receipt)?;
        let objects: Array = grant
            .objects
            .into_iter()
            .map(|o| JsValue::from(ObjectHandle::new(ReadableObject::new(o, clock))))
            .collect();
        let answer = Object::new();
        // Defining properties on a fresh plain object cannot fail.
        let _ = Reflect::set(&answer, &JsValue::from_str("receipt"), &receipt);
        let _ = Reflect::set(&answer, &JsValue::from_str("objects"), &objects);
        Ok(answer.into())
    }

    /// Encrypts and uploads; `flip` damages one ciphertext byte first (tests only).
    async fn put_inner(
        &self,
        key: &str,
        data: &Uint8Array,
        content_type: Option<String>,
        flip: Option<u32>,
    ) -> Result<ReceiptSummary, ClientError> {
        if let Some(ct) = &content_type {
            s3gk_protocol::request::check_content_type(ct.as_bytes()).map_err(|_| {
                ClientError::InvalidArgument(format!(
                    "contentType {ct:?} must be a lower-case type/subtype without parameters, e.g. image/png"
                ))
            })?;
        }
        let info = self.info().await?;
        let announced = info
            .upload_key_id
            .ok_or(ClientError::BadResponse(Party::Gatekeeper, "/v1/info names no upload master key"))?;
        let plaintext_len = usize::try_from(data.length()).map_err(|_| s3gk_protocol::ObjectError::TooLarge)?;
        let content_length = handshake::upload_length(plaintext_len, &announced)?;
        let (grant, clock) = self.authorize(Operation::Put { content_length, sha256: None, content_type }, key).await?;
        let VerifiedGrant { receipt, objects } = grant;
        let object = objects.into_iter().next().ok_or(ClientError::Internal("a put grant has one object"))?;
        let plan = handshake::upload_plan(object, &announced, content_length).inspect_err(|_| {
            // The master key may have rotated since /v1/info: ask again next time.
            self.info.borrow_mut().take();
        })?;
        if clock.now(js_sys::Date::now()) > plan.expires_at {
            return Err(ClientError::UrlExpired);
        }
        let ciphertext = encrypt::encrypt(plan.write_key, data, content_length).await?;
        if let Some(at) = flip {
            ciphertext.set_index(at, ciphertext.get_index(at) ^ 1);
        }
        fetch::s3_put(&plan.url, &plan.headers, &ciphertext).await?;
        Ok(receipt)
    }

    /// Test hook: sends the last signed authorize body again, unchanged.
    #[cfg(feature = "test-hooks")]
    pub async fn replay_last_authorization(&self) -> Result<(), ClientError> {
        let body = self.last_body.borrow().clone().ok_or(ClientError::InvalidArgument("nothing to replay".into()))?;
        let _: Grant =
            fetch::post_json(Party::Gatekeeper, &self.authorize_url(), &body, RequestCredentials::Omit).await?;
        Ok(())
    }

    /// Test hook: pretends the corrected clock is `secs` seconds off.
    #[cfg(feature = "test-hooks")]
    pub fn skew_clock(&self, secs: i64) {
        self.clock_shift.set(secs);
    }

    /// Benchmark hook: authorizes a read of `key` like `getObject` (both round trips, receipt
    /// verified) and returns the presigned URL instead of fetching it.
    #[cfg(feature = "test-hooks")]
    pub async fn presigned_get_url(&self, key: &str) -> Result<String, ClientError> {
        let (grant, _) = self.authorize(Operation::Get, key).await?;
        let object = grant.objects.into_iter().next().ok_or(ClientError::Internal("a get grant has one object"))?;
        Ok(object.url)
    }

    /// Test hook: uploads `data` like `putObject`, with ciphertext byte `at` flipped.
    #[cfg(feature = "test-hooks")]
    pub async fn put_damaged_object(&self, key: &str, data: &Uint8Array, at: u32) -> Result<(), ClientError> {
        self.put_inner(key, data, None, Some(at)).await.map(|_| ())
    }
}

/// A plain JS object from a serializable value.
fn to_value<T: serde::Serialize>(value: &T) -> Result<JsValue, ClientError> {
    serde_wasm_bindgen::to_value(value).map_err(|_| ClientError::Internal("cannot convert a receipt"))
}

#[wasm_bindgen]
impl GatekeeperClient {
    /// A client for the gatekeeper in `config`. Throws `invalid_config` naming a bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "GatekeeperClientConfig")] config: JsValue,
    ) -> Result<GatekeeperClient, JsValue> {
        to_js(Self::from_js(config))
    }

    /// The object's plaintext.
    #[wasm_bindgen(js_name = getObject)]
    pub async fn get_object(&self, key: String) -> Result<Uint8Array, JsValue> {
        to_js(async { self.readable(&key).await?.bytes().await }.await)
    }

    /// The object as UTF-8 text (`not_text` if it is not).
    #[wasm_bindgen(js_name = getText)]
    pub async fn get_text(&self, key: String) -> Result<String, JsValue> {
        to_js(async { self.readable(&key).await?.text().await }.await)
    }

    /// The object parsed as JSON (`not_json` if it is not).
    #[wasm_bindgen(js_name = getJson, unchecked_return_type = "unknown")]
    pub async fn get_json(&self, key: String) -> Result<JsValue, JsValue> {
        to_js(async { self.readable(&key).await?.json().await }.await)
    }

    /// A `blob:` URL of the object with this media type; revoke it when done. HTML, SVG and XML
    /// types are refused (`invalid_argument`): they would run scripts in the page's origin.
    #[wasm_bindgen(js_name = getObjectUrl)]
    pub async fn get_object_url(
        &self,
        key: String,
        #[wasm_bindgen(js_name = mimeType)] mime_type: String,
    ) -> Result<String, JsValue> {
        to_js(async { self.readable(&key).await?.blob_url(&mime_type).await }.await)
    }

    /// A stream of the object's plaintext, decrypted as the ciphertext arrives (memory stays
    /// bounded). If the object proves damaged or truncated, the stream errors with code
    /// `decryption_failed`: discard what it gave.
    #[wasm_bindgen(js_name = getObjectStream, unchecked_return_type = "ReadableStream<Uint8Array>")]
    pub async fn get_object_stream(&self, key: String) -> Result<ReadableStream, JsValue> {
        to_js(async { self.readable(&key).await?.js_stream().await }.await)
    }

    /// Every object under `prefix` (which ends with `/`), with one vendor and one gatekeeper
    /// round trip. Each handle then fetches and decrypts its object on demand.
    #[wasm_bindgen(js_name = readPrefix, unchecked_return_type = "PrefixRead")]
    pub async fn read_prefix(&self, prefix: String) -> Result<JsValue, JsValue> {
        to_js(self.read_prefix_inner(&prefix).await)
    }

    /// Encrypts `data` in the page and uploads it as a new object (never overwriting one).
    /// Resolves to the verified receipt. `options.contentType` (lower-case `type/subtype`) is
    /// signed into the request and stored as the object's `x-amz-meta-content-type`; the stored
    /// ciphertext itself is always served as `application/octet-stream`, so an upload can never
    /// make S3 serve HTML. Choose how to render when reading (`getObjectUrl(key, mimeType)`).
    #[wasm_bindgen(js_name = putObject, unchecked_return_type = "Receipt")]
    pub async fn put_object(
        &self,
        key: String,
        data: Uint8Array,
        #[wasm_bindgen(unchecked_param_type = "{ contentType?: string } | undefined")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        to_js(
            async {
                let content_type = put_content_type(&options)?;
                to_value(&self.put_inner(&key, &data, content_type, None).await?)
            }
            .await,
        )
    }

    /// The receipts of the last call, after verification (empty if it failed before one verified).
    #[wasm_bindgen(js_name = lastReceipts, unchecked_return_type = "Receipt[]")]
    pub fn last_receipts(&self) -> Result<JsValue, JsValue> {
        to_js(to_value(&*self.receipts.borrow()))
    }
}

/// Reads `{ contentType?: string }`; any other key, or a non-string, is refused.
fn put_content_type(options: &JsValue) -> Result<Option<String>, ClientError> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let bad = || ClientError::InvalidArgument("putObject options are { contentType?: string }".into());
    if !options.is_object() {
        return Err(bad());
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        if key.as_string().as_deref() != Some("contentType") {
            return Err(bad());
        }
    }
    let value = Reflect::get(options, &JsValue::from_str("contentType")).map_err(|_| bad())?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(bad)
}
