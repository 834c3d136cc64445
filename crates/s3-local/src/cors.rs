//! The bucket CORS rule a browser needs to fetch and upload with presigned URLs.
//!
//! `s3s` has no bucket CORS, so the whole service is wrapped in tower-http's [`CorsLayer`], configured
//! like the CORS rule a customer puts on the bucket: GET, PUT and HEAD from an **exact** list of
//! origins, the request headers a presigned PUT signs, and `ETag` and the stored media type
//! (`x-amz-meta-content-type`) exposed. Preflights are answered here.
//!
//! It must never match origins by suffix or pattern, and never allow any origin (`*`): a lookalike
//! origin such as `https://app.example.evil.com` gets no `access-control-allow-origin`.

use std::io;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::Method;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The request headers a browser may send with a presigned request.
const ALLOWED_HEADERS: [&str; 4] =
    ["x-amz-server-side-encryption", "x-amz-checksum-sha256", "x-amz-content-sha256", "x-amz-meta-content-type"];

/// The user metadata a reading page may see: the media type the put signed.
const EXPOSED_META: &str = "x-amz-meta-content-type";

/// How long a browser may cache a preflight answer.
const MAX_AGE: Duration = Duration::from_secs(600);

/// Checks that `origin` is a bare `scheme://host[:port]` origin, as browsers send it.
fn parse_origin(origin: &str) -> io::Result<HeaderValue> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("CORS origin {origin:?}: {why}"));
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| invalid("must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['/', '*', '?', '#', '@', ' ']) {
        return Err(invalid("must be scheme://host[:port], with no path, wildcard or user"));
    }
    if origin.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(invalid("must be lower case, as browsers send it"));
    }
    HeaderValue::from_str(origin).map_err(|_| invalid("not a valid header value"))
}

/// A CORS layer allowing exactly `origins` (each compared byte for byte with the `Origin` header).
pub(crate) fn layer(origins: &[String]) -> io::Result<CorsLayer> {
    let origins = origins.iter().map(|o| parse_origin(o)).collect::<io::Result<Vec<_>>>()?;
    let mut headers = vec![CONTENT_TYPE, IF_NONE_MATCH];
    headers.extend(ALLOWED_HEADERS.iter().map(|h| HeaderName::from_static(h)));
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::PUT, Method::HEAD])
        .allow_headers(headers)
        .expose_headers([ETAG, HeaderName::from_static(EXPOSED_META)])
        .max_age(MAX_AGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_exact() {
        assert!(parse_origin("https://app.example").is_ok());
        assert!(parse_origin("http://127.0.0.1:8080").is_ok());
        for bad in ["*", "https://*.example", "https://app.example/", "app.example", "https://", "HTTPS://A.example"] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
