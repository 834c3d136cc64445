//! Refuses SigV4 requests carrying `x-amz-*` headers that their signature does not cover, as Amazon
//! S3 does.
//!
//! `s3s` checks a signature over the headers the request *names* as signed and then applies every
//! header it understands, signed or not: an unsigned `x-amz-copy-source` turns a presigned PUT into
//! a CopyObject, an unsigned `x-amz-meta-*` is stored. Amazon S3 answers such a request with
//! `403 AccessDenied`, "There were headers present in the request which were not signed", and a
//! `HeadersNotSigned` element naming them. This layer sits in front of `s3s` and does the same:
//!
//! - **Presigned** (`X-Amz-Signature` in the query): every `x-amz-*` header must be listed in
//!   `X-Amz-SignedHeaders`, except `x-amz-content-sha256`, which S3 lets a presigned request send
//!   unsigned (the URL signs `UNSIGNED-PAYLOAD`; the header only asks the server to check the body).
//! - **Header-signed** (`Authorization: AWS4-HMAC-SHA256 …`): every `x-amz-*` header must be listed in
//!   `SignedHeaders=`, `x-amz-content-sha256` and `x-amz-date` included, as S3's documentation for
//!   the `Authorization` header requires ("any x-amz-* headers that you plan to add to the request").
//! - SigV2 (`Authorization: AWS id:sig`, or `Signature` in the query) signs every `x-amz-*` header by
//!   construction, and anonymous requests are refused by `access`; both pass through unchanged.
//!
//! Which form `s3s` will check is decided the way `s3s` 0.14.1 decides it (query pairs decoded as
//! `application/x-www-form-urlencoded`, SigV2 before SigV4, query before header). A signed-header
//! list or `Authorization` header this module cannot read exactly is refused with `400`
//! (`AuthorizationQueryParametersError` or `AuthorizationHeaderMalformed`) rather than guessed at.
//!
//! It must never pass on a SigV4 request with an unsigned `x-amz-*` header (other than a presigned
//! request's `x-amz-content-sha256`), never panic on what a client sends, and never look at a
//! request's body: it answers before `s3s` authenticates or stores anything.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri};

/// The only header a presigned request may send unsigned.
const UNSIGNED_IN_PRESIGNED: &str = "x-amz-content-sha256";

/// What Amazon S3 says when `x-amz-*` headers are not signed.
const NOT_SIGNED_MESSAGE: &str = "There were headers present in the request which were not signed";

/// Wraps a service so that SigV4 requests with unsigned `x-amz-*` headers never reach it.
#[derive(Clone, Debug)]
pub(crate) struct RequireSignedHeaders<S> {
    inner: S,
}

impl<S> RequireSignedHeaders<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self { inner }
    }
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// These `x-amz-*` headers are present but not signed (sorted, each once).
    NotSigned(Vec<String>),
    /// `X-Amz-SignedHeaders` is missing, repeated or not a list of header names.
    BadQuery,
    /// The `Authorization` header is repeated, not UTF-8, or not one this module can read exactly.
    BadAuthorization,
}

/// How a request is signed, as far as `x-amz-*` headers are concerned.
enum Signing<'a> {
    /// Not SigV4, or not signed at all: nothing to check here.
    Other,
    /// Presigned SigV4 with this `X-Amz-SignedHeaders` value.
    Presigned(String),
    /// Header-signed SigV4 with this `Authorization` value.
    Header(&'a str),
}

/// How `s3s` will authenticate the request (see the module documentation).
fn signing<'a>(uri: &Uri, headers: &'a HeaderMap) -> Result<Signing<'a>, Refusal> {
    let pairs: Vec<(String, String)> = match uri.query() {
        Some(query) => form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        None => Vec::new(),
    };
    let has = |name: &str| pairs.iter().any(|(n, _)| n == name);
    if has("Signature") {
        return Ok(Signing::Other); // SigV2 presigned
    }
    if has("X-Amz-Signature") {
        let mut lists = pairs.into_iter().filter(|(n, _)| n == "X-Amz-SignedHeaders").map(|(_, v)| v);
        return match (lists.next(), lists.next()) {
            (Some(list), None) => Ok(Signing::Presigned(list)),
            _ => Err(Refusal::BadQuery),
        };
    }
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Ok(Signing::Other),
        (Some(value), None) => std::str::from_utf8(value.as_bytes()).map_err(|_| Refusal::BadAuthorization)?,
        (Some(_), Some(_)) => return Err(Refusal::BadAuthorization),
    };
    // `s3s` reads SigV2 first: `AWS ` then `id:signature`.
    if value.strip_prefix("AWS ").is_some_and(|rest| rest.contains(':')) {
        return Ok(Signing::Other);
    }
    Ok(Signing::Header(value))
}

