//! Shared by s3-local's integration tests: a loopback server with one bucket, SigV4 signing with
//! the settings the gatekeeper uses (presigned and header-signed), and a raw HTTP/1.1 client for
//! paths a URL library would normalise.

// Test code: a failed unwrap or index is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, dead_code, unreachable_pub)]

use std::io::{Read as _, Write as _};
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3gk_s3_local::{LocalS3, LocalS3Config};
use sha2::{Digest, Sha256};

pub const BUCKET: &str = "reports";

/// Header or query pairs.
type Pairs = Vec<(String, String)>;

/// What a key segment keeps unencoded: S3's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub struct Server {
    _dir: tempfile::TempDir,
    pub s3: LocalS3,
    http: reqwest::Client,
}

/// An answer: status and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The text of the XML error's `element`, if there is one.
    pub fn element(&self, element: &str) -> Option<&str> {
        let open = format!("<{element}>");
        let start = self.body.find(&open)? + open.len();
        let len = self.body[start..].find(&format!("</{element}>"))?;
        Some(&self.body[start..start + len])
    }
}

pub async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LocalS3Config::loopback(dir.path().join("s3"));
    config.buckets = vec![BUCKET.to_owned(), "other".to_owned()];
    let s3 = LocalS3::start(config).await.unwrap();
    Server { _dir: dir, s3, http: reqwest::Client::new() }
}

/// `key` percent-encoded segment by segment, as the gatekeeper encodes it.
pub fn encode_key(key: &str) -> String {
    key.split('/').map(|s| utf8_percent_encode(s, SEGMENT).to_string()).collect::<Vec<_>>().join("/")
}

fn settings(location: SignatureLocation) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings
}

impl Server {
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("{}/{bucket}/{}", self.s3.endpoint(), encode_key(key))
    }

    fn identity(&self) -> Identity {
        aws_credential_types::Credentials::new(self.s3.access_key(), self.s3.secret_key(), None, None, "test").into()
    }

    fn signed(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: SignableBody<'_>,
        mut settings: SigningSettings,
    ) -> (Pairs, Pairs) {
        settings.expires_in = Some(Duration::from_secs(300));
        let identity = self.identity();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.s3.region())
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let request = SignableRequest::new(method, url, headers.iter().copied(), body).unwrap();
        let (instructions, _) = sign(request, &params).unwrap().into_parts();
        let (headers, query) = instructions.into_parts();
        let headers = headers.into_iter().map(|h| (h.name().to_owned(), h.value().to_owned())).collect();
        let query = query.into_iter().map(|(n, v)| (n.to_owned(), v.into_owned())).collect();
        (headers, query)
    }

    /// A presigned URL for `method` on `url`, signing `host` and exactly `signed`.
    pub fn presign_url(&self, method: &str, url: &str, signed: &[(&str, &str)]) -> String {
        let (_, query) =
            self.signed(method, url, signed, SignableBody::UnsignedPayload, settings(SignatureLocation::QueryParams));
        let query: Vec<String> =
            query.iter().map(|(n, v)| format!("{n}={}", utf8_percent_encode(v, SEGMENT))).collect();
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}{}", query.join("&"))
    }

    /// A presigned URL for `method` on `key` in the test bucket.
    pub fn presign(&self, method: &str, key: &str, signed: &[(&str, &str)]) -> String {
        self.presign_url(method, &self.object_url(BUCKET, key), signed)
    }

    /// The headers to add for a header-signed request carrying `signed` and `body`: `authorization`,
    /// `x-amz-date` and `x-amz-content-sha256`.
    pub fn sign_headers(&self, method: &str, url: &str, signed: &[(&str, &str)], body: &[u8]) -> Vec<(String, String)> {
        let mut settings = settings(SignatureLocation::Headers);
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let hash = hex::encode(Sha256::digest(body));
        self.signed(method, url, signed, SignableBody::Precomputed(hash), settings).0
    }

    /// Sends a request with `headers` (plus `content-length` for a body).
    pub async fn send(&self, method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
        let mut builder = self.http.request(method.parse().unwrap(), url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(body) = body {
            builder = builder.header("content-length", body.len()).body(body.to_vec());
        }
        let answer = builder.send().await.unwrap();
        Answer { status: answer.status().as_u16(), body: answer.text().await.unwrap() }
    }

    /// A presigned PUT of `body` to `key`, signing its length, sent with exactly those headers.
    pub async fn put(&self, key: &str, body: &[u8]) -> Answer {
        let length = body.len().to_string();
        let url = self.presign("PUT", key, &[("content-length", &length)]);
        self.send("PUT", &url, &[], Some(body)).await
    }

    pub async fn get(&self, key: &str) -> Answer {
        self.send("GET", &self.presign("GET", key, &[]), &[], None).await
    }

    pub async fn head(&self, key: &str) -> Answer {
        self.send("HEAD", &self.presign("HEAD", key, &[]), &[], None).await
    }

    pub async fn delete(&self, key: &str) -> Answer {
        self.send("DELETE", &self.presign("DELETE", key, &[]), &[], None).await
    }

    /// A header-signed ListObjectsV2 of the test bucket under `prefix`.
    pub async fn list(&self, prefix: &str) -> Answer {
        let url =
            format!("{}/{BUCKET}?list-type=2&prefix={}", self.s3.endpoint(), utf8_percent_encode(prefix, SEGMENT));
        let signed = self.sign_headers("GET", &url, &[], b"");
        let headers: Vec<(&str, &str)> = signed.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        self.send("GET", &url, &headers, None).await
    }

    /// Sends `method path` as written (no URL normalisation) over a fresh connection.
    pub async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let addr = self.s3.local_addr();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        let text = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(&bytes).unwrap();
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).unwrap();
            String::from_utf8_lossy(&answer).into_owned()
        })
        .await
        .unwrap();
        let status = text.split(' ').nth(1).unwrap().parse().unwrap();
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Answer { status, body }
    }
}
