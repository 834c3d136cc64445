//! The vendor co-signer's checks (`docs/protocol.md` section 4.1), as a type.
//!
//! A vendor co-signs only what [`CosignPolicy::check`] accepted: the request decodes, names the
//! customer's gatekeeper, has a well-formed key, and a short window issued *now* by the
//! co-signer's own clock. The vendor then runs its own permission check on
//! [`CosignCandidate::request`] (may this user perform this operation on this key?) and signs
//! with [`CosignCandidate::sign`], over the exact bytes received.
//!
//! The clock check is what keeps a user removed at the vendor from holding grants minted in
//! advance: the gatekeeper accepts any window once it becomes current, so only the co-signer can
//! refuse a window that starts in thirty days. This module must never sign bytes other than those
//! checked, nor sign a request whose window it has not checked against `now`.

use ed25519_dalek::SigningKey;

use crate::audience::GatekeeperId;
use crate::keys::KeyId;
use crate::policy::object_key::{check_syntax, CheckedKey, KeyKind};
use crate::policy::time::TimePolicy;
use crate::request::{AccessRequest, Operation};
use crate::sign::{vendor_sign, Denial};

/// What a vendor's co-signer checks a request against.
#[derive(Clone, Debug)]
pub struct CosignPolicy {
    /// The customer's gatekeeper id: requests for any other audience are refused.
    pub gatekeeper_id: GatekeeperId,
    /// The longest window the vendor signs, and how far its clock may differ from the client's.
    pub time: TimePolicy,
}

/// A request that passed [`CosignPolicy::check`]: ready for the vendor's own permission check.
#[derive(Clone, Debug)]
pub struct CosignCandidate {
    bytes: Vec<u8>,
    request: AccessRequest,
    key: CheckedKey,
}

impl CosignPolicy {
    /// Runs the co-signer's checks in order, stopping at the first failure: decode
    /// (`malformed_request`, `unsupported_version`), audience (`wrong_audience`), key syntax
    /// (`key_*`), then the window against the co-signer's clock `now` (`invalid_time_window`,
    /// `lifetime_too_long`, `not_yet_valid`, `stale_request`).
    pub fn check(&self, request: &[u8], now: u64) -> Result<CosignCandidate, Denial> {
        let decoded = AccessRequest::decode(request)?;
        if decoded.gatekeeper_id != self.gatekeeper_id.as_str() {
            return Err(Denial::WrongAudience);
        }
        let kind = if decoded.operation == Operation::ListPrefix { KeyKind::Prefix } else { KeyKind::Object };
        let key = check_syntax(&decoded.key, kind).map_err(Denial::Key)?;
        self.time.check_cosign(decoded.issued_at, decoded.expires_at, now).map_err(Denial::Time)?;
        Ok(CosignCandidate { bytes: request.to_vec(), request: decoded, key })
    }
}

impl CosignCandidate {
    /// The decoded request, for the vendor's permission check.
    pub fn request(&self) -> &AccessRequest {
        &self.request
    }

    /// The request's key, checked: an object key for get and put, a prefix for list_prefix. The
    /// vendor's permission check compares this, never the raw text, with the user's own keys.
    pub fn key(&self) -> &CheckedKey {
        &self.key
    }

    /// The exact bytes that were checked and will be signed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The vendor's signature (section 4.1): `PAE([label, vendor_key_id, request])` over the bytes
    /// checked. Call it only after the vendor's own permission check.
    pub fn sign(&self, key: &SigningKey, key_id: &KeyId) -> [u8; 64] {
        vendor_sign(key, key_id, &self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::object_key::{KeyPrefix, ObjectKey};
    use crate::sign::vendor_signed_bytes;
    use ed25519_dalek::{Signature, Verifier};

    const NOW: u64 = 1_800_000_000;

    fn policy() -> CosignPolicy {
        CosignPolicy { gatekeeper_id: GatekeeperId::new("acme-gk").unwrap(), time: TimePolicy::new(300, 60).unwrap() }
    }

    fn request(edit: impl FnOnce(&mut AccessRequest)) -> Vec<u8> {
        let mut r = AccessRequest {
            gatekeeper_id: "acme-gk".into(),
            operation: Operation::Get,
            key: "tickets/1/a.png".into(),
            issued_at: NOW,
            expires_at: NOW + 60,
            nonce: [7; 16],
            session_key: [9; 32],
        };
        edit(&mut r);
        r.encode().unwrap()
    }

    fn code(bytes: &[u8]) -> &'static str {
        policy().check(bytes, NOW).map(|_| "ok").unwrap_or_else(|d| d.code())
    }

    #[test]
    fn each_check_refuses_for_its_own_cause() {
        assert_eq!(code(&request(|_| {})), "ok");
        assert_eq!(code(b"not a request"), "malformed_request");
        let mut other_version = request(|_| {});
        other_version[33] = 2;
        assert_eq!(code(&other_version), "unsupported_version");
        assert_eq!(code(&request(|r| r.gatekeeper_id = "other-gk".into())), "wrong_audience");
        assert_eq!(code(&request(|r| r.key = "tickets/1/../2/a.png".into())), "key_dot_segment");
        assert_eq!(code(&request(|r| r.operation = Operation::ListPrefix)), "key_prefix_not_directory");
        assert_eq!(code(&request(|r| r.expires_at = r.issued_at)), "invalid_time_window");
        assert_eq!(code(&request(|r| r.expires_at = r.issued_at + 301)), "lifetime_too_long");
        let days = |d: u64| d * 86_400;
        assert_eq!(
            code(&request(|r| (r.issued_at, r.expires_at) = (NOW + days(30), NOW + days(30) + 60))),
            "not_yet_valid"
        );
        assert_eq!(
            code(&request(|r| (r.issued_at, r.expires_at) = (NOW - days(1), NOW - days(1) + 60))),
            "stale_request"
        );
    }

    #[test]
    fn signs_the_exact_bytes_checked() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let id = KeyId::new("vendor-1").unwrap();
        let bytes = request(|_| {});
        let candidate = policy().check(&bytes, NOW).unwrap();
        assert_eq!(candidate.bytes(), bytes.as_slice());
        assert_eq!(candidate.request().key, "tickets/1/a.png");
        assert_eq!(candidate.key(), &CheckedKey::Object(ObjectKey::parse("tickets/1/a.png").unwrap()));
        let signature = Signature::from_bytes(&candidate.sign(&key, &id));
        assert!(key.verifying_key().verify(&vendor_signed_bytes(&id, &bytes), &signature).is_ok());
        let list = policy()
            .check(&request(|r| (r.operation, r.key) = (Operation::ListPrefix, "tickets/1/".into())), NOW)
            .unwrap();
        assert_eq!(list.key(), &CheckedKey::Prefix(KeyPrefix::parse("tickets/1/").unwrap()));
    }
}
