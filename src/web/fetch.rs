//! HTTP for the client: JSON calls to the gatekeeper and the vendor's co-signer, and presigned
//! requests to S3, all through the global `fetch` (a page, a worker, or Node 20+).
//!
//! Requests are built from the exact URL given: a presigned URL's query is its signature, so it
//! must reach S3 byte for byte. Only the co-sign call carries cookies (the page's `credentials`
//! choice) and the configured `cosignHeaders`; the gatekeeper and S3 are called without. Every
//! call takes the caller's `AbortSignal`. Error answers become [`ClientError`]s with the answering
//! party's code and HTTP status; a presigned URL never appears in an error.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStream, RequestCache, RequestCredentials, RequestInit, Response};

use super::wire_js::{self, Shape};
use crate::config::Credentials;
use crate::error::{ClientError, Party};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`: `window.fetch`, a worker's, or Node's.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> Promise;
}

/// One request.
pub(crate) struct Call<'a> {
    pub(crate) party: Party,
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) credentials: RequestCredentials,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a JsValue>,
    pub(crate) signal: Option<&'a AbortSignal>,
}

impl<'a> Call<'a> {
    /// A call without credentials, headers, body or signal.
    pub(crate) fn new(party: Party, method: &'a str, url: &'a str, signal: Option<&'a AbortSignal>) -> Self {
        Self { party, method, url, credentials: RequestCredentials::Omit, headers: &[], body: None, signal }
    }

    /// Sends the request; fails only if no HTTP answer came back.
    pub(crate) async fn send(&self) -> Result<Response, ClientError> {
        let network = || self.failure(ClientError::Network(self.party));
        let init = RequestInit::new();
        init.set_method(self.method);
        init.set_credentials(self.credentials);
        init.set_cache(RequestCache::NoStore);
        init.set_signal(self.signal);
        let headers = Headers::new().map_err(|_| ClientError::Unsupported("fetch Headers"))?;
        for (name, value) in self.headers {
            headers.append(name, value).map_err(|_| ClientError::BadResponse(self.party, "an invalid header"))?;
        }
        init.set_headers(&headers);
        if let Some(body) = self.body {
            init.set_body(body);
            if body.is_instance_of::<ReadableStream>() {
                // A streamed request body (Node); the length is bound by the signed headers.
                let _ = Reflect::set(&init, &JsValue::from_str("duplex"), &JsValue::from_str("half"));
            }
        }
        let request = web_sys::Request::new_with_str_and_init(self.url, &init).map_err(|_| network())?;
        let response = JsFuture::from(global_fetch(&request)).await.map_err(|_| network())?;
        response.dyn_into().map_err(|_| ClientError::BadResponse(self.party, "fetch returned no Response"))
    }

    /// `aborted` when the signal fired, else `error`.
    pub(crate) fn failure(&self, error: ClientError) -> ClientError {
        aborted_or(self.signal, error)
    }
}

/// `aborted` when `signal` fired, else `error`.
pub(crate) fn aborted_or(signal: Option<&AbortSignal>, error: ClientError) -> ClientError {
    match signal {
        Some(signal) if signal.aborted() => ClientError::Aborted,
        _ => error,
    }
}

/// `credentials` for `fetch`.
pub(crate) fn credentials(c: Credentials) -> RequestCredentials {
    match c {
        Credentials::Include => RequestCredentials::Include,
        Credentials::SameOrigin => RequestCredentials::SameOrigin,
        Credentials::Omit => RequestCredentials::Omit,
    }
}

/// `GET url`, expecting JSON that `read` accepts.
pub(crate) async fn get_json<T>(
    party: Party,
    url: &str,
    signal: Option<&AbortSignal>,
    read: fn(&JsValue) -> Shape<T>,
) -> Result<T, ClientError> {
    let call = Call::new(party, "GET", url, signal);
    json_answer(&call, call.send().await?, read).await
}

/// `POST url` with the JSON text `body` and `extra_headers`, expecting JSON that `read` accepts.
pub(crate) async fn post_json<T>(
    mut call: Call<'_>,
    body: Option<String>,
    extra_headers: &[(String, String)],
    read: fn(&JsValue) -> Shape<T>,
) -> Result<T, ClientError> {
    let text = JsValue::from(body.ok_or(ClientError::Internal("cannot serialize a request body"))?);
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend_from_slice(extra_headers);
    call.headers = &headers;
    call.body = Some(&text);
    let response = call.send().await?;
    json_answer(&call, response, read).await
}

/// A 2xx answer's JSON read by `read`, or the party's error.
async fn json_answer<T>(call: &Call<'_>, response: Response, read: fn(&JsValue) -> Shape<T>) -> Result<T, ClientError> {
    let party = call.party;
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    call.signal.map_or(Ok(()), |s| if s.aborted() { Err(ClientError::Aborted) } else { Ok(()) })?;
    if !(200..300).contains(&status) {
        let error = json.and_then(|j| wire_js::error_answer(&j).ok());
        return Err(match error {
            Some(e) => ClientError::refused(party, status, &e.error.code, &e.error.message),
            None => ClientError::HttpStatus(party, status),
        });
    }
    let json = json.ok_or(ClientError::BadResponse(party, "the answer is not JSON"))?;
    read(&json).map_err(|_| ClientError::BadResponse(party, "the answer has the wrong shape"))
}

/// What a presigned GET brought: the body as it arrives, the stored media type and the length.
pub(crate) struct S3Object {
    pub(crate) body: Option<ReadableStream>,
    pub(crate) content_type: Option<String>,
    pub(crate) length: Option<u64>,
}

/// A presigned GET.
pub(crate) async fn s3_get(url: &str, signal: Option<&AbortSignal>) -> Result<S3Object, ClientError> {
    let response = Call::new(Party::S3, "GET", url, signal).send().await?;
    if response.status() != 200 {
        return Err(ClientError::S3 { status: response.status() });
    }
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    Ok(S3Object {
        content_type: header("x-amz-meta-content-type"),
        length: header("content-length").and_then(|l| l.trim().parse().ok()),
        body: response.body(),
    })
}

/// A presigned PUT of `body` (a `Blob` or a `ReadableStream`) with the signed `headers`.
pub(crate) async fn s3_put(
    url: &str,
    headers: &[(String, String)],
    body: &JsValue,
    signal: Option<&AbortSignal>,
) -> Result<(), ClientError> {
    let call = Call { headers, body: Some(body), ..Call::new(Party::S3, "PUT", url, signal) };
    let response = call.send().await?;
    match response.status() {
        200..=299 => Ok(()),
        status => Err(ClientError::S3 { status }),
    }
}
