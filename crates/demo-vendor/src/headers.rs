//! The security headers on every answer of the demo vendor, the report page's included, and the
//! page's Content-Security-Policy, which is the example a vendor's own report page copies.
//!
//! The page decrypts the customer's data, so it runs nothing but its own scripts and the client's
//! WebAssembly module, talks to nothing but its own origin, the customer's gatekeeper and the
//! bucket's origin, shows images only from itself and from `blob:` URLs (the decrypted
//! screenshots), and frames nothing but the customer's isolated viewer (when it embeds one).
//! Every answer carries:
//!
//! - `Content-Security-Policy`: [`PagePolicy`];
//! - `X-Content-Type-Options: nosniff`: no answer is read as another type than the declared one;
//! - `Referrer-Policy: no-referrer`: a ticket's URL never leaves in a `Referer`;
//! - `Cross-Origin-Opener-Policy: same-origin`: a window the page opens, or that opens it, from
//!   another origin gets no handle on it.
//!
//! and `Cache-Control`: `no-store` on everything under `/api/` (its answers name the user, hold
//! co-signatures and audit entries; CORS preflights included), and `no-cache` (revalidate every
//! time) on the page's files unless a handler chose otherwise.
//!
//! This module must never allow `'unsafe-inline'`, `'unsafe-eval'`, a wildcard or a scheme-only
//! source other than `blob:` for images, and never leave an answer without these headers.

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use reqwest::Url;
use url::Host;

/// `Cross-Origin-Opener-Policy` (not among `http`'s named headers).
const CROSS_ORIGIN_OPENER_POLICY: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

/// The report page's Content-Security-Policy. Only [`PagePolicy::new`] builds one, from the
/// gatekeeper's and the bucket's URLs reduced to their exact origins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagePolicy {
    value: HeaderValue,
}

/// Why a URL cannot go into the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Not an absolute `http` or `https` URL with a host; names which URL.
    NotAnOrigin(&'static str),
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyError::NotAnOrigin(what) => write!(f, "{what}: expected an http or https URL with a host"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// The exact origin of `url` (`scheme://host[:port]`, the port only when it is not the default),
/// which is what a CSP source must be: a source with a path matches that path only.
fn origin(url: &str, what: &'static str) -> Result<String, PolicyError> {
    let parsed = Url::parse(url).map_err(|_| PolicyError::NotAnOrigin(what))?;
    // A URL's host may hold `*`, `;`, `,` or `'`, which mean something in a policy: a domain is
    // letters, digits, `-` and `.` only (after IDNA), or an IP address.
    let host_ok = match parsed.host() {
        Some(Host::Domain(domain)) => {
            !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
        None => false,
    };
    if !matches!(parsed.scheme(), "http" | "https") || !host_ok {
        return Err(PolicyError::NotAnOrigin(what));
    }
    Ok(parsed.origin().ascii_serialization())
}

impl PagePolicy {
    /// The policy for a page that calls the gatekeeper at `gatekeeper_url` and fetches objects
    /// from the bucket at `bucket_url` (the endpoint its presigned URLs use), and, with a
    /// `viewer_url`, embeds the customer's isolated viewer (`frame-src` and `child-src` that
    /// viewer's origin only). Paths are dropped: only the origins are allowed.
    pub fn new(gatekeeper_url: &str, bucket_url: &str, viewer_url: Option<&str>) -> Result<Self, PolicyError> {
        let gatekeeper = origin(gatekeeper_url, "gatekeeper URL")?;
        let bucket = origin(bucket_url, "bucket URL")?;
        let mut policy = vec![
            "default-src 'none'".to_owned(),
            "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
            format!("connect-src 'self' {gatekeeper} {bucket}"),
            "img-src 'self' blob:".to_owned(),
            "style-src 'self'".to_owned(),
        ];
        if let Some(viewer_url) = viewer_url {
            let viewer = origin(viewer_url, "viewer URL")?;
            policy.extend([format!("frame-src {viewer}"), format!("child-src {viewer}")]);
        }
        policy.extend(["frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"].map(str::to_owned));
        let policy = policy.join("; ");
        // An origin's ASCII serialization is printable ASCII without spaces or `;`.
        let value =
            HeaderValue::from_str(&policy).map_err(|_| PolicyError::NotAnOrigin("gatekeeper, bucket or viewer URL"))?;
        Ok(Self { value })
    }

    /// The header's value.
    pub fn as_str(&self) -> &str {
        self.value.to_str().expect("built from an ASCII string")
    }
}

/// Runs the request, then sets the security headers on its answer, replacing any value a handler
/// set (`Cache-Control` outside the API excepted).
pub(crate) async fn secure(State(policy): State<PagePolicy>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if api {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if !headers.contains_key(CACHE_CONTROL) {
        // Static files change while developing: revalidate every time.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    headers.insert(CONTENT_SECURITY_POLICY, policy.value);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CROSS_ORIGIN_OPENER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_exact_origins() {
        let policy =
            PagePolicy::new("https://gk.customer.example/prod/", "https://bucket.s3.eu-west-1.amazonaws.com", None)
                .expect("valid URLs");
        assert_eq!(
            policy.as_str(),
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
             connect-src 'self' https://gk.customer.example https://bucket.s3.eu-west-1.amazonaws.com; \
             img-src 'self' blob:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        );
        let local = PagePolicy::new("http://127.0.0.1:8081", "http://127.0.0.1:8082/", None).expect("valid URLs");
        assert!(local.as_str().contains("connect-src 'self' http://127.0.0.1:8081 http://127.0.0.1:8082;"));
        let default_port =
            PagePolicy::new("https://gk.example:443/x", "http://s3.example:80", None).expect("valid URLs");
        assert!(default_port.as_str().contains("connect-src 'self' https://gk.example http://s3.example;"));
        // With the isolated viewer: frames from the viewer's exact origin, nothing else.
        let viewer =
            PagePolicy::new("https://gk.example", "https://s3.example", Some("https://gk.example/prod/v1/viewer/"))
                .expect("valid URLs");
        assert!(
            viewer.as_str().contains("; style-src 'self'; frame-src https://gk.example; child-src https://gk.example; frame-ancestors 'none';"),
            "{}",
            viewer.as_str()
        );
    }

    #[test]
    fn what_is_not_an_origin_is_refused() {
        let bucket = "http://127.0.0.1:8082";
        for bad in [
            "",
            "gk.example",
            "*",
            "https://*.example",
            "https://a;b.example",
            "https://a,b.example",
            "https://a'b.example",
            "data:text/plain,x",
            "blob:https://a.example/x",
            "file:///tmp",
            "ftp://gk.example",
            "https://gk.example; script-src *",
        ] {
            let err = PagePolicy::new(bad, bucket, None).expect_err(bad);
            assert_eq!(err, PolicyError::NotAnOrigin("gatekeeper URL"), "{bad}");
            let err = PagePolicy::new(bucket, bucket, Some(bad)).expect_err(bad);
            assert_eq!(err, PolicyError::NotAnOrigin("viewer URL"), "{bad}");
        }
        assert_eq!(PagePolicy::new(bucket, "'unsafe-inline'", None), Err(PolicyError::NotAnOrigin("bucket URL")));
    }
}
