//! One granted object: fetched from S3 with its presigned URL and decrypted as the bytes arrive,
//! then handed out as bytes, text, JSON, a `Blob`, a `blob:` URL or a `ReadableStream`.
//!
//! [`ReadableObject`] holds what a grant released for one object (URL, expiry, per-object keys,
//! the receipt), so reading it needs no further gatekeeper call until the URL expires. Plaintext
//! goes from WebCrypto straight into JS arrays; progress is reported in plaintext bytes as chunks
//! verify. A stream that proves damaged or truncated errors with `decryption_failed`; what it
//! released before is then void.

use std::collections::VecDeque;

use futures_util::stream::{self, Stream, StreamExt};
use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_streams::readable::IntoStream;
use web_sys::{AbortSignal, Blob, BlobPropertyBag, ReadableStream, TextDecoder, TextDecoderOptions, Url};

use s3gk_protocol::object::{plaintext_len, ObjectKeyMaterial};

use super::decrypt::ObjectDecryptor;
use super::fetch::{self, aborted_or};
use super::js_error::js_error;
use super::options::{CallOptions, Progress};
use crate::clock::Clock;
use crate::error::{ClientError, Party};
use crate::handshake::{GrantedObject, ReceiptSummary};

/// Media types a `blob:` URL must not have: navigated to, they run scripts in the page's origin.
const ACTIVE_TYPES: [&str; 5] = ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"];

/// The media type of objects stored without one.
const OCTET_STREAM: &str = "application/octet-stream";

/// What a grant released for one object.
#[derive(Clone)]
pub(crate) struct ReadableObject {
    pub(crate) key: String,
    pub(crate) size: Option<u64>,
    url: String,
    pub(crate) expires_at: u64,
    keys: Vec<ObjectKeyMaterial>,
    pub(crate) clock: Clock,
    pub(crate) receipt: ReceiptSummary,
}

/// A read's plaintext (in some form) with the stored media type.
pub(crate) struct Plain<T> {
    pub(crate) data: T,
    pub(crate) content_type: Option<String>,
}

impl<T> Plain<T> {
    /// The same read with its data converted.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Plain<U> {
        Plain { data: f(self.data), content_type: self.content_type }
    }
}

impl ReadableObject {
    /// The object of a verified grant with its receipt; `clock` tells when its URL expires.
    pub(crate) fn new(object: GrantedObject, receipt: ReceiptSummary, clock: Clock) -> Self {
        let GrantedObject { key, size, url, expires_at, keys, .. } = object;
        Self { key, size, url, expires_at, keys, clock, receipt }
    }

    /// True once the presigned URL has expired (gatekeeper time).
    pub(crate) fn expired(&self) -> bool {
        self.clock.now(js_sys::Date::now()) > self.expires_at
    }

    /// Fetches the object; its plaintext comes as it verifies, chunk by chunk.
    async fn plaintext(
        &self,
        options: &CallOptions,
    ) -> Result<Plain<impl Stream<Item = Result<Uint8Array, ClientError>>>, ClientError> {
        options.check()?;
        if self.expired() {
            return Err(ClientError::UrlExpired);
        }
        let object = fetch::s3_get(&self.url, options.signal.as_ref()).await?;
        let input = match object.body {
            Some(raw) => Some(
                wasm_streams::ReadableStream::from_raw(raw)
                    .try_into_stream()
                    .map_err(|_| ClientError::Internal("the response body is locked"))?,
            ),
            None => None,
        };
        let state = Decrypting {
            input,
            decryptor: Some(ObjectDecryptor::new(&self.keys)),
            ready: VecDeque::new(),
            progress: options.progress(None),
            stored_len: object.length.or(self.size),
            signal: options.signal.clone(),
        };
        Ok(Plain { data: stream::unfold(state, Decrypting::next), content_type: object.content_type })
    }

    /// The whole plaintext, once every chunk verified.
    pub(crate) async fn bytes(&self, options: &CallOptions) -> Result<Plain<Uint8Array>, ClientError> {
        let Plain { data: parts, content_type } = self.parts(options).await?;
        let total = parts.iter().try_fold(0u32, |sum, p| sum.checked_add(p.length()));
        let total = total.ok_or(ClientError::Object(s3gk_protocol::ObjectError::TooLarge))?;
        if let [only] = parts.as_slice() {
            return Ok(Plain { data: only.clone(), content_type });
        }
        let out = Uint8Array::new_with_length(total);
        let mut at = 0u32;
        for part in &parts {
            out.set(part, at);
            at = at.saturating_add(part.length());
        }
        Ok(Plain { data: out, content_type })
    }

    /// The plaintext as UTF-8 text.
    pub(crate) async fn text(&self, options: &CallOptions) -> Result<Plain<String>, ClientError> {
        let Plain { data, content_type } = self.bytes(options).await?;
        let decoder_options = TextDecoderOptions::new();
        decoder_options.set_fatal(true);
        let decoder = TextDecoder::new_with_label_and_options("utf-8", &decoder_options)
            .map_err(|_| ClientError::Unsupported("TextDecoder"))?;
        let text = decoder.decode_with_js_u8_array(&data).map_err(|_| ClientError::NotText)?;
        Ok(Plain { data: text, content_type })
    }

    /// The plaintext parsed as JSON.
    pub(crate) async fn json(&self, options: &CallOptions) -> Result<Plain<JsValue>, ClientError> {
        let Plain { data, content_type } = self.text(options).await?;
        let value = JSON::parse(&data).map_err(|e| {
            let why = e.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();
            ClientError::NotJson(why)
        })?;
        Ok(Plain { data: value, content_type })
    }

