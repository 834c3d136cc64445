//! S3 access: SigV4 presigned GET and PUT URLs, and header-signed ListObjectsV2 and HeadObject.
//!
//! This is the gatekeeper's only S3 code, and the only place the bucket's credentials are used.
//! Presigning is pure (the time comes in as an argument); listing and the existence check do I/O.
//! Every key here is a checked [`ObjectKey`] or [`KeyPrefix`]: a request's key was checked by the
//! protocol's verification, and a key S3 lists passes the same check before it is returned, so
//! nothing unchecked is ever presigned or given key material.
//! A presigned PUT binds the exact length, asks for SSE-S3 (`AES256`), refuses to overwrite
//! (`If-None-Match: *`) and, given a SHA-256, binds the body's hash too.
//!
//! It must never log or display a secret, a session token or a presigned URL's signature: errors
//! carry stable codes and S3's error *code* only, and [`PresignedRequest`]'s `Debug` hides the query.

mod address;
mod error;
mod xml;

use core::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use s3gk_protocol::{KeyPrefix, ObjectKey};

use self::address::{encode, BucketAddress};
pub use self::error::S3Error;
use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;

/// Where the bucket is and how to sign for it. Amazon S3 and a local S3-compatible server differ
/// only in these values.
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// The endpoint, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
    pub endpoint: url::Url,
    /// The signing region, e.g. `eu-west-1`.
    pub region: String,
    /// The bucket name.
    pub bucket: String,
    /// Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`).
    pub path_style: bool,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret<String>,
    /// A session token, for temporary credentials (Lambda roles).
    pub session_token: Option<Secret<String>>,
    /// How long presigned URLs stay valid, in seconds.
    pub presign_expiry_secs: u64,
}

impl S3Settings {
    /// The origin of this bucket's presigned URLs (`scheme://host[:port]`, as a browser writes
    /// it): what a page that fetches them must be allowed to connect to.
    pub fn bucket_origin(&self) -> Result<String, S3Error> {
        BucketAddress::new(self).map(|address| address.origin().to_owned())
    }
}

/// ListObjectsV2's default and largest page size.
pub const DEFAULT_LIST_PAGE_SIZE: u16 = 1000;
/// Time to open a connection to S3.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request to S3.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The largest answer read from S3 (a full page of long keys is about 1.5 MB).
const MAX_ANSWER_BYTES: usize = 8 << 20;
/// SHA-256 of the empty body, the payload hash of every request this client sends.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A presigned request: what the client must send for S3 to accept it.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    /// `GET` or `PUT`.
    pub method: &'static str,
    /// The URL, signature included in the query. Never log it.
    pub url: String,
    /// Headers the client must send exactly as given: they are signed. (`content-length` is sent by
    /// the HTTP stack itself from the body; browsers refuse to set it by hand.)
    pub headers: Vec<(String, String)>,
    /// When the URL stops working, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let without_query = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("PresignedRequest")
            .field("method", &self.method)
            .field("url", &format_args!("{without_query}?<signed>"))
            .field("headers", &self.headers)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An object found by [`S3Client::list_objects`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    /// The full key, checked as any object key is.
    pub key: ObjectKey,
    /// Its size in bytes.
    pub size: u64,
}

