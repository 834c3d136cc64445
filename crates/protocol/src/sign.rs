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
//! [`Authorization::verify`] is the only constructor of [`VerifiedRequest`], and [`Grant`] (a
//! verified request that also passed the ACL) is the only thing a [`Receipt`] can be made from, so
//! code that skips a check does not compile. Verification is `verify_strict` over the exact bytes
//! received, after [`parse_public_key`] has refused weak and non-canonical keys.

use core::net::IpAddr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::codec::{pae, Reader, Writer};
use crate::error::{ConfigError, DecodeError, DecodeProblem, Denial, Field, ReceiptError};
use crate::keys::{parse_public_key, KeyId, MAX_KEY_ID_LEN};
use crate::policy::acl::{normalize_ip, Acl, CountryCode};
use crate::policy::object_key::{self, KeyKind, RootPrefix};
use crate::policy::time::TimePolicy;
use crate::request::{AccessRequest, Operation, MAX_REQUEST_LEN};
use crate::PROTOCOL_VERSION;

/// Label of the vendor's signature.
pub const VENDOR_LABEL: &[u8] = b"s3-gatekeeper/v1 vendor-signature";
/// Label of the client session key's signature.
pub const CLIENT_LABEL: &[u8] = b"s3-gatekeeper/v1 client-signature";
/// Label of the gatekeeper's receipt signature.
pub const RECEIPT_LABEL: &[u8] = b"s3-gatekeeper/v1 receipt-signature";
/// The domain label every encoded receipt starts with.
pub const RECEIPT_DOMAIN: &[u8] = b"s3-gatekeeper/v1 receipt";

/// The bytes the vendor signs.
pub fn vendor_signed_bytes(vendor_key_id: &KeyId, request: &[u8]) -> Vec<u8> {
    pae(&[VENDOR_LABEL, vendor_key_id.as_str().as_bytes(), request])
}

/// The bytes the client's session key signs.
pub fn client_signed_bytes(request: &[u8], vendor_key_id: &KeyId, vendor_signature: &[u8; 64]) -> Vec<u8> {
    pae(&[CLIENT_LABEL, request, vendor_key_id.as_str().as_bytes(), vendor_signature])
}

/// The bytes the gatekeeper signs for a receipt.
pub fn receipt_signed_bytes(gatekeeper_key_id: &KeyId, receipt: &[u8]) -> Vec<u8> {
    pae(&[RECEIPT_LABEL, gatekeeper_key_id.as_str().as_bytes(), receipt])
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

/// `verify_strict` of `signature` over `msg` under `key`.
fn verify(key: &VerifyingKey, msg: &[u8], signature: &[u8; 64]) -> bool {
    key.verify_strict(msg, &Signature::from_bytes(signature)).is_ok()
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
    pub gatekeeper_id: String,
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
        if request.gatekeeper_id != policy.gatekeeper_id {
            return Err(Denial::WrongAudience);
        }
        let kind = match request.operation {
            Operation::ListPrefix => KeyKind::Prefix,
            _ => KeyKind::Object,
        };
        object_key::check(&request.key, kind, &policy.root).map_err(Denial::Key)?;
        policy.time.check(request.issued_at, request.expires_at, now).map_err(Denial::Time)?;

        let vendor_key_id = KeyId::new(&self.vendor_key_id).map_err(|_| Denial::UnknownVendorKey)?;
        let vendor_key = policy.vendor_keys.get(vendor_key_id.as_str()).ok_or(Denial::UnknownVendorKey)?;
        if !verify(vendor_key, &vendor_signed_bytes(&vendor_key_id, &self.request), &self.vendor_signature) {
            return Err(Denial::BadVendorSignature);
        }
        let session_key = parse_public_key(&request.session_key).ok_or(Denial::BadClientSignature)?;
        let client_msg = client_signed_bytes(&self.request, &vendor_key_id, &self.vendor_signature);
        if !verify(&session_key, &client_msg, &self.client_signature) {
            return Err(Denial::BadClientSignature);
        }
        Ok(VerifiedRequest { request, auth: self.clone(), vendor_key_id })
    }
}

/// A request whose audience, key, time window and both signatures have been checked.
/// Only [`Authorization::verify`] builds one.
#[derive(Clone, Debug)]
pub struct VerifiedRequest {
    request: AccessRequest,
    auth: Authorization,
    vendor_key_id: KeyId,
}

impl VerifiedRequest {
    /// The decoded request.
    pub fn request(&self) -> &AccessRequest {
        &self.request
    }

    /// The request bytes and signatures as received.
    pub fn authorization(&self) -> &Authorization {
        &self.auth
    }

    /// The vendor key that signed.
    pub fn vendor_key_id(&self) -> &KeyId {
        &self.vendor_key_id
    }

    /// Check 8: the ACL for this operation, for a client at `client_ip` in `country`.
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
        Receipt {
            request: auth.request.clone(),
            vendor_key_id: self.verified.vendor_key_id.clone(),
            vendor_signature: auth.vendor_signature,
            client_signature: auth.client_signature,
            sequence,
            decided_at,
            client_ip: self.client_ip,
        }
    }
}

