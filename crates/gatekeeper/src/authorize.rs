//! The authorize pipeline: the checks of `docs/protocol.md` section 5, in order, then the answer.
//!
//! 1–6 decode, audience, key, time window, vendor and client signatures ([`Authorization::verify`]);
//! 7 the nonce, spent from here on whatever is decided next; 8 client IP; 9 ACL
//! ([`VerifiedRequest::check_acl`]); 10 durable audit append; 11 the signed receipt, presigned URLs
//! and key material: per-object keys for reads, a write key of a fresh salt for a put. Every
//! decision, granted or denied, is appended to the audit log. A grant is answered only after its
//! entries are durable; if they cannot be written the request is refused (fail closed). Nothing here
//! logs a key, a signature or a presigned URL.
//!
//! [`VerifiedRequest::check_acl`]: s3gk_protocol::sign::VerifiedRequest::check_acl

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use s3gk_protocol::error::{DecodeError, DecodeProblem, Field};
use s3gk_protocol::object::SALT_LEN;
use s3gk_protocol::policy::acl::CountryCode;
use s3gk_protocol::policy::object_key::{CheckedKey, ObjectKey};
use s3gk_protocol::sign::{Authorization, Grant, VerifiedRequest};
use s3gk_protocol::{AccessRequest, Denial, Operation};

use crate::audit::{AuditError, AuditLog, Decision, NewEntry, Queued};
use crate::client_ip::{self, ClientIpError};
use crate::config::Settings;
use crate::geo::Geo;
use crate::metrics::Metrics;
use crate::replay::{ReplayCache, ReplayError};
use crate::s3::{PresignedRequest, S3Client, S3Error};

mod wire;

pub use wire::{AuthorizeRequest, AuthorizeResponse, KeyMaterial, ObjectGrant, ReceiptJson, WriteKeyJson};

/// Longest user agent or origin kept in the audit log, in bytes.
const MAX_CALLER_TEXT: usize = 512;

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

/// Why a request was refused.
#[non_exhaustive]
#[derive(Debug)]
pub enum Refusal {
    /// A protocol check refused it.
    Denied(Denial),
    /// `X-Forwarded-For` from a trusted proxy could not be parsed.
    ForwardedFor,
    /// S3 could not be reached or answered with an error while building the answer.
    S3(S3Error),
    /// The shared replay cache could not be asked, so the nonce could not be checked (fail closed).
    ReplayUnavailable,
    /// The operating system's random source failed, so no upload salt could be drawn.
    EntropyUnavailable,
    /// The decision could not be written to the audit log, so it is refused (fail closed).
    AuditUnavailable,
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Denied(d) => d.code(),
            Refusal::ForwardedFor => "malformed_forwarded_for",
            Refusal::S3(e) => e.code(),
            Refusal::ReplayUnavailable => "replay_unavailable",
            Refusal::EntropyUnavailable => "entropy_unavailable",
            Refusal::AuditUnavailable => "audit_unavailable",
        }
    }

    /// A short message for the client.
    pub fn message(&self) -> String {
        match self {
            Refusal::Denied(d) => d.to_string(),
            Refusal::ForwardedFor => "the X-Forwarded-For header from a trusted proxy is malformed".into(),
            Refusal::S3(e) => e.to_string(),
            Refusal::ReplayUnavailable => "the replay cache is unavailable; try again later".into(),
            Refusal::EntropyUnavailable => "no randomness available for the upload; try again later".into(),
            Refusal::AuditUnavailable => "audit log unavailable; request refused".into(),
        }
    }
}

impl From<Denial> for Refusal {
    fn from(d: Denial) -> Self {
        Refusal::Denied(d)
    }
}

/// The facts recorded with every audit entry of one call.
struct Facts {
    time_ms: u64,
    client_ip: String,
    country: Option<String>,
    user_agent: String,
    origin: String,
}

