//! The bytes the audit log hashes and signs: entry hashes and checkpoint messages.
//!
//! Both are [`pae`] encodings with their own domain-separation label, as `docs/audit.md` fixes.
//! Pure functions, shared by the writer and by [`verify`](super::verify()): they must never depend
//! on how a value is stored, only on the value.

use sha2::{Digest, Sha256};

use s3gk_protocol::codec::pae;

use super::NewEntry;

/// The label of an entry hash.
pub const ENTRY_LABEL: &[u8] = b"s3-gatekeeper/v1 audit-entry";
/// The label of a checkpoint signature.
pub const CHECKPOINT_LABEL: &[u8] = b"s3-gatekeeper/v1 audit-checkpoint";
/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// The hash of entry `seq` with content `e`, chained to `prev_hash`.
pub fn entry_hash(seq: u64, prev_hash: &[u8; 32], e: &NewEntry) -> [u8; 32] {
    let seq_be = seq.to_be_bytes();
    let time_be = e.time_ms.to_be_bytes();
    let expires_be = e.expires_at.map(u64::to_be_bytes);
    let decision = [e.decision.hash_byte()];
    let parts: [&[u8]; 19] = [
        ENTRY_LABEL,
        &seq_be,
        prev_hash,
        &time_be,
        e.operation.as_bytes(),
        e.key.as_bytes(),
        e.client_ip.as_bytes(),
        e.country.as_deref().unwrap_or("").as_bytes(),
        e.user_agent.as_bytes(),
        e.origin.as_bytes(),
        e.vendor_key_id.as_bytes(),
        opt(&e.nonce),
        opt(&expires_be),
        &decision,
        e.reason.as_bytes(),
        &e.request,
        opt(&e.vendor_signature),
        opt(&e.client_signature),
        opt(&e.gatekeeper_signature),
    ];
    Sha256::digest(pae(&parts)).into()
}

/// The bytes the gatekeeper signs for a checkpoint of the head `(seq, head_hash)` taken at `time_ms`.
pub fn checkpoint_message(gatekeeper_id: &str, seq: u64, head_hash: &[u8; 32], time_ms: u64) -> Vec<u8> {
    pae(&[CHECKPOINT_LABEL, gatekeeper_id.as_bytes(), &seq.to_be_bytes(), head_hash, &time_ms.to_be_bytes()])
}

/// Puts `e` in the one form every store can hold exactly, before it is hashed: an empty country
/// becomes absent, and U+0000 in a text field becomes U+FFFD (PostgreSQL text cannot hold it, and a
/// value must hash the same whichever store keeps it).
pub(super) fn canonicalise(e: &mut NewEntry) {
    if e.country.as_deref() == Some("") {
        e.country = None;
    }
    let texts = [
        &mut e.operation,
        &mut e.key,
        &mut e.client_ip,
        &mut e.user_agent,
        &mut e.origin,
        &mut e.vendor_key_id,
        &mut e.reason,
    ];
    for text in texts.into_iter().chain(e.country.as_mut()) {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{fffd}");
        }
    }
}

/// An optional fixed-size value as a PAE part: its bytes, or the empty string when absent.
fn opt<const N: usize>(v: &Option<[u8; N]>) -> &[u8] {
    match v {
        Some(bytes) => bytes,
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::sample_entry;

    #[test]
    fn every_field_and_the_link_change_the_hash() {
        let base = sample_entry(7);
        let h = entry_hash(1, &GENESIS_HASH, &base);
        assert_ne!(h, entry_hash(2, &GENESIS_HASH, &base));
        assert_ne!(h, entry_hash(1, &[1u8; 32], &base));
        let edits: [fn(&mut NewEntry); 8] = [
            |e| e.time_ms += 1,
            |e| e.key.push('x'),
            |e| e.country = None,
            |e| e.nonce = None,
            |e| e.expires_at = None,
            |e| e.decision = crate::audit::Decision::Denied,
            |e| e.request.push(0),
            |e| e.gatekeeper_signature = None,
        ];
        for edit in edits {
            let mut e = base.clone();
            edit(&mut e);
            assert_ne!(h, entry_hash(1, &GENESIS_HASH, &e));
        }
    }

    #[test]
    fn checkpoint_message_is_pae() {
        let m = checkpoint_message("gk", 1, &[0u8; 32], 2);
        assert_eq!(&m[..4], &[0, 0, 0, 5]);
        assert_eq!(&m[8..8 + CHECKPOINT_LABEL.len()], CHECKPOINT_LABEL);
    }
}
