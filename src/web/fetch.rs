//! HTTP for the client: JSON calls to the gatekeeper and the vendor's co-signer, and presigned
//! requests to S3, all through `fetch` (sent with `gloo-net`).
//!
//! Requests are built as `web_sys::Request`s from the exact URL given: a presigned URL's query is
//! its signature, so it must reach S3 byte for byte (gloo-net's builder re-serializes URLs and
//! appends to their query). Only the co-sign call carries cookies (the page's `credentials`
//! choice); the gatekeeper and S3 are called without. Error answers become [`ClientError`]s with
//! the answering party's code; a presigned URL never appears in an error.

use js_sys::{Uint8Array, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, ReadableStream, RequestCache, RequestCredentials, RequestInit};

use crate::config::Credentials;
use crate::error::{ClientError, Party};
use s3gk_wire::ErrorAnswer;

/// One request.
struct Call<'a> {
    party: Party,
    method: &'a str,
    url: &'a str,
    credentials: RequestCredentials,
    headers: &'a [(String, String)],
    body: Option<&'a JsValue>,
}

impl Call<'_> {
    /// Sends the request; fails only if no HTTP answer came back.
    async fn send(&self) -> Result<web_sys::Response, ClientError> {
        let network = ClientError::Network(self.party);
        let init = RequestInit::new();
        init.set_method(self.method);
        init.set_credentials(self.credentials);
        init.set_cache(RequestCache::NoStore);
        let headers = Headers::new().map_err(|_| ClientError::Unsupported("fetch Headers"))?;
        for (name, value) in self.headers {
            headers.append(name, value).map_err(|_| ClientError::BadResponse(self.party, "an invalid header"))?;
        }
        init.set_headers(&headers);
        if let Some(body) = self.body {
            init.set_body(body);
        }
        let request = web_sys::Request::new_with_str_and_init(self.url, &init).map_err(|_| network.clone())?;
        let response = gloo_net::http::Request::from(request).send().await.map_err(|_| network)?;
        Ok(response.into())
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

/// `GET url`, expecting JSON of shape `T`.
pub(crate) async fn get_json<T: DeserializeOwned>(party: Party, url: &str) -> Result<T, ClientError> {
    let call = Call { party, method: "GET", url, credentials: RequestCredentials::Omit, headers: &[], body: None };
    json_answer(party, call.send().await?).await
}

/// `POST url` with a JSON body, expecting JSON of shape `T`.
pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
    party: Party,
    url: &str,
    body: &B,
    credentials: RequestCredentials,
) -> Result<T, ClientError> {
    let value =
        serde_wasm_bindgen::to_value(body).map_err(|_| ClientError::Internal("cannot convert a request body"))?;
    let text: JsValue =
        JSON::stringify(&value).map_err(|_| ClientError::Internal("cannot serialize a request body"))?.into();
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let call = Call { party, method: "POST", url, credentials, headers: &headers, body: Some(&text) };
    json_answer(party, call.send().await?).await
}

/// A 2xx answer's JSON as `T`, or the party's error.
async fn json_answer<T: DeserializeOwned>(party: Party, response: web_sys::Response) -> Result<T, ClientError> {
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    if !(200..300).contains(&status) {
        let error = json.and_then(|j| serde_wasm_bindgen::from_value::<ErrorAnswer>(j).ok());
        return Err(match error {
            Some(e) => ClientError::refused(party, &e.error.code, &e.error.message),
            None => ClientError::HttpStatus(party, status),
        });
    }
    let json = json.ok_or(ClientError::BadResponse(party, "the answer is not JSON"))?;
    serde_wasm_bindgen::from_value(json).map_err(|_| ClientError::BadResponse(party, "the answer has the wrong shape"))
}

/// A presigned GET: the body as it arrives, or `None` for an empty body.
pub(crate) async fn s3_get(url: &str) -> Result<Option<ReadableStream>, ClientError> {
    let call =
        Call { party: Party::S3, method: "GET", url, credentials: RequestCredentials::Omit, headers: &[], body: None };
    let response = call.send().await?;
    match response.status() {
        200 => Ok(response.body()),
        status => Err(ClientError::S3 { status }),
    }
}

/// A presigned PUT of `body` with the signed `headers`.
pub(crate) async fn s3_put(url: &str, headers: &[(String, String)], body: &Uint8Array) -> Result<(), ClientError> {
    let body: &JsValue = body.unchecked_ref();
    let call =
        Call { party: Party::S3, method: "PUT", url, credentials: RequestCredentials::Omit, headers, body: Some(body) };
    let response = call.send().await?;
    match response.status() {
        200..=299 => Ok(()),
        status => Err(ClientError::S3 { status }),
    }
}
