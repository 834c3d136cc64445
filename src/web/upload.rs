//! An upload from a `Uint8Array`, `ArrayBuffer`, `Blob`, `File` or `ReadableStream`: its length
//! (which the put request binds), then its sealed stream sent to the presigned PUT.
//!
//! In a browser the ciphertext is staged first (`js/io.js`: the Origin Private File System, else
//! a Blob of small parts), because a request body cannot be streamed to S3 there; the PUT then
//! goes out with `XMLHttpRequest`, which reports upload progress. In Node the sealed stream is the
//! request body itself. Either way wasm memory holds a few chunks. Progress is reported in
//! plaintext bytes. This module must never send a body whose length differs from the one bound.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::stream::StreamExt;
use js_sys::{Array, ArrayBuffer, Function, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, ReadableStream};

use super::encrypt::seal_stream;
use super::fetch;
use super::js_error::js_error;
use super::options::CallOptions;
use crate::error::{ClientError, Party};
use crate::handshake::UploadPlan;

#[wasm_bindgen(module = "/js/io.js")]
extern "C" {
    type Staging;

    #[wasm_bindgen(static_method_of = Staging)]
    fn open() -> Promise;
    #[wasm_bindgen(method)]
    fn write(this: &Staging, chunk: &Uint8Array) -> Promise;
    #[wasm_bindgen(method)]
    fn finish(this: &Staging) -> Promise;
    #[wasm_bindgen(method)]
    fn discard(this: &Staging) -> Promise;

    #[wasm_bindgen(js_name = stagesUploads)]
    fn stages_uploads() -> bool;
    #[wasm_bindgen(js_name = putBlob)]
    fn put_blob(url: &str, headers: &Array, blob: &Blob, on_sent: &Function, signal: Option<AbortSignal>) -> Promise;
}

/// What to upload: a stream of its plaintext and its length in bytes.
pub(crate) struct Source {
    pub(crate) stream: ReadableStream,
    pub(crate) len: u64,
}

impl Source {
    /// Reads `data`; a `ReadableStream` needs `options.length`, and any given length must match.
    pub(crate) fn read(data: &JsValue, options: &CallOptions) -> Result<Self, ClientError> {
        let bad = |why: &str| ClientError::InvalidArgument(why.into());
        let blob = if let Some(stream) = data.dyn_ref::<ReadableStream>() {
            let len = options.length.ok_or_else(|| bad("a ReadableStream upload needs options.length (in bytes)"))?;
            return Ok(Self { stream: stream.clone(), len });
        } else if let Some(blob) = data.dyn_ref::<Blob>() {
            blob.clone()
        } else if data.is_instance_of::<Uint8Array>() || data.is_instance_of::<ArrayBuffer>() {
            Blob::new_with_buffer_source_sequence(&Array::of1(data)).map_err(|_| ClientError::Unsupported("Blob"))?
        } else {
            return Err(bad("data must be a Uint8Array, an ArrayBuffer, a Blob, a File or a ReadableStream"));
        };
        // Blob sizes are whole numbers far below 2^53.
        let len = blob.size() as u64;
        if options.length.is_some_and(|l| l != len) {
            return Err(bad("options.length differs from the data's length"));
        }
        Ok(Self { stream: blob.stream(), len })
    }
}

/// Seals `source` under the plan's write key and sends it; `content_length` is the bound length.
pub(crate) async fn send(
    plan: UploadPlan,
    source: Source,
    content_length: u64,
    options: &CallOptions,
) -> Result<(), ClientError> {
    let UploadPlan { write_key, url, headers, .. } = plan;
    let sealed = seal_stream(write_key, source.stream, source.len).await?;
    let progress = Rc::new(RefCell::new(options.progress(Some(source.len))));
    if !stages_uploads() {
        let reporter = progress.clone();
        let body = sealed.map(move |piece| {
            let piece = piece.map_err(|e| js_error(&e))?;
            reporter.borrow_mut().advance(piece.plaintext_len);
            Ok(JsValue::from(piece.bytes))
        });
        let body: JsValue = wasm_streams::ReadableStream::from_stream(body).into_raw().into();
        let mut headers = headers;
        headers.push(("content-length".into(), content_length.to_string()));
        return fetch::s3_put(&url, &headers, &body, options.signal.as_ref()).await;
    }

    let staging: Staging = await_js(Staging::open()).await?.unchecked_into();
    let staged = stage(&staging, sealed, options).await;
    let result = match staged {
        Ok(blob) => put(&url, &headers, &blob, source.len, content_length, &progress, options).await,
        Err(e) => Err(e),
    };
    let _ = JsFuture::from(staging.discard()).await;
    result
}

/// Writes every sealed piece to the staging area; the staged ciphertext as a `Blob`.
async fn stage(
    staging: &Staging,
    sealed: impl futures_util::Stream<Item = Result<super::encrypt::Sealed, ClientError>>,
    options: &CallOptions,
) -> Result<Blob, ClientError> {
    futures_util::pin_mut!(sealed);
    while let Some(piece) = sealed.next().await {
        options.check()?;
        await_js(staging.write(&piece?.bytes)).await?;
    }
    Ok(await_js(staging.finish()).await?.unchecked_into())
}

/// The presigned PUT of the staged `blob`, reporting plaintext progress from the bytes sent.
async fn put(
    url: &str,
    headers: &[(String, String)],
    blob: &Blob,
    plaintext_len: u64,
    content_length: u64,
    progress: &Rc<RefCell<super::options::Progress>>,
    options: &CallOptions,
) -> Result<(), ClientError> {
    let pairs: Array = headers.iter().map(|(n, v)| JsValue::from(Array::of2(&n.into(), &v.into()))).collect();
    let reporter = progress.clone();
    let on_sent = Closure::<dyn FnMut(f64)>::new(move |sent: f64| {
        // Ciphertext bytes sent, scaled to plaintext bytes (lengths far below 2^53).
        let share = (sent / content_length.max(1) as f64).clamp(0.0, 1.0);
        let loaded = (share * plaintext_len as f64).floor() as u64;
        reporter.borrow_mut().set_loaded(loaded.min(plaintext_len.saturating_sub(1)));
    });
    let sent = JsFuture::from(put_blob(url, &pairs, blob, on_sent.as_ref().unchecked_ref(), options.signal.clone()));
    let status = sent.await.map_err(|why| match why.as_string().as_deref() {
        Some("aborted") => ClientError::Aborted,
        _ => fetch::aborted_or(options.signal.as_ref(), ClientError::Network(Party::S3)),
    })?;
    match status.as_f64().map(|s| s as u16) {
        Some(200..=299) => {
            progress.borrow_mut().set_loaded(plaintext_len);
            Ok(())
        }
        Some(0) => Err(ClientError::Network(Party::S3)),
        Some(status) => Err(ClientError::S3 { status }),
        None => Err(ClientError::Internal("the upload returned no status")),
    }
}

/// Awaits a promise of `js/io.js`; a rejection is an internal error (they reject only on bugs).
async fn await_js(promise: Promise) -> Result<JsValue, ClientError> {
    JsFuture::from(promise).await.map_err(|_| ClientError::Unsupported("staging storage for uploads"))
}
