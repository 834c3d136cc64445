//! The JSON form of an [`AuditEntry`], shared by the export and the admin API.
//!
//! Field names match `docs/audit.md`; binary values are lowercase hex, absent ones `null`. This is
//! a view for people and tools: it must never be used as the bytes that are hashed or signed.

use serde::{Serialize, Serializer};

use super::{AuditEntry, Decision};

#[derive(Serialize)]
struct EntryJson<'a> {
    seq: u64,
    time_ms: u64,
    operation: &'a str,
    key: &'a str,
    client_ip: &'a str,
    country: Option<&'a str>,
    user_agent: &'a str,
    origin: &'a str,
    vendor_key_id: &'a str,
    nonce: Option<String>,
    expires_at: Option<u64>,
    decision: Decision,
    reason: &'a str,
    request: String,
    vendor_signature: Option<String>,
    client_signature: Option<String>,
    gatekeeper_signature: Option<String>,
    prev_hash: String,
    hash: String,
}

/// The JSON object of `entry` (what the export writes on each line and the admin API returns).
pub fn entry_json(entry: &AuditEntry) -> serde_json::Value {
    serde_json::to_value(entry).unwrap_or(serde_json::Value::Null)
}

impl Serialize for AuditEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = &self.entry;
        EntryJson {
            seq: self.seq,
            time_ms: e.time_ms,
            operation: &e.operation,
            key: &e.key,
            client_ip: &e.client_ip,
            country: e.country.as_deref(),
            user_agent: &e.user_agent,
            origin: &e.origin,
            vendor_key_id: &e.vendor_key_id,
            nonce: e.nonce.map(hex::encode),
            expires_at: e.expires_at,
            decision: e.decision,
            reason: &e.reason,
            request: hex::encode(&e.request),
            vendor_signature: e.vendor_signature.map(hex::encode),
            client_signature: e.client_signature.map(hex::encode),
            gatekeeper_signature: e.gatekeeper_signature.map(hex::encode),
            prev_hash: hex::encode(self.prev_hash),
            hash: hex::encode(self.hash),
        }
        .serialize(serializer)
    }
}
