//! The audit entries of one call: who asked ([`Facts`]), a granted entry, a denied one with
//! whatever of the request decodes, and which entries spent their nonce.
//!
//! Caller text (user agent, origin, vendor key id) is kept only up to [`MAX_CALLER_TEXT`] bytes.
//! This module must never put a key or a presigned URL into an entry.

use std::net::IpAddr;
use std::time::SystemTime;

use s3gk_protocol::policy::acl::CountryCode;
use s3gk_protocol::sign::Authorization;
use s3gk_protocol::AccessRequest;
use s3gk_wire::AuthorizeRequest;

use super::{Caller, Gatekeeper};
use crate::audit::{Decision, NewEntry};
use crate::client_ip::{self, ClientIpError};
use crate::clock::unix_millis;

/// Longest user agent or origin kept in the audit log, in bytes.
const MAX_CALLER_TEXT: usize = 512;

/// The facts recorded with every audit entry of one call.
pub(super) struct Facts {
    pub(super) time_ms: u64,
    client_ip: String,
    country: Option<String>,
    user_agent: String,
    origin: String,
}

/// Who is asking: the resolved client address (or why it could not be resolved), its country, and
/// the facts every audit entry of this call records.
pub(super) fn facts(
    gk: &Gatekeeper,
    caller: &Caller,
    now: SystemTime,
) -> (Facts, Result<IpAddr, ClientIpError>, Option<CountryCode>) {
    let forwarded: Vec<&str> = caller.forwarded_for.iter().map(String::as_str).collect();
    let client_ip = client_ip::resolve(caller.peer, &forwarded, &gk.settings.trusted_proxies);
    let seen_ip = client_ip.as_ref().map_or(caller.peer, |ip| *ip);
    let country = gk.geo.country(seen_ip);
    let facts = Facts {
        time_ms: unix_millis(now),
        client_ip: seen_ip.to_string(),
        country: country.map(|c| c.to_string()),
        user_agent: truncate(&caller.user_agent),
        origin: truncate(&caller.origin),
    };
    (facts, client_ip, country)
}

/// A denied entry with whatever of the request decodes.
pub(super) fn denied_entry(facts: &Facts, body: Option<&AuthorizeRequest>, reason: &'static str) -> NewEntry {
    let raw = body.and_then(|b| b.request.decode()).unwrap_or_default();
    let request = AccessRequest::decode(&raw).ok();
    let mut entry = with_facts(NewEntry::denied(facts.time_ms, reason), facts);
    entry.operation = request.as_ref().map(|r| r.operation.kind().name().to_owned()).unwrap_or_default();
    entry.key = request.as_ref().map(|r| r.key.clone()).unwrap_or_default();
    entry.vendor_key_id = body.map(|b| truncate(&b.vendor_key_id)).unwrap_or_default();
    entry.nonce = request.as_ref().map(|r| r.nonce);
    entry.expires_at = request.as_ref().map(|r| r.expires_at);
    entry.request = raw;
    entry.vendor_signature = body.and_then(|b| b.vendor_signature.decode_array());
    entry.client_signature = body.and_then(|b| b.client_signature.decode_array());
    entry
}

/// A granted entry for `key` (the request's key, or one object of a prefix read).
pub(super) fn granted_entry(facts: &Facts, auth: &Authorization, req: &AccessRequest, key: &str) -> NewEntry {
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

/// Keeps at most [`MAX_CALLER_TEXT`] bytes, cut at a character boundary.
fn truncate(text: &str) -> String {
    let mut end = text.len().min(MAX_CALLER_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}
