//! `GatekeeperClient`: the handshake's I/O (`docs/protocol.md`, section 1) and the JS methods.
//!
//! Per call: `/v1/info` once per client (cached: clock correction, upload key id), a fresh nonce,
//! the request built and encoded by `handshake`, one POST to the vendor's co-sign endpoint, the
//! session key's signature (WebCrypto, non-extractable key), one POST to `/v1/authorize`, and the
//! receipt verified under the pinned key (strict pre-checks, then WebCrypto) before any URL or
//! key in the answer is used. Every method takes an options object with an `AbortSignal`.
//!
//! Methods behind the `test-hooks` feature are for this crate's browser tests (replaying a request,
//! skewing the clock, uploading damaged ciphertext) and its browser benchmark (the presigned URL,
//! to time a plain `fetch` of the same bytes). They are never exported to JavaScript, and the npm
//! package is built without them.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use s3gk_protocol::{KeyId, Operation};

use super::crypto::WebSession;
use super::fetch::{self, Call};
use super::object::ReadableObject;
use super::options::CallOptions;
use super::upload::{self, Source};
use super::wire_js;
use crate::clock::Clock;
use crate::config::{check_field_names, ClientConfig, Settings};
use crate::error::{ClientError, Party};
use crate::handshake::{self, Access, ReceiptSummary, Transport, VerifiedGrant};
use s3gk_wire::{AuthorizeRequest, CosignAnswer, CosignRequest, Grant, Info as InfoAnswer};

/// The handshake's two round trips over `fetch`: the co-sign call with the page's credentials
/// choice and headers, the gatekeeper without cookies. The signed body is kept for the replay
/// test hook.
struct Fetch<'a> {
    client: &'a Inner,
    signal: Option<&'a AbortSignal>,
}

impl Transport for Fetch<'_> {
    async fn cosign(&self, body: &CosignRequest) -> Result<CosignAnswer, ClientError> {
        let settings = &self.client.settings;
        let call = Call {
            credentials: fetch::credentials(settings.credentials),
            ..Call::new(Party::Vendor, "POST", &settings.cosign_url, self.signal)
        };
        fetch::post_json(call, wire_js::cosign_request(body), &settings.cosign_headers, wire_js::cosign_answer).await
    }

    async fn authorize(&self, body: &AuthorizeRequest) -> Result<Grant, ClientError> {
        *self.client.last_body.borrow_mut() = Some(body.clone());
        let url = self.client.authorize_url();
        let call = Call::new(Party::Gatekeeper, "POST", &url, self.signal);
        fetch::post_json(call, wire_js::authorize_request(body), &[], wire_js::grant).await
    }
}

/// What `/v1/info` told this client.
#[derive(Clone, Debug)]
struct Info {
    clock: Clock,
    upload_key_id: Option<KeyId>,
    max_lifetime: Option<u64>,
}

/// The client's state, shared with the object handles it hands out (they re-authorize through it).
pub(crate) struct Inner {
    settings: Settings,
    session: WebSession,
    info: RefCell<Option<Info>>,
    receipts: RefCell<Vec<ReceiptSummary>>,
    last_body: RefCell<Option<AuthorizeRequest>>,
    clock_shift: Cell<i64>,
}

/// `new GatekeeperClient(config)`'s argument, read by hand (field names were checked already).
fn config_from_js(config: &JsValue) -> Result<ClientConfig, ClientError> {
    let field = |name: &str| {
        let value = Reflect::get(config, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        match (value.is_undefined(), value.as_string()) {
            (true, _) => Ok(None),
            (false, Some(text)) => Ok(Some(text)),
            (false, None) => Err(ClientError::InvalidConfig(format!("{name} must be a string"))),
        }
    };
    let required = |name: &str| field(name)?.ok_or(ClientError::InvalidConfig(format!("missing field `{name}`")));
    let headers = Reflect::get(config, &JsValue::from_str("cosignHeaders")).unwrap_or(JsValue::UNDEFINED);
    let cosign_headers = if headers.is_undefined() {
        None
    } else {
        let bad = || ClientError::InvalidConfig("cosignHeaders must be an object of strings".into());
        let object = headers.dyn_ref::<Object>().filter(|_| !headers.is_function()).ok_or_else(bad)?;
        let mut pairs = std::collections::BTreeMap::new();
        for name in Object::keys(object).iter().filter_map(|k| k.as_string()) {
            let value = wire_js::string(&headers, &name).map_err(|_| bad())?;
            pairs.insert(name, value);
        }
        Some(pairs)
    };
    Ok(ClientConfig {
        gatekeeper_url: required("gatekeeperUrl")?,
        gatekeeper_id: required("gatekeeperId")?,
        gatekeeper_public_key: required("gatekeeperPublicKey")?,
        gatekeeper_key_id: required("gatekeeperKeyId")?,
        cosign_url: required("cosignUrl")?,
        credentials: field("credentials")?,
        cosign_headers,
    })
}

/// `N` random bytes from `crypto.getRandomValues`.
fn random<const N: usize>() -> Result<[u8; N], ClientError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(bytes.as_mut_slice()).map_err(|_| ClientError::Unsupported("crypto.getRandomValues"))?;
    Ok(bytes)
}

