//! The three signatures of an access, and the types that prove they were checked.
//!
//! Each role signs its own domain-separated, length-prefixed bytes ([`crate::codec::pae`]), and
//! each later signature covers the earlier ones:
//!
//! | role | signed bytes |
//! |---|---|
//! | vendor | `pae([VENDOR_LABEL, vendor_key_id, request])` |
//! | client session key | `pae([CLIENT_LABEL, request, vendor_key_id, vendor_signature])` |
//! | gatekeeper receipt | `pae([RECEIPT_LABEL, gatekeeper_key_id, receipt])` |
//!
//! [`Authorization::verify`] is the only constructor of [`VerifiedRequest`], which carries the
//! request's key as the checked [`CheckedKey`]; [`Grant`] (a verified request that also passed the
//! ACL) is the only thing a [`Receipt`] can be made from; on the client, only [`verify_receipt`]
//! builds a [`VerifiedReceipt`]. Code that skips a check therefore does not compile. Verification
//! is `verify_strict` over the exact bytes received, after [`parse_public_key`] has refused weak and
//! non-canonical keys; this module must never verify a re-encoding, nor tell which part of a
//! forgery was wrong ([`Denial`] has one variant per role).

use core::net::IpAddr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::audience::GatekeeperId;
use crate::codec::pae;
use crate::config::ConfigError;
use crate::keys::{parse_public_key, verify_signature, KeyId};
use crate::policy::acl::{normalize_ip, Acl, CountryCode};
use crate::policy::object_key::{self, CheckedKey, KeyKind, RootPrefix};
use crate::policy::time::TimePolicy;
use crate::request::{AccessRequest, Operation};

mod denial;
mod receipt;

pub use denial::Denial;
pub use receipt::{
    receipt_signed_bytes, verify_receipt, PendingReceipt, Receipt, ReceiptError, SignedReceipt, VerifiedReceipt,
    RECEIPT_DOMAIN, RECEIPT_LABEL,
};

/// Label of the vendor's signature.
pub const VENDOR_LABEL: &[u8] = b"s3-gatekeeper/v1 vendor-signature";
/// Label of the client session key's signature.
pub const CLIENT_LABEL: &[u8] = b"s3-gatekeeper/v1 client-signature";

/// The bytes the vendor signs.
pub fn vendor_signed_bytes(vendor_key_id: &KeyId, request: &[u8]) -> Vec<u8> {
    pae(&[VENDOR_LABEL, vendor_key_id.as_str().as_bytes(), request])
}

/// The bytes the client's session key signs.
pub fn client_signed_bytes(request: &[u8], vendor_key_id: &KeyId, vendor_signature: &[u8; 64]) -> Vec<u8> {
    pae(&[CLIENT_LABEL, request, vendor_key_id.as_str().as_bytes(), vendor_signature])
}

/// The vendor's co-signature over encoded request bytes.
pub fn vendor_sign(key: &SigningKey, key_id: &KeyId, request: &[u8]) -> [u8; 64] {
    key.sign(&vendor_signed_bytes(key_id, request)).to_bytes()
}

/// The client session key's signature over the request and the vendor's signature.
pub fn client_sign(
    session: &SigningKey,
    request: &[u8],
    vendor_key_id: &KeyId,
    vendor_signature: &[u8; 64],
) -> [u8; 64] {
    session.sign(&client_signed_bytes(request, vendor_key_id, vendor_signature)).to_bytes()
}

/// Public keys by id, for rotation: the vendor's keys at the gatekeeper.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    keys: Vec<(KeyId, VerifyingKey)>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key; refuses duplicate ids, weak keys and non-canonical encodings.
    pub fn insert(&mut self, id: KeyId, public_key: &[u8; 32]) -> Result<(), ConfigError> {
        let key = parse_public_key(public_key).ok_or(ConfigError::InvalidKey("weak or non-canonical public key"))?;
        if self.get(id.as_str()).is_some() {
            return Err(ConfigError::InvalidKeyId(format!("duplicate key id {id}")));
        }
        self.keys.push((id, key));
        Ok(())
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k.as_str() == id).map(|(_, v)| v)
    }

    /// Every id, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|(id, _)| id)
    }
}

/// What the gatekeeper checks a request against.
#[derive(Clone, Debug)]
pub struct VerifyPolicy {
    /// This gatekeeper's id; requests for any other audience are refused.
    pub gatekeeper_id: GatekeeperId,
    /// The part of the bucket this gatekeeper serves.
    pub root: RootPrefix,
    /// Lifetime and skew bounds.
    pub time: TimePolicy,
    /// The vendor's public keys.
    pub vendor_keys: Keyring,
}