    /// The plaintext as a `Blob` of media type `mime_type`, or else the stored one, or else
    /// `application/octet-stream`.
    pub(crate) async fn blob(&self, options: &CallOptions) -> Result<Plain<Blob>, ClientError> {
        if let Some(mime) = &options.mime_type {
            refuse_active(mime)?;
        }
        let Plain { data: parts, content_type } = self.parts(options).await?;
        let mime = options.mime_type.clone().or_else(|| content_type.clone()).unwrap_or_else(|| OCTET_STREAM.into());
        let parts: Array = parts.into_iter().collect();
        let bag = BlobPropertyBag::new();
        bag.set_type(&mime);
        let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &bag)
            .map_err(|_| ClientError::InvalidArgument("a media type the browser refuses".into()))?;
        Ok(Plain { data: blob, content_type })
    }

    /// A `blob:` URL of the plaintext (media type as for [`Self::blob`]); the page revokes it
    /// (`URL.revokeObjectURL`) when done. Active types are refused, given or stored.
    pub(crate) async fn blob_url(&self, options: &CallOptions) -> Result<Plain<String>, ClientError> {
        let Plain { data: blob, content_type } = self.blob(options).await?;
        refuse_active(&blob.type_())?;
        let url = Url::create_object_url_with_blob(&blob).map_err(|_| ClientError::Unsupported("blob URLs"))?;
        Ok(Plain { data: url, content_type })
    }

    /// A `ReadableStream<Uint8Array>` of the plaintext, decrypted as the ciphertext arrives.
    pub(crate) async fn js_stream(&self, options: &CallOptions) -> Result<Plain<ReadableStream>, ClientError> {
        let Plain { data, content_type } = self.plaintext(options).await?;
        let plaintext = data.map(|item| item.map(JsValue::from).map_err(|e| js_error(&e)));
        Ok(Plain { data: wasm_streams::ReadableStream::from_stream(plaintext).into_raw(), content_type })
    }

    async fn parts(&self, options: &CallOptions) -> Result<Plain<Vec<Uint8Array>>, ClientError> {
        let Plain { data, content_type } = self.plaintext(options).await?;
        futures_util::pin_mut!(data);
        let mut parts = Vec::new();
        while let Some(part) = data.next().await {
            parts.push(part?);
        }
        Ok(Plain { data: parts, content_type })
    }
}

/// Refuses media types that would run scripts in the page's origin.
fn refuse_active(mime_type: &str) -> Result<(), ClientError> {
    let essence = mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if ACTIVE_TYPES.contains(&essence.as_str()) || essence.ends_with("+xml") {
        return Err(ClientError::InvalidArgument(format!(
            "a blob URL of type {essence} could run scripts in this page's origin; \
             read the object with getText() and sanitise it instead"
        )));
    }
    Ok(())
}

/// `{ data, contentType, receipt }`: what the client's reads resolve to.
pub(crate) fn result_object(data: &JsValue, content_type: Option<String>, receipt: &JsValue) -> JsValue {
    let out = Object::new();
    let content_type = content_type.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t));
    // Defining properties on a fresh plain object cannot fail.
    let _ = Reflect::set(&out, &JsValue::from_str("data"), data);
    let _ = Reflect::set(&out, &JsValue::from_str("contentType"), &content_type);
    let _ = Reflect::set(&out, &JsValue::from_str("receipt"), receipt);
    out.into()
}

/// The state of a decrypting stream.
struct Decrypting {
    input: Option<IntoStream<'static>>,
    /// `None` once the stream has ended or failed.
    decryptor: Option<ObjectDecryptor>,
    ready: VecDeque<Uint8Array>,
    progress: Progress,
    /// The stored (ciphertext) length, from `Content-Length` or the listing.
    stored_len: Option<u64>,
    signal: Option<AbortSignal>,
}

impl Decrypting {
    async fn next(mut self) -> Option<(Result<Uint8Array, ClientError>, Self)> {
        loop {
            if let Some(part) = self.ready.pop_front() {
                self.progress.advance(u64::from(part.length()));
                return Some((Ok(part), self));
            }
            self.decryptor.as_ref()?;
            let piece = match self.input.as_mut() {
                Some(input) => input.next().await,
                None => None,
            };
            let step = match piece {
                Some(Ok(chunk)) => match (chunk.dyn_into::<Uint8Array>(), self.decryptor.as_mut()) {
                    (Ok(chunk), Some(decryptor)) => decryptor.push(&chunk.to_vec()).await,
                    (Err(_), _) => Err(ClientError::BadResponse(Party::S3, "a body chunk that is not bytes")),
                    (_, None) => return None,
                },
                Some(Err(_)) => Err(aborted_or(self.signal.as_ref(), ClientError::Network(Party::S3))),
                None => match self.decryptor.take() {
                    Some(decryptor) => decryptor.finish().await,
                    None => return None,
                },
            };
            self.learn_total();
            match step {
                Ok(parts) => self.ready.extend(parts),
                Err(e) => {
                    self.decryptor = None;
                    self.input = None;
                    return Some((Err(e), self));
                }
            }
        }
    }

    /// Once the header is known, the plaintext length follows from the stored length.
    fn learn_total(&mut self) {
        if let Some((chunk_size, header_len)) = self.decryptor.as_ref().and_then(ObjectDecryptor::layout) {
            if let Some(stored) = self.stored_len.take() {
                self.progress.set_total(plaintext_len(stored, chunk_size, header_len));
            }
        }
    }
}
