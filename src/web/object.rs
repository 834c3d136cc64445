//! One granted object: fetched from S3 with its presigned URL and decrypted as the bytes arrive,
//! then handed out as bytes, text, JSON, a `blob:` URL or a `ReadableStream`.
//!
//! [`ReadableObject`] holds what a grant released for one object (URL, expiry, per-object keys),
//! so reading it needs no further gatekeeper call; `ObjectHandle` is its JS face for
//! `readPrefix`. Plaintext goes from WebCrypto straight into JS arrays. A stream that proves
//! damaged or truncated errors with `decryption_failed`; what it released before is then void.

use std::collections::VecDeque;

use futures_util::stream::{self, Stream, StreamExt};
use js_sys::{Array, Uint8Array, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_streams::readable::IntoStream;
use web_sys::{Blob, BlobPropertyBag, ReadableStream, TextDecoder, TextDecoderOptions, Url};

use s3gk_protocol::object::ObjectKeyMaterial;

use super::decrypt::ObjectDecryptor;
use super::fetch;
use super::js_error::{js_error, to_js};
use crate::clock::Clock;
use crate::error::{ClientError, Party};
use crate::handshake::GrantedObject;

/// Media types a `blob:` URL must not have: navigated to, they run scripts in the page's origin.
const ACTIVE_TYPES: [&str; 5] = ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"];

/// What a grant released for one object.
#[derive(Clone)]
pub(crate) struct ReadableObject {
    key: String,
    size: Option<u64>,
    url: String,
    expires_at: u64,
    keys: Vec<ObjectKeyMaterial>,
    clock: Clock,
}

impl ReadableObject {
    /// The object of a verified grant; `clock` tells when its URL expires.
    pub(crate) fn new(object: GrantedObject, clock: Clock) -> Self {
        let GrantedObject { key, size, url, expires_at, keys, .. } = object;
        Self { key, size, url, expires_at, keys, clock }
    }

    /// Fetches the object and returns its plaintext as it verifies, chunk by chunk.
    async fn plaintext(&self) -> Result<impl Stream<Item = Result<Uint8Array, ClientError>>, ClientError> {
        if self.clock.now(js_sys::Date::now()) > self.expires_at {
            return Err(ClientError::UrlExpired);
        }
        let body = fetch::s3_get(&self.url).await?;
        let input = match body {
            Some(raw) => Some(
                wasm_streams::ReadableStream::from_raw(raw)
                    .try_into_stream()
                    .map_err(|_| ClientError::Internal("the response body is locked"))?,
            ),
            None => None,
        };
        let state = Decrypting { input, decryptor: Some(ObjectDecryptor::new(&self.keys)), ready: VecDeque::new() };
        Ok(stream::unfold(state, Decrypting::next))
    }

    /// The whole plaintext, once every chunk verified.
    pub(crate) async fn bytes(&self) -> Result<Uint8Array, ClientError> {
        let parts = self.parts().await?;
        let total = parts.iter().try_fold(0u32, |sum, p| sum.checked_add(p.length()));
        let total = total.ok_or(ClientError::Object(s3gk_protocol::ObjectError::TooLarge))?;
        if let [only] = parts.as_slice() {
            return Ok(only.clone());
        }
        let out = Uint8Array::new_with_length(total);
        let mut at = 0u32;
        for part in &parts {
            out.set(part, at);
            at = at.saturating_add(part.length());
        }
        Ok(out)
    }

    /// The plaintext as UTF-8 text.
    pub(crate) async fn text(&self) -> Result<String, ClientError> {
        let bytes = self.bytes().await?;
        let options = TextDecoderOptions::new();
        options.set_fatal(true);
        let decoder = TextDecoder::new_with_label_and_options("utf-8", &options)
            .map_err(|_| ClientError::Unsupported("TextDecoder"))?;
        decoder.decode_with_js_u8_array(&bytes).map_err(|_| ClientError::NotText)
    }

    /// The plaintext parsed as JSON.
    pub(crate) async fn json(&self) -> Result<JsValue, ClientError> {
        let text = self.text().await?;
        JSON::parse(&text).map_err(|e| {
            let why = e.dyn_into::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();
            ClientError::NotJson(why)
        })
    }

    /// A `blob:` URL of the plaintext with media type `mime_type`. The page revokes it
    /// (`URL.revokeObjectURL`) when done.
    pub(crate) async fn blob_url(&self, mime_type: &str) -> Result<String, ClientError> {
        let essence = mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if ACTIVE_TYPES.contains(&essence.as_str()) || essence.ends_with("+xml") {
            return Err(ClientError::InvalidArgument(format!(
                "a blob URL of type {essence} could run scripts in this page's origin; \
                 read the object with getText() and sanitise it instead"
            )));
        }
        let parts: Array = self.parts().await?.into_iter().collect();
        let options = BlobPropertyBag::new();
        options.set_type(mime_type);
        let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            .map_err(|_| ClientError::InvalidArgument("a media type the browser refuses".into()))?;
        Url::create_object_url_with_blob(&blob).map_err(|_| ClientError::Unsupported("blob URLs"))
    }

    /// A `ReadableStream<Uint8Array>` of the plaintext, decrypted as the ciphertext arrives.
    pub(crate) async fn js_stream(&self) -> Result<ReadableStream, ClientError> {
        let plaintext = self.plaintext().await?.map(|item| item.map(JsValue::from).map_err(|e| js_error(&e)));
        Ok(wasm_streams::ReadableStream::from_stream(plaintext).into_raw())
    }

    async fn parts(&self) -> Result<Vec<Uint8Array>, ClientError> {
        let plaintext = self.plaintext().await?;
        futures_util::pin_mut!(plaintext);
        let mut parts = Vec::new();
        while let Some(part) = plaintext.next().await {
            parts.push(part?);
        }
        Ok(parts)
    }
}

/// The state of a decrypting stream.
struct Decrypting {
    input: Option<IntoStream<'static>>,
    /// `None` once the stream has ended or failed.
    decryptor: Option<ObjectDecryptor>,
    ready: VecDeque<Uint8Array>,
}

impl Decrypting {
    async fn next(mut self) -> Option<(Result<Uint8Array, ClientError>, Self)> {
        loop {
            if let Some(part) = self.ready.pop_front() {
                return Some((Ok(part), self));
            }
            self.decryptor.as_ref()?;
            let piece = match self.input.as_mut() {
                Some(input) => input.next().await,
                None => None,
            };
            let step = match piece {
                Some(Ok(chunk)) => match chunk.dyn_into::<Uint8Array>() {
                    Ok(chunk) => match self.decryptor.as_mut() {
                        Some(decryptor) => decryptor.push(&chunk.to_vec()).await,
                        None => return None,
                    },
                    Err(_) => Err(ClientError::BadResponse(Party::S3, "a body chunk that is not bytes")),
                },
                Some(Err(_)) => Err(ClientError::Network(Party::S3)),
                None => match self.decryptor.take() {
                    Some(decryptor) => decryptor.finish().await,
                    None => return None,
                },
            };
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
}

/// One object of a `readPrefix` answer. Its methods fetch and decrypt it with the key material
/// already received: no further gatekeeper call, and several may run in parallel.
#[wasm_bindgen]
pub struct ObjectHandle {
    object: ReadableObject,
}

impl ObjectHandle {
    pub(crate) fn new(object: ReadableObject) -> Self {
        Self { object }
    }
}

#[wasm_bindgen]
impl ObjectHandle {
    /// The object key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        self.object.key.clone()
    }

    /// The stored size in bytes: the encrypted object, a little larger than its plaintext.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Option<f64> {
        // Sizes are far below 2^53, where f64 is exact.
        self.object.size.map(|s| s as f64)
    }

    /// The plaintext.
    pub async fn bytes(&self) -> Result<Uint8Array, JsValue> {
        to_js(self.object.bytes().await)
    }

    /// The plaintext as UTF-8 text (`not_text` if it is not).
    pub async fn text(&self) -> Result<String, JsValue> {
        to_js(self.object.text().await)
    }

    /// The plaintext parsed as JSON (`not_json` if it is not).
    #[wasm_bindgen(unchecked_return_type = "unknown")]
    pub async fn json(&self) -> Result<JsValue, JsValue> {
        to_js(self.object.json().await)
    }

    /// A `blob:` URL of the plaintext with this media type; revoke it when done. HTML, SVG and
    /// XML types are refused (`invalid_argument`): they would run scripts in the page's origin.
    #[wasm_bindgen(js_name = blobUrl)]
    pub async fn blob_url(&self, #[wasm_bindgen(js_name = mimeType)] mime_type: String) -> Result<String, JsValue> {
        to_js(self.object.blob_url(&mime_type).await)
    }

    /// A stream of the plaintext, decrypted as it arrives. If the object proves damaged or
    /// truncated the stream errors with code `decryption_failed`: discard what it gave.
    #[wasm_bindgen(unchecked_return_type = "ReadableStream<Uint8Array>")]
    pub async fn stream(&self) -> Result<ReadableStream, JsValue> {
        to_js(self.object.js_stream().await)
    }
}