impl Inner {
    pub(crate) fn from_js(config: JsValue) -> Result<Self, ClientError> {
        let object = config
            .dyn_ref::<Object>()
            .filter(|_| !config.is_function())
            .ok_or(ClientError::InvalidConfig("the configuration must be an object".into()))?;
        let names: Vec<String> = Object::keys(object).iter().filter_map(|k| k.as_string()).collect();
        check_field_names(names.iter().map(String::as_str))?;
        let config = config_from_js(&config)?;
        Ok(Self {
            settings: Settings::from_config(config)?,
            session: WebSession::generate(),
            info: RefCell::new(None),
            receipts: RefCell::new(Vec::new()),
            last_body: RefCell::new(None),
            clock_shift: Cell::new(0),
        })
    }

    /// `/v1/info`, fetched once.
    async fn info(&self, signal: Option<&AbortSignal>) -> Result<Info, ClientError> {
        if let Some(info) = self.info.borrow().as_ref() {
            return Ok(info.clone());
        }
        let url = format!("{}/v1/info", self.settings.gatekeeper_url);
        let answer: InfoAnswer = fetch::get_json(Party::Gatekeeper, &url, signal, wire_js::info).await?;
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
    async fn authorize(
        &self,
        operation: Operation,
        key: &str,
        options: &CallOptions,
    ) -> Result<(VerifiedGrant, Clock), ClientError> {
        options.check()?;
        self.receipts.borrow_mut().clear();
        let signal = options.signal.as_ref();
        let info = self.info(signal).await?;
        let clock = info.clock.shifted(self.clock_shift.get());
        let who = Access {
            gatekeeper_id: self.settings.gatekeeper_id.as_str(),
            pinned: &self.settings.pinned,
            session: &self.session,
            now: clock.now(js_sys::Date::now()),
            max_lifetime: info.max_lifetime,
            nonce: random::<16>()?,
        };
        let grant = handshake::access(&Fetch { client: self, signal }, &who, operation, key)
            .await
            .map_err(|e| fetch::aborted_or(signal, e))?;
        *self.receipts.borrow_mut() = grant.summaries();
        Ok((grant, clock))
    }

    fn authorize_url(&self) -> String {
        format!("{}/v1/authorize", self.settings.gatekeeper_url)
    }

    /// Authorizes a read of `key`.
    pub(crate) async fn readable(&self, key: &str, options: &CallOptions) -> Result<ReadableObject, ClientError> {
        let (grant, clock) = self.authorize(Operation::Get, key, options).await?;
        let receipt = grant.receipt.clone();
        let object = grant.objects.into_iter().next().ok_or(ClientError::Internal("a get grant has one object"))?;
        Ok(ReadableObject::new(object, receipt, clock))
    }

    /// Every object under `prefix`, ready to read, with the prefix's receipt.
    pub(crate) async fn read_prefix(
        &self,
        prefix: &str,
        options: &CallOptions,
    ) -> Result<(ReceiptSummary, Vec<ReadableObject>), ClientError> {
        let (grant, clock) = self.authorize(Operation::ListPrefix, prefix, options).await?;
        let summaries = grant.summaries();
        let objects = grant
            .objects
            .into_iter()
            .zip(summaries.into_iter().skip(1))
            .map(|(o, r)| ReadableObject::new(o, r, clock))
            .collect();
        Ok((grant.receipt, objects))
    }

    /// Encrypts and uploads `data` as `key` (never overwriting); the verified receipt.
    pub(crate) async fn put(&self, key: &str, data: &JsValue, options: &CallOptions) -> Result<JsValue, ClientError> {
        if let Some(ct) = &options.content_type {
            s3gk_protocol::request::check_content_type(ct.as_bytes()).map_err(|_| {
                ClientError::InvalidArgument(format!(
                    "contentType {ct:?} must be a lower-case type/subtype without parameters, e.g. image/png"
                ))
            })?;
        }
        let source = Source::read(data, options)?;
        let info = self.info(options.signal.as_ref()).await?;
        let announced = info
            .upload_key_id
            .ok_or(ClientError::BadResponse(Party::Gatekeeper, "/v1/info names no upload master key"))?;
        let plaintext_len = usize::try_from(source.len).map_err(|_| s3gk_protocol::ObjectError::TooLarge)?;
        let content_length = handshake::upload_length(plaintext_len, &announced)?;
        let operation = Operation::Put { content_length, sha256: None, content_type: options.content_type.clone() };
        let (grant, clock) = self.authorize(operation, key, options).await?;
        let VerifiedGrant { receipt, objects } = grant;
        let object = objects.into_iter().next().ok_or(ClientError::Internal("a put grant has one object"))?;
        let plan = handshake::upload_plan(object, &announced, content_length).inspect_err(|_| {
            // The master key may have rotated since /v1/info: ask again next time.
            self.info.borrow_mut().take();
        })?;
        if clock.now(js_sys::Date::now()) > plan.expires_at {
            return Err(ClientError::UrlExpired);
        }
        upload::send(plan, source, content_length, options).await?;
        Ok(wire_js::receipt(&receipt))
    }

    /// The receipts of the last call (deprecated `lastReceipts()`).
    pub(crate) fn last_receipts(&self) -> JsValue {
        self.receipts.borrow().iter().map(wire_js::receipt).collect::<Array>().into()
    }

    /// Test hook: sends the last signed authorize body again, unchanged.
    #[cfg(feature = "test-hooks")]
    pub(crate) async fn replay_last_authorization(&self) -> Result<(), ClientError> {
        let body = self.last_body.borrow().clone().ok_or(ClientError::InvalidArgument("nothing to replay".into()))?;
        let url = self.authorize_url();
        let call = Call::new(Party::Gatekeeper, "POST", &url, None);
        let _: Grant = fetch::post_json(call, wire_js::authorize_request(&body), &[], wire_js::grant).await?;
        Ok(())
    }

    /// Test hook: pretends the corrected clock is `secs` seconds off.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn skew_clock(&self, secs: i64) {
        self.clock_shift.set(secs);
    }