/// Runs the whole pipeline for one call at time `now`.
pub async fn authorize(
    gk: &Gatekeeper,
    caller: &Caller,
    body: &AuthorizeRequest,
    now: SystemTime,
) -> Result<AuthorizeResponse, Refusal> {
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
    match answer(gk, &facts, &grant, now).await {
        Ok(response) => Ok(response),
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

/// Whether an audit entry with this decision and reason spent its request's nonce: every grant,
/// and every refusal after both signatures verified (check 7 onwards). The refusals of checks 1–6
/// did not. Used to rebuild the replay cache from the audit log after a restart.
pub fn spent_nonce(decision: Decision, reason: &str) -> bool {
    let before_check_7 = reason.starts_with("key_")
        || matches!(
            reason,
            "malformed_request"
                | "unsupported_version"
                | "wrong_audience"
                | "invalid_time_window"
                | "lifetime_too_long"
                | "not_yet_valid"
                | "expired"
                | "unknown_vendor_key"
                | "bad_vendor_signature"
                | "bad_client_signature"
        );
    decision == Decision::Granted || !before_check_7
}

/// Who is asking: the resolved client address (or why it could not be resolved), its country, and
/// the facts every audit entry of this call records.
fn facts(
    gk: &Gatekeeper,
    caller: &Caller,
    now: SystemTime,
) -> (Facts, Result<IpAddr, ClientIpError>, Option<CountryCode>) {
    let forwarded: Vec<&str> = caller.forwarded_for.iter().map(String::as_str).collect();
    let client_ip = client_ip::resolve(caller.peer, &forwarded, &gk.settings.trusted_proxies);
    let seen_ip = client_ip.as_ref().map_or(caller.peer, |ip| *ip);
    let country = gk.geo.country(seen_ip);
    let time_ms = now.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let facts = Facts {
        time_ms,
        client_ip: seen_ip.to_string(),
        country: country.map(|c| c.to_string()),
        user_agent: truncate(&caller.user_agent),
        origin: truncate(&caller.origin),
    };
    (facts, client_ip, country)
}

/// Step 1's transport half: base64 and signature lengths. Failures name the field.
fn parse(body: &AuthorizeRequest) -> Result<Authorization, Refusal> {
    let malformed = |field| Refusal::Denied(Denial::Malformed(DecodeError::new(field, DecodeProblem::InvalidValue)));
    let request = B64.decode(&body.request).map_err(|_| malformed(Field::Request))?;
    let signature = |text: &str, field| -> Result<[u8; 64], Refusal> {
        B64.decode(text).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()).ok_or_else(|| malformed(field))
    };
    Ok(Authorization {
        request,
        vendor_key_id: body.vendor_key_id.clone(),
        vendor_signature: signature(&body.vendor_signature, Field::VendorSignature)?,
        client_signature: signature(&body.client_signature, Field::ClientSignature)?,
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

/// A denied entry with whatever of the request decodes.
fn denied_entry(facts: &Facts, body: Option<&AuthorizeRequest>, reason: &'static str) -> NewEntry {
    let raw = body.and_then(|b| B64.decode(&b.request).ok()).unwrap_or_default();
    let request = AccessRequest::decode(&raw).ok();
    let signature = |text: Option<&String>| text.and_then(|t| B64.decode(t).ok()).and_then(|b| b.try_into().ok());
    let mut entry = with_facts(NewEntry::denied(facts.time_ms, reason), facts);
    entry.operation = request.as_ref().map(|r| r.operation.kind().name().to_owned()).unwrap_or_default();
    entry.key = request.as_ref().map(|r| r.key.clone()).unwrap_or_default();
    entry.vendor_key_id = body.map(|b| truncate(&b.vendor_key_id)).unwrap_or_default();
    entry.nonce = request.as_ref().map(|r| r.nonce);
    entry.expires_at = request.as_ref().map(|r| r.expires_at);
    entry.request = raw;
    entry.vendor_signature = signature(body.map(|b| &b.vendor_signature));
    entry.client_signature = signature(body.map(|b| &b.client_signature));
    entry
}

/// Builds the answer for a grant and makes it durable: list (for a prefix), presign, audit, sign.
async fn answer(gk: &Gatekeeper, facts: &Facts, grant: &Grant, now: SystemTime) -> Result<AuthorizeResponse, Refusal> {
    let req = grant.verified().request();
    // Drawn before anything is audited, so a grant never fails after its entry is durable.
    let upload_salt = match req.operation {
        Operation::Put { .. } => Some(draw_salt()?),
        _ => None,
    };
    let mut objects: Vec<(ObjectKey, Option<u64>, PresignedRequest)> = Vec::new();
    match (&req.operation, grant.verified().key()) {
        (Operation::Get, CheckedKey::Object(key)) => {
            objects.push((key.clone(), None, gk.s3.presign_get(key, now).map_err(Refusal::S3)?))
        }
        (Operation::Put { content_length, sha256, content_type }, CheckedKey::Object(key)) => {
            let put =
                gk.s3.presign_put(key, *content_length, *sha256, content_type.as_deref(), now).map_err(Refusal::S3)?;
            objects.push((key.clone(), None, put));
        }
        (Operation::ListPrefix, CheckedKey::Prefix(prefix)) => {
            let listed = gk.s3.list_objects(prefix, gk.settings.limits.max_list_objects).await.map_err(Refusal::S3)?;
            for object in listed {
                let url = gk.s3.presign_get(&object.key, now).map_err(Refusal::S3)?;
                objects.push((object.key, Some(object.size), url));
            }
        }
        _ => {
            return Err(Refusal::Denied(Denial::Malformed(DecodeError::new(
                Field::Operation,
                DecodeProblem::InvalidValue,
            ))))
        }
    }

    // The receipt is signed as its entry is numbered (it names the seq) and comes back with it.
    let receipt = {
        let grant = grant.clone();
        let key = gk.settings.signing_key.clone();
        let key_id = gk.settings.signing_key_id.clone();
        let decided_at = facts.time_ms / 1000;
        let mut entry = granted_entry(facts, grant.verified().authorization(), req, &req.key);
        gk.audit
            .queue(move |seq| {
                let receipt = grant.receipt(seq, decided_at).sign(&key, &key_id);
                entry.gatekeeper_signature = Some(receipt.signature);
                (entry, receipt)
            })
            .await
    };
    // A prefix read audits each object too; all entries are queued before any is awaited, so
    // they share commits.
    let per_object = if req.operation == Operation::ListPrefix {
        let mut queued = Vec::with_capacity(objects.len());
        for (key, _, _) in &objects {
            let entry = granted_entry(facts, grant.verified().authorization(), req, key.as_str());
            queued.push(gk.audit.queue(move |_| (entry, ())).await);
        }
        Some(queued)
    } else {
        None
    };
    let (receipt_seq, receipt) = durable(receipt).await?;
    let mut sequences = Vec::with_capacity(objects.len());
    match per_object {
        Some(appends) => {
            for append in appends {
                sequences.push(durable(append).await?.0);
            }
        }
        None => sequences.resize(objects.len(), receipt_seq),
    }

    let bucket = gk.settings.s3.bucket.clone();
    let is_put = matches!(req.operation, Operation::Put { .. });
    let objects = objects
        .into_iter()
        .zip(sequences)
        .map(|((key, size, url), sequence)| ObjectGrant {
            // Reads get the per-object key under every master key the object may use. A put gets
            // only the write key of the salt drawn for it, under the current (first) master key:
            // it seals the new object and opens nothing stored before (protocol.md 7.1).
            key_material: if is_put { Vec::new() } else { read_keys(gk, &bucket, &key) },
            write_key: upload_salt.and_then(|salt| {
                let mk = gk.settings.master_keys.first()?;
                let write_key = mk.write_key(&bucket, &key, salt);
                Some(WriteKeyJson {
                    master_key_id: mk.id().to_string(),
                    salt: B64.encode(write_key.salt()),
                    key: B64.encode(write_key.as_bytes()),
                })
            }),
            key: key.into(),
            size,
            sequence,
            method: url.method,
            url: url.url,
            headers: url.headers.into_iter().map(|(n, v)| [n, v]).collect(),
            expires_at: url.expires_at,
        })
        .collect();
    Ok(AuthorizeResponse {
        decision: "granted",
        gatekeeper_id: gk.settings.gatekeeper_id.clone(),
        bucket,
        receipt: ReceiptJson {
            bytes: B64.encode(&receipt.bytes),
            signature: B64.encode(receipt.signature),
            key_id: receipt.key_id.to_string(),
            sequence: receipt_seq,
        },
        objects,
    })
}

/// The per-object key of `key` under every configured master key.
fn read_keys(gk: &Gatekeeper, bucket: &str, key: &ObjectKey) -> Vec<KeyMaterial> {
    gk.settings
        .master_keys
        .iter()
        .map(|mk| KeyMaterial {
            master_key_id: mk.id().to_string(),
            key: B64.encode(mk.object_key(bucket, key).as_bytes()),
        })
        .collect()
}

/// 32 fresh bytes from the operating system for a put's header salt. A failing source refuses
/// the request: a guessable or repeated salt would repeat data keys.
fn draw_salt() -> Result<[u8; SALT_LEN], Refusal> {
    let mut salt = [0u8; SALT_LEN];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut salt).map_err(|_| Refusal::EntropyUnavailable)?;
    Ok(salt)
}

/// Waits for a queued append; any failure refuses the request (fail closed).
async fn durable<T>(append: Result<Queued<T>, AuditError>) -> Result<(u64, T), Refusal> {
    let committed = match append {
        Ok(queued) => queued.durable().await,
        Err(e) => Err(e),
    };
    committed.map_err(|e| {
        tracing::error!(code = e.code(), "audit append failed; refusing the request");
        Refusal::AuditUnavailable
    })
}

fn granted_entry(facts: &Facts, auth: &Authorization, req: &AccessRequest, key: &str) -> NewEntry {
    let mut entry = with_facts(NewEntry::granted(facts.time_ms), facts);
    entry.operation = req.operation.kind().name().to_owned();
    entry.key = key.to_owned();
    entry.vendor_key_id = auth.vendor_key_id.clone();
    entry.nonce = Some(req.nonce);
    entry.expires_at = Some(req.expires_at);
    entry.request = auth.request.clone();
    entry.vendor_signature = Some(auth.vendor_signature);
    entry.client_signature = Some(auth.client_signature);
    entry
}

/// `entry` with who asked, as every entry of this call records it.
fn with_facts(mut entry: NewEntry, facts: &Facts) -> NewEntry {
    entry.client_ip = facts.client_ip.clone();
    entry.country = facts.country.clone();
    entry.user_agent = facts.user_agent.clone();
    entry.origin = facts.origin.clone();
    entry
}

/// Keeps at most [`MAX_CALLER_TEXT`] bytes, cut at a character boundary.
fn truncate(text: &str) -> String {
    let mut end = text.len().min(MAX_CALLER_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// Seconds since the Unix epoch.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