/// A `;`-separated list of lower-case header names, each non-empty; `None` for anything else.
fn header_list(list: &str) -> Option<Vec<&str>> {
    let tchar = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
    let names: Vec<&str> = list.split(';').collect();
    names.iter().all(|n| !n.is_empty() && n.bytes().all(tchar)).then_some(names)
}

/// The `SignedHeaders` of `AWS4-HMAC-SHA256 Credential=id/date/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`, read strictly enough that `s3s`'s more lenient parser cannot
/// find a different list in the same text.
fn authorization_signed_headers(value: &str) -> Option<Vec<&str>> {
    let blank = |c: char| c == ' ' || c == '\t';
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?;
    let rest = rest.strip_prefix(blank)?.trim_start_matches(blank).strip_prefix("Credential=")?;
    let (credential, rest) = rest.split_once(',')?;
    let parts: Vec<&str> = credential.split('/').collect();
    let credential_ok = parts.len() == 5
        && parts.last() == Some(&"aws4_request")
        && parts.iter().all(|p| !p.is_empty() && !p.contains(|c: char| c.is_ascii_whitespace()));
    if !credential_ok {
        return None;
    }
    let rest = rest.trim_start_matches(blank).strip_prefix("SignedHeaders=")?;
    let (list, rest) = rest.split_once(',')?;
    let signature = rest.trim_start_matches(blank).strip_prefix("Signature=")?.trim_end_matches(blank);
    let signature_ok = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if !signature_ok {
        return None;
    }
    header_list(list)
}

/// Checks the request line and headers (see the module documentation).
fn check(uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
    match signing(uri, headers)? {
        Signing::Other => Ok(()),
        Signing::Presigned(list) => {
            unsigned(headers, &header_list(&list).ok_or(Refusal::BadQuery)?, &[UNSIGNED_IN_PRESIGNED])
        }
        Signing::Header(value) => {
            unsigned(headers, &authorization_signed_headers(value).ok_or(Refusal::BadAuthorization)?, &[])
        }
    }
}

/// `Err` naming the `x-amz-*` headers present that are neither in `signed` nor in `may_go_unsigned`.
fn unsigned(headers: &HeaderMap, signed: &[&str], may_go_unsigned: &[&str]) -> Result<(), Refusal> {
    let mut missing: Vec<String> = headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-amz-") && !signed.contains(name) && !may_go_unsigned.contains(name))
        .map(str::to_owned)
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Refusal::NotSigned(missing))
    }
}

/// `text` with the characters XML gives meaning to escaped.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl Refusal {
    /// The answer Amazon S3 gives, as an S3 error document.
    fn response(&self) -> Response<s3s::Body> {
        let (status, code, message, extra) = match self {
            Refusal::NotSigned(names) => (
                StatusCode::FORBIDDEN,
                "AccessDenied",
                NOT_SIGNED_MESSAGE,
                format!("<HeadersNotSigned>{}</HeadersNotSigned>", xml_text(&names.join(", "))),
            ),
            Refusal::BadQuery => (
                StatusCode::BAD_REQUEST,
                "AuthorizationQueryParametersError",
                "X-Amz-SignedHeaders must appear once, as a ';'-separated list of lower-case header names.",
                String::new(),
            ),
            Refusal::BadAuthorization => (
                StatusCode::BAD_REQUEST,
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed.",
                String::new(),
            ),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
        );
        let mut response = Response::new(s3s::Body::from(body));
        *response.status_mut() = status;
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        response
    }
}

impl<S, B> tower::Service<Request<B>> for RequireSignedHeaders<S>
where
    S: tower::Service<Request<B>, Response = Response<s3s::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<s3s::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match check(request.uri(), request.headers()) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(refusal) => Box::pin(std::future::ready(Ok(refusal.response()))),
        }
    }
}

#[cfg(test)]
mod tests;
