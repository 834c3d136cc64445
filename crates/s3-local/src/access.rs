//! Which authenticated requests the local server serves: those signed for its region.
//!
//! `s3s` verifies signatures with whatever region the credential scope names. Amazon S3 refuses a
//! scope for another region (`400 AuthorizationHeaderMalformed`, or `AuthorizationQueryParametersError`
//! for a presigned URL), so a client configured with the wrong region fails here as it would there.
//!
//! It must never let an unauthenticated request through: this replaces `s3s`'s default check, which
//! refuses requests without credentials, and keeps that refusal.

use http::{HeaderMap, Uri};
use percent_encoding::percent_decode_str;
use s3s::access::{S3Access, S3AccessContext};
use s3s::{S3Error, S3ErrorCode, S3Result};

/// Serves any request `s3s` authenticated whose SigV4 scope names `region`.
pub(crate) struct RegionCheck {
    pub(crate) region: String,
}

/// Where a request's SigV4 credential scope was found.
enum Scope {
    Query(String),
    Header(String),
}

/// The credential (`AKID/date/region/s3/aws4_request`) of a SigV4 request, if it is one.
fn credential(uri: &Uri, headers: &HeaderMap) -> Option<Scope> {
    let from_query = uri.query().into_iter().flat_map(|q| q.split('&')).find_map(|pair| {
        let value = pair.strip_prefix("X-Amz-Credential=")?;
        Some(Scope::Query(percent_decode_str(value).decode_utf8().ok()?.into_owned()))
    });
    from_query.or_else(|| {
        let authorization = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
        let rest = authorization.strip_prefix("AWS4-HMAC-SHA256")?;
        let start = rest.find("Credential=")?;
        let credential = rest.get(start + "Credential=".len()..)?.split(',').next()?;
        Some(Scope::Header(credential.trim().to_owned()))
    })
}

#[async_trait::async_trait]
impl S3Access for RegionCheck {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_none() {
            return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Signature is required"));
        }
        let (code, credential) = match credential(cx.uri(), cx.headers()) {
            Some(Scope::Query(c)) => (S3ErrorCode::AuthorizationQueryParametersError, c),
            Some(Scope::Header(c)) => (S3ErrorCode::AuthorizationHeaderMalformed, c),
            // SigV2 and POST policies name no region here; s3s has checked them.
            None => return Ok(()),
        };
        match credential.split('/').nth(2) {
            Some(region) if region == self.region => Ok(()),
            _ => {
                let message = format!("the credential scope is for the wrong region; expecting '{}'", self.region);
                let mut err = S3Error::with_message(code, message);
                err.set_status_code(http::StatusCode::BAD_REQUEST);
                Err(err)
            }
        }
    }
}