/// Signs for one bucket. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct S3Client {
    settings: Arc<S3Settings>,
    address: BucketAddress,
    identity: Identity,
    http: reqwest::Client,
    list_page_size: u16,
    /// The time header-signed requests (listing, existence checks) are signed at.
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for S3Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Client").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl S3Client {
    /// Checks `settings` and builds the HTTP client.
    pub fn new(settings: S3Settings) -> Result<Self, S3Error> {
        let address = BucketAddress::new(&settings)?;
        let credentials = aws_credential_types::Credentials::new(
            settings.access_key_id.clone(),
            settings.secret_access_key.expose().clone(),
            settings.session_token.as_ref().map(|t| t.expose().clone()),
            None,
            "s3gk-gatekeeper",
        );
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| S3Error::Settings("cannot build the HTTP client"))?;
        Ok(Self {
            settings: Arc::new(settings),
            address,
            identity: credentials.into(),
            http,
            list_page_size: DEFAULT_LIST_PAGE_SIZE,
            clock: Arc::new(SystemClock),
        })
    }

    /// Signs header-signed requests at `clock`'s time (presigned ones take their time as an
    /// argument).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets ListObjectsV2's page size (`max-keys`), clamped to 1..=1000. Tests use small pages.
    #[must_use]
    pub fn with_list_page_size(mut self, page_size: u16) -> Self {
        self.list_page_size = page_size.clamp(1, DEFAULT_LIST_PAGE_SIZE);
        self
    }

    /// The settings this client signs with.
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// A presigned GET of `key`, valid from `now` for the configured expiry.
    pub fn presign_get(&self, key: &ObjectKey, now: SystemTime) -> Result<PresignedRequest, S3Error> {
        self.presign("GET", key, Vec::new(), now)
    }

    /// A presigned PUT of `key`. Binds the exact content length; asks for SSE
    /// `x-amz-server-side-encryption: AES256`; refuses to overwrite (`If-None-Match: *`); binds the
    /// SHA-256 when given, twice: `x-amz-checksum-sha256` (base64; Amazon S3 verifies it before it
    /// stores the object, and keeps it) and `x-amz-content-sha256` (hex; `s3s` verifies it as the body
    /// streams in, before storing — its checksum check runs only after the object is written).
    /// Pins `Content-Type: application/octet-stream` (the object is ciphertext) and, when given,
    /// carries the plaintext's media type as `x-amz-meta-content-type`.
    pub fn presign_put(
        &self,
        key: &ObjectKey,
        content_length: u64,
        sha256: Option<[u8; 32]>,
        content_type: Option<&str>,
        now: SystemTime,
    ) -> Result<PresignedRequest, S3Error> {
        // The stored bytes are ciphertext, so their Content-Type is pinned; the plaintext's media
        // type, when the signed request names one, travels as user metadata, which browsers never
        // use to render a response.
        let mut headers = vec![
            ("content-length".to_owned(), content_length.to_string()),
            ("content-type".to_owned(), "application/octet-stream".to_owned()),
            ("if-none-match".to_owned(), "*".to_owned()),
            ("x-amz-server-side-encryption".to_owned(), "AES256".to_owned()),
        ];
        if let Some(ct) = content_type {
            headers.push(("x-amz-meta-content-type".to_owned(), ct.to_owned()));
        }
        if let Some(digest) = sha256 {
            headers
                .push(("x-amz-checksum-sha256".to_owned(), base64::engine::general_purpose::STANDARD.encode(digest)));
            headers.push(("x-amz-content-sha256".to_owned(), hex::encode(digest)));
        }
        self.presign("PUT", key, headers, now)
    }

    fn presign(
        &self,
        method: &'static str,
        key: &ObjectKey,
        headers: Vec<(String, String)>,
        now: SystemTime,
    ) -> Result<PresignedRequest, S3Error> {
        let expiry = self.settings.presign_expiry_secs;
        let unix_now = now.duration_since(UNIX_EPOCH).map_err(|_| S3Error::Signing)?.as_secs();
        let url = self.address.object_url(key);
        let mut settings = signing_settings(SignatureLocation::QueryParams);
        settings.expires_in = Some(Duration::from_secs(expiry));
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let params = self.signing_params(settings, now)?;
        let request = SignableRequest::new(method, url.as_str(), pairs, SignableBody::UnsignedPayload)
            .map_err(|_| S3Error::Signing)?;
        let (instructions, _signature) = sign(request, &params).map_err(|_| S3Error::Signing)?.into_parts();
        let (_, query) = instructions.into_parts();
        let query: Vec<String> =
            query.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect();
        Ok(PresignedRequest {
            method,
            url: format!("{url}?{}", query.join("&")),
            headers,
            expires_at: unix_now.saturating_add(expiry),
        })
    }

    fn signing_params(
        &self,
        settings: SigningSettings,
        now: SystemTime,
    ) -> Result<aws_sigv4::http_request::SigningParams<'_>, S3Error> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.settings.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|_| S3Error::Signing)?;
        Ok(params.into())
    }

    /// Sends a header-signed request with an empty body; any HTTP answer is returned as it is.
    async fn send_signed(&self, method: reqwest::Method, url: &str) -> Result<reqwest::Response, S3Error> {
        let mut settings = signing_settings(SignatureLocation::Headers);
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = self.signing_params(settings, self.clock.now())?;
        let body = SignableBody::Precomputed(EMPTY_SHA256.to_owned());
        let request =
            SignableRequest::new(method.as_str(), url, std::iter::empty(), body).map_err(|_| S3Error::Signing)?;
        let (instructions, _signature) = sign(request, &params).map_err(|_| S3Error::Signing)?.into_parts();
        let mut builder = self.http.request(method, url);
        for (name, value) in instructions.headers() {
            builder = builder.header(name, value);
        }
        builder
            .send()
            .await
            .map_err(|e| S3Error::Unavailable(if e.is_timeout() { "timeout" } else { "connection failed" }))
    }

    /// Lists every object whose key starts with `prefix` (ListObjectsV2, following continuation
    /// tokens), failing with [`S3Error::TooManyObjects`] rather than returning more than `max`.
    /// Each listed key must start with the prefix ([`S3Error::BadResponse`] otherwise) and, once
    /// the listing is complete, pass the object key check ([`S3Error::InvalidKey`] otherwise): a
    /// listing with one unchecked key is refused whole.
    pub async fn list_objects(&self, prefix: &KeyPrefix, max: usize) -> Result<Vec<ListedObject>, S3Error> {
        let prefix = prefix.as_str();
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            // Ask for one more than still fits, so that overflow shows up without reading further.
            let wanted = max.saturating_sub(objects.len()).saturating_add(1);
            let max_keys = wanted.min(usize::from(self.list_page_size));
            let mut url =
                format!("{}?list-type=2&max-keys={max_keys}&prefix={}", self.address.bucket_url(), encode(prefix));
            if let Some(token) = &token {
                url.push_str(&format!("&continuation-token={}", encode(token)));
            }
            let answer = self.send_signed(reqwest::Method::GET, &url).await?;
            let status = answer.status();
            let body = read_limited(answer).await?;
            if !status.is_success() {
                return Err(refusal(status, &body));
            }
            let page = xml::parse_list_page(&body).map_err(S3Error::BadResponse)?;
            if page.objects.iter().any(|o| !o.key.starts_with(prefix)) {
                return Err(S3Error::BadResponse("listed a key outside the prefix"));
            }
            if objects.len().saturating_add(page.objects.len()) > max {
                return Err(S3Error::TooManyObjects { max });
            }
            let page_was_empty = page.objects.is_empty();
            objects.extend(page.objects);
            if !page.is_truncated {
                return objects.into_iter().map(checked).collect();
            }
            if page_was_empty {
                return Err(S3Error::BadResponse("empty page marked truncated"));
            }
            match page.next_continuation_token {
                Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                _ => return Err(S3Error::BadResponse("truncated listing without a new continuation token")),
            }
        }
    }

    /// Whether `key` exists (a signed HeadObject: 200 yes, 404 no, anything else an error).
    /// Amazon S3 answers 403 instead of 404 when the credentials may not list the bucket.
    pub async fn object_exists(&self, key: &ObjectKey) -> Result<bool, S3Error> {
        let url = self.address.object_url(key);
        let answer = self.send_signed(reqwest::Method::HEAD, &url).await?;
        match answer.status() {
            s if s.is_success() => Ok(true),
            reqwest::StatusCode::NOT_FOUND => Ok(false),
            s => Err(refusal(s, &[])),
        }
    }
}

/// A listed object whose key passed the object key check, the same check as a requested key's.
fn checked(object: xml::PageObject) -> Result<ListedObject, S3Error> {
    let key = ObjectKey::parse(&object.key).map_err(|_| S3Error::InvalidKey)?;
    Ok(ListedObject { key, size: object.size })
}

/// The signing settings S3 needs: single percent-encoding of the (already encoded) path, no path
/// normalisation.
fn signing_settings(location: SignatureLocation) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings
}

/// The error for a non-success answer: server errors mean S3 is unavailable.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> S3Error {
    if status.is_server_error() {
        return S3Error::Unavailable("server error");
    }
    S3Error::Refused { status: status.as_u16(), code: xml::parse_error_code(body) }
}

/// Reads an answer's body, refusing one larger than [`MAX_ANSWER_BYTES`].
async fn read_limited(mut answer: reqwest::Response) -> Result<Vec<u8>, S3Error> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|_| S3Error::Unavailable("answer interrupted"))? {
        if body.len().saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
            return Err(S3Error::BadResponse("answer too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
