//! Where an object lives: checked settings, and URLs with the key percent-encoded as SigV4 expects.
//!
//! Keys are encoded once, per `/`-separated segment, keeping only `A-Z a-z 0-9 - _ . ~` — exactly the
//! canonical URI Amazon S3 (and `s3s`) recompute, so the signed path and the sent path are the same
//! string. Only a checked [`ObjectKey`] has a URL: the protocol's key check (no `.`, `..` or empty
//! segment, no control character or backslash, at most 1024 bytes) is what makes the path one that no
//! client library rewrites, and this module only encodes. It must never build a URL from unchecked
//! text, nor check key syntax a second way.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3gk_protocol::ObjectKey;

use super::{S3Error, S3Settings};

/// Everything but SigV4's unreserved characters is percent-encoded.
const SIGV4_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The longest expiry SigV4 allows for a presigned URL (7 days).
pub(super) const MAX_EXPIRY_SECS: u64 = 7 * 24 * 3600;

/// Percent-encodes `value` for a SigV4 URL (path segment or query value).
pub(super) fn encode(value: &str) -> String {
    utf8_percent_encode(value, SIGV4_UNRESERVED).to_string()
}

/// Encodes a checked key segment by segment.
fn encode_key(key: &ObjectKey) -> String {
    let key = key.as_str();
    let mut encoded = String::with_capacity(key.len() * 3);
    for (i, segment) in key.split('/').enumerate() {
        if i > 0 {
            encoded.push('/');
        }
        encoded.push_str(&encode(segment));
    }
    encoded
}

/// The two URL shapes of one bucket, computed once from checked settings.
#[derive(Clone, Debug)]
pub(super) struct BucketAddress {
    /// `scheme://authority` of the requests.
    origin: String,
    /// The path up to and including the bucket (path-style: `/bucket`; virtual-hosted: empty).
    bucket_path: String,
}

impl BucketAddress {
    /// Checks the settings that shape URLs and signatures.
    pub(super) fn new(settings: &S3Settings) -> Result<Self, S3Error> {
        let endpoint = &settings.endpoint;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(S3Error::Settings("endpoint must be http:// or https://"));
        }
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err(S3Error::Settings("endpoint must not carry credentials"));
        }
        if !matches!(endpoint.path(), "" | "/") || endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err(S3Error::Settings("endpoint must have no path, query or fragment"));
        }
        let host = match endpoint.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) if settings.path_style => ip.to_string(),
            Some(url::Host::Ipv6(ip)) if settings.path_style => format!("[{ip}]"),
            Some(_) => return Err(S3Error::Settings("virtual-hosted addressing needs a domain endpoint")),
            None => return Err(S3Error::Settings("endpoint has no host")),
        };
        let bucket = settings.bucket.as_str();
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.'])
            && !bucket.contains("..");
        if !bucket_ok {
            return Err(S3Error::Settings("bucket name is not a valid S3 bucket name"));
        }
        let region = settings.region.as_str();
        if region.is_empty() || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(S3Error::Settings("region must be like us-east-1"));
        }
        let key_id = settings.access_key_id.as_str();
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return Err(S3Error::Settings("access key id must be ASCII letters, digits, '-', '_' or '.'"));
        }
        if !(1..=MAX_EXPIRY_SECS).contains(&settings.presign_expiry_secs) {
            return Err(S3Error::Settings("presign expiry must be 1 second to 7 days"));
        }
        let port = endpoint.port().map(|p| format!(":{p}")).unwrap_or_default();
        let scheme = endpoint.scheme();
        Ok(if settings.path_style {
            Self { origin: format!("{scheme}://{host}{port}"), bucket_path: format!("/{bucket}") }
        } else {
            Self { origin: format!("{scheme}://{bucket}.{host}{port}"), bucket_path: String::new() }
        })
    }

    /// `scheme://authority` of every request.
    pub(super) fn origin(&self) -> &str {
        &self.origin
    }

    /// The URL of an object (no query).
    pub(super) fn object_url(&self, key: &ObjectKey) -> String {
        format!("{}{}/{}", self.origin, self.bucket_path, encode_key(key))
    }

    /// The URL of the bucket itself, for ListObjectsV2 (no query).
    pub(super) fn bucket_url(&self) -> String {
        if self.bucket_path.is_empty() {
            format!("{}/", self.origin)
        } else {
            format!("{}{}", self.origin, self.bucket_path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> ObjectKey {
        ObjectKey::parse(text).unwrap()
    }

    #[test]
    fn keys_are_encoded_per_segment() {
        assert_eq!(encode_key(&key("a/b c/é+%~_.-x")), "a/b%20c/%C3%A9%2B%25~_.-x");
        assert_eq!(encode_key(&key("x?y#z&=;")), "x%3Fy%23z%26%3D%3B");
        assert_eq!(encode_key(&key(&"k".repeat(1024))), "k".repeat(1024));
        // What a URL path must not hold never becomes an `ObjectKey`, so it never gets this far.
        for bad in ["", "/a", "a/", "a//b", "./a", "a/../b", "a/.", "a\nb", "a\u{7f}", "a\\b", &"k".repeat(1025)] {
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