    /// Benchmark hook: authorizes a read of `key` like `getObject` and returns the presigned URL.
    #[cfg(feature = "test-hooks")]
    pub(crate) async fn presigned_get_url(&self, key: &str) -> Result<String, ClientError> {
        let (grant, _) = self.authorize(Operation::Get, key, &CallOptions::default()).await?;
        let object = grant.objects.into_iter().next().ok_or(ClientError::Internal("a get grant has one object"))?;
        Ok(object.url)
    }

    /// Test hook: uploads `data` like `putObject`, flipping ciphertext byte `at` on the way.
    #[cfg(feature = "test-hooks")]
    pub(crate) async fn put_damaged_object(&self, key: &str, data: &[u8], at: u32) -> Result<(), ClientError> {
        let info = self.info(None).await?;
        let announced = info.upload_key_id.ok_or(ClientError::Internal("no upload key"))?;
        let content_length = handshake::upload_length(data.len(), &announced)?;
        let operation = Operation::Put { content_length, sha256: None, content_type: None };
        let (grant, _) = self.authorize(operation, key, &CallOptions::default()).await?;
        let object = grant.objects.into_iter().next().ok_or(ClientError::Internal("one object"))?;
        let plan = handshake::upload_plan(object, &announced, content_length)?;
        let body = super::encrypt::encrypt_object(plan.write_key, &js_sys::Uint8Array::from(data)).await?;
        body.set_index(at, body.get_index(at) ^ 1);
        fetch::s3_put(&plan.url, &plan.headers, &body.into(), None).await
    }
}