/// What the client sends the gatekeeper: the request as bytes and both signatures. Nothing in it
/// is trusted until [`Authorization::verify`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The encoded [`AccessRequest`], exactly as signed.
    pub request: Vec<u8>,
    /// Which vendor key signed.
    pub vendor_key_id: String,
    /// The vendor's signature.
    pub vendor_signature: [u8; 64],
    /// The client session key's signature.
    pub client_signature: [u8; 64],
}

impl Authorization {
    /// Runs checks 1–6 of `docs/protocol.md` ("Verification order") and stops at the first failure:
    /// decode, audience, key syntax and root, time window, vendor signature, client signature.
    pub fn verify(&self, policy: &VerifyPolicy, now: u64) -> Result<VerifiedRequest, Denial> {
        let request = AccessRequest::decode(&self.request)?;
        if request.gatekeeper_id != policy.gatekeeper_id.as_str() {
            return Err(Denial::WrongAudience);
        }
        let kind = match request.operation {
            Operation::ListPrefix => KeyKind::Prefix,
            _ => KeyKind::Object,
        };
        let key = object_key::check(&request.key, kind, &policy.root).map_err(Denial::Key)?;
        policy.time.check(request.issued_at, request.expires_at, now).map_err(Denial::Time)?;

        let vendor_key_id = KeyId::new(&self.vendor_key_id).map_err(|_| Denial::UnknownVendorKey)?;
        let vendor_key = policy.vendor_keys.get(vendor_key_id.as_str()).ok_or(Denial::UnknownVendorKey)?;
        if !verify_signature(vendor_key, &vendor_signed_bytes(&vendor_key_id, &self.request), &self.vendor_signature) {
            return Err(Denial::BadVendorSignature);
        }
        let session_key = parse_public_key(&request.session_key).ok_or(Denial::BadClientSignature)?;
        let client_msg = client_signed_bytes(&self.request, &vendor_key_id, &self.vendor_signature);
        if !verify_signature(&session_key, &client_msg, &self.client_signature) {
            return Err(Denial::BadClientSignature);
        }
        Ok(VerifiedRequest { request, key, auth: self.clone(), vendor_key_id })
    }
}

/// A request whose audience, key, time window and both signatures have been checked.
/// Only [`Authorization::verify`] builds one.
#[derive(Clone, Debug)]
pub struct VerifiedRequest {
    request: AccessRequest,
    key: CheckedKey,
    auth: Authorization,
    vendor_key_id: KeyId,
}

impl VerifiedRequest {
    /// The decoded request.
    pub fn request(&self) -> &AccessRequest {
        &self.request
    }

    /// The request's key, checked: an object key for get and put, a prefix for list_prefix, inside
    /// the root prefix. Presigning and key release take it from here.
    pub fn key(&self) -> &CheckedKey {
        &self.key
    }

    /// The request bytes and signatures as received.
    pub fn authorization(&self) -> &Authorization {
        &self.auth
    }

    /// The vendor key that signed.
    pub fn vendor_key_id(&self) -> &KeyId {
        &self.vendor_key_id
    }

    /// Check 9: the ACL for this operation, for a client at `client_ip` in `country`.
    pub fn check_acl(self, acl: &Acl, client_ip: IpAddr, country: Option<CountryCode>) -> Result<Grant, Denial> {
        let client_ip = normalize_ip(client_ip);
        acl.evaluate(self.request.operation.kind(), client_ip, country)?;
        Ok(Grant { verified: self, client_ip })
    }
}

/// A verified request that the ACL allows for a given client address.
#[derive(Clone, Debug)]
pub struct Grant {
    verified: VerifiedRequest,
    client_ip: IpAddr,
}

impl Grant {
    /// The verified request.
    pub fn verified(&self) -> &VerifiedRequest {
        &self.verified
    }

    /// The client address the ACL was evaluated for (IPv4-mapped addresses normalised).
    pub fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// The receipt for this grant, recorded as audit entry `sequence` at `decided_at`.
    pub fn receipt(&self, sequence: u64, decided_at: u64) -> Receipt {
        let auth = &self.verified.auth;
        Receipt::new(
            auth.request.clone(),
            self.verified.vendor_key_id.clone(),
            (auth.vendor_signature, auth.client_signature),
            sequence,
            decided_at,
            self.client_ip,
        )
    }
}

#[cfg(test)]
mod tests;