/// The gatekeeper's statement that it granted a request: the request, both signatures, and the
/// decision fields. Built from a [`Grant`] or decoded by [`verify_receipt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    request: Vec<u8>,
    vendor_key_id: KeyId,
    vendor_signature: [u8; 64],
    client_signature: [u8; 64],
    sequence: u64,
    decided_at: u64,
    client_ip: IpAddr,
}

impl Receipt {
    /// The encoded request the receipt grants.
    pub fn request(&self) -> &[u8] {
        &self.request
    }
    /// The vendor key that co-signed.
    pub fn vendor_key_id(&self) -> &KeyId {
        &self.vendor_key_id
    }
    /// The vendor's signature.
    pub fn vendor_signature(&self) -> &[u8; 64] {
        &self.vendor_signature
    }
    /// The client's signature.
    pub fn client_signature(&self) -> &[u8; 64] {
        &self.client_signature
    }
    /// The audit log sequence number of the decision.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }
    /// Unix seconds of the decision.
    pub fn decided_at(&self) -> u64 {
        self.decided_at
    }
    /// The client address the gatekeeper saw.
    pub fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes_u16(RECEIPT_DOMAIN).u8(PROTOCOL_VERSION).bytes_u16(&self.request);
        w.bytes_u16(self.vendor_key_id.as_str().as_bytes());
        w.bytes(&self.vendor_signature).bytes(&self.client_signature);
        w.u64(self.sequence).u64(self.decided_at);
        match self.client_ip {
            IpAddr::V4(v4) => w.u8(4).bytes(&v4.octets()),
            IpAddr::V6(v6) => w.u8(6).bytes(&v6.octets()),
        };
        w.into_bytes()
    }

    /// Decodes exactly one receipt.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.bytes_u16(0, RECEIPT_DOMAIN.len(), Field::Domain).ok() != Some(RECEIPT_DOMAIN) {
            return Err(DecodeError::new(Field::Domain, DecodeProblem::WrongDomain));
        }
        if r.u8(Field::Version)? != PROTOCOL_VERSION {
            return Err(DecodeError::new(Field::Version, DecodeProblem::UnsupportedVersion));
        }
        let request = r.bytes_u16(1, MAX_REQUEST_LEN, Field::Request)?.to_vec();
        let id = r.bytes_u16(1, MAX_KEY_ID_LEN, Field::VendorKeyId)?;
        let vendor_key_id = core::str::from_utf8(id)
            .ok()
            .and_then(|s| KeyId::new(s).ok())
            .ok_or(DecodeError::new(Field::VendorKeyId, DecodeProblem::InvalidValue))?;
        let vendor_signature = r.array(Field::VendorSignature)?;
        let client_signature = r.array(Field::ClientSignature)?;
        let sequence = r.u64(Field::Sequence)?;
        let decided_at = r.u64(Field::DecidedAt)?;
        let client_ip = match r.u8(Field::ClientIp)? {
            4 => IpAddr::from(r.array::<4>(Field::ClientIp)?),
            6 => {
                let ip = IpAddr::from(r.array::<16>(Field::ClientIp)?);
                if normalize_ip(ip) != ip {
                    return Err(DecodeError::new(Field::ClientIp, DecodeProblem::InvalidValue));
                }
                ip
            }
            _ => return Err(DecodeError::new(Field::ClientIp, DecodeProblem::InvalidValue)),
        };
        r.finish()?;
        Ok(Self { request, vendor_key_id, vendor_signature, client_signature, sequence, decided_at, client_ip })
    }

    /// Signs the encoded receipt with the gatekeeper's key.
    pub fn sign(&self, key: &SigningKey, key_id: &KeyId) -> SignedReceipt {
        let bytes = self.encode();
        let signature = key.sign(&receipt_signed_bytes(key_id, &bytes)).to_bytes();
        SignedReceipt { bytes, key_id: key_id.clone(), signature }
    }
}

/// An encoded receipt with the gatekeeper's signature, as sent to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedReceipt {
    /// The encoded [`Receipt`].
    pub bytes: Vec<u8>,
    /// The gatekeeper key that signed.
    pub key_id: KeyId,
    /// The gatekeeper's signature.
    pub signature: [u8; 64],
}

/// The client's check of a receipt: signed by the pinned gatekeeper key, and for the request the
/// client sent (`sent_request`, the exact bytes).
pub fn verify_receipt(
    signed: &SignedReceipt,
    pinned_key: &VerifyingKey,
    sent_request: &[u8],
) -> Result<Receipt, ReceiptError> {
    let pinned = parse_public_key(pinned_key.as_bytes()).ok_or(ReceiptError::BadSignature)?;
    if !verify(&pinned, &receipt_signed_bytes(&signed.key_id, &signed.bytes), &signed.signature) {
        return Err(ReceiptError::BadSignature);
    }
    let receipt = Receipt::decode(&signed.bytes).map_err(ReceiptError::Malformed)?;
    if receipt.request != sent_request {
        return Err(ReceiptError::Mismatch);
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests;
