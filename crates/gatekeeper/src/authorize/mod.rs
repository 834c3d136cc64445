//! The authorize pipeline: the checks of `docs/protocol.md` section 5, in order, then the answer.
//!
//! 1–6 decode, audience, key, time window, vendor and client signatures ([`Authorization::verify`]);
//! 7 the nonce, spent from here on whatever is decided next; 8 client IP; 9 ACL
//! ([`VerifiedRequest::check_acl`]); 10 durable audit append; 11 the signed receipt, presigned URLs
//! and key material (`answer.rs`). Every decision, granted or denied, is appended to the audit log
//! (`entries.rs`). A grant is answered only after its entries are durable; if they cannot be written
//! the request is refused (fail closed). [`authorize`] returns the service's own [`Granted`] or a
//! [`Refusal`]: the HTTP edge turns them into JSON. Nothing here logs a key, a signature or a
//! presigned URL.
//!
//! [`VerifiedRequest::check_acl`]: s3gk_protocol::sign::VerifiedRequest::check_acl

mod answer;
mod entries;
mod refusal;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use s3gk_protocol::error::{DecodeError, DecodeProblem, Field};
use s3gk_protocol::sign::{Authorization, VerifiedRequest};
use s3gk_protocol::Denial;
use s3gk_wire::AuthorizeRequest;

use crate::audit::{AuditLog, NewEntry};
use crate::clock::{unix_secs, Clock};
use crate::config::Settings;
use crate::geo::Geo;
use crate::metrics::Metrics;
use crate::replay::{ReplayCache, ReplayError};
use crate::s3::S3Client;

pub use answer::{Granted, GrantedObject, KeyRelease};
pub use entries::spent_nonce;
pub use refusal::Refusal;

use entries::{denied_entry, facts, Facts};

/// Everything the gatekeeper needs to decide: configuration and the services around the checks.
pub struct Gatekeeper {
    /// The validated configuration.
    pub settings: Settings,
    /// Country lookup.
    pub geo: Geo,
    /// Nonces already used.
    pub replay: ReplayCache,
    /// The audit log.
    pub audit: AuditLog,
    /// Presigning and listing.
    pub s3: S3Client,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The time, for everything that needs it.
    pub clock: Arc<dyn Clock>,
}

/// What the HTTP layer knows about who is calling.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The socket peer (or, on Lambda, the source IP of the request context).
    pub peer: IpAddr,
    /// Every `X-Forwarded-For` header value, in order.
    pub forwarded_for: Vec<String>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The `Origin` header.
    pub origin: String,
}

/// Runs the whole pipeline for one call at time `now`.
pub async fn authorize(
    gk: &Gatekeeper,
    caller: &Caller,
    body: &AuthorizeRequest,
    now: SystemTime,
) -> Result<Granted, Refusal> {
    let now_secs = unix_secs(now);
    let (facts, client_ip, country) = facts(gk, caller, now);

    let verified = parse(body).and_then(|auth| Ok(auth.verify(&gk.settings.verify, now_secs)?));
    // Both signatures verified: the nonce is spent now, so a request refused from here on (by the
    // ACL, the audit store or S3) cannot be presented again from elsewhere.
    let decided = match verified {
        Ok(verified) => spend_nonce(gk, &verified, now_secs).await.and_then(|()| {
            let ip = client_ip.map_err(|_| Refusal::ForwardedFor)?;
            Ok(verified.check_acl(&gk.settings.acl, ip, country)?)
        }),
        Err(refusal) => Err(refusal),
    };
    let grant = match decided {
        Ok(grant) => grant,
        Err(refusal) => return Err(deny(gk, &facts, body, refusal).await),
    };
    match answer::answer(gk, &facts, &grant, now).await {
        Ok(granted) => Ok(granted),
        Err(Refusal::S3(e)) => Err(deny(gk, &facts, body, Refusal::S3(e)).await),
        Err(other) => Err(other),
    }
}

/// Check 7: a nonce seen before is refused; otherwise it is spent, whatever is decided after. With
/// the PostgreSQL store the cache is shared by every instance; if it cannot be asked, the request
/// is refused (fail closed).
async fn spend_nonce(gk: &Gatekeeper, verified: &VerifiedRequest, now_secs: u64) -> Result<(), Refusal> {
    let req = verified.request();
    let until = gk.settings.verify.time.remember_nonce_until(req.expires_at);
    match gk.replay.check_and_insert(req.nonce, until, now_secs).await {
        Ok(()) => Ok(()),
        Err(ReplayError::Replayed) => Err(Refusal::Denied(Denial::Replay)),
        Err(_) => Err(Refusal::ReplayUnavailable),
    }
}

/// Step 1's transport half: base64 and signature lengths. Failures name the field.
fn parse(body: &AuthorizeRequest) -> Result<Authorization, Refusal> {
    let malformed = |field| Refusal::Denied(Denial::Malformed(DecodeError::new(field, DecodeProblem::InvalidValue)));
    Ok(Authorization {
        request: body.request.decode().ok_or_else(|| malformed(Field::Request))?,
        vendor_key_id: body.vendor_key_id.clone(),
        vendor_signature: body.vendor_signature.decode_array().ok_or_else(|| malformed(Field::VendorSignature))?,
        client_signature: body.client_signature.decode_array().ok_or_else(|| malformed(Field::ClientSignature))?,
    })
}

/// Records a refusal and returns it. If even the denial cannot be audited, the request is still
/// refused; the failure is logged for the operator.
async fn deny(gk: &Gatekeeper, facts: &Facts, body: &AuthorizeRequest, refusal: Refusal) -> Refusal {
    record_denial(gk, denied_entry(facts, Some(body), refusal.code())).await;
    refusal
}

/// Audits a refusal that never reached the pipeline (a body too large, not JSON): every decision
/// is recorded, with what is known of the caller.
pub async fn refuse_unparsed(gk: &Gatekeeper, caller: &Caller, code: &'static str, now: SystemTime) {
    let (facts, _, _) = facts(gk, caller, now);
    record_denial(gk, denied_entry(&facts, None, code)).await;
}

async fn record_denial(gk: &Gatekeeper, entry: NewEntry) {
    if let Err(e) = gk.audit.append(move |_| (entry, ())).await {
        tracing::error!(code = e.code(), "could not audit a denial; the request is refused anyway");
    }
}
