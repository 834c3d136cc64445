//! The gatekeeper's receipt (`docs/protocol.md` section 4.3): its canonical encoding, the
//! gatekeeper's signature over it, and the client's check.
//!
//! The gatekeeper builds a [`Receipt`] only from a [`Grant`](super::Grant). A client trusts one
//! only as a [`VerifiedReceipt`], which only [`verify_receipt`] builds: it checks the signature
//! under the pinned key, then decodes, then compares the request with the exact bytes sent. This
//! module must never decode a receipt for a client before its signature has verified, never take
//! the verifying key from the receipt or the network, and never give one receipt two encodings.

use core::fmt;
use core::net::IpAddr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::codec::{pae, DecodeError, DecodeProblem, Field, Reader, Writer, PROTOCOL_VERSION};
use crate::keys::{parse_public_key, verify_signature, KeyId, MAX_KEY_ID_LEN};
use crate::policy::acl::normalize_ip;
use crate::request::MAX_REQUEST_LEN;
use crate::strict::precheck;

/// Label of the gatekeeper's receipt signature.
pub const RECEIPT_LABEL: &[u8] = b"s3-gatekeeper/v1 receipt-signature";
/// The domain label every encoded receipt starts with.
pub const RECEIPT_DOMAIN: &[u8] = b"s3-gatekeeper/v1 receipt";

/// The bytes the gatekeeper signs for a receipt.
pub fn receipt_signed_bytes(gatekeeper_key_id: &KeyId, receipt: &[u8]) -> Vec<u8> {
    pae(&[RECEIPT_LABEL, gatekeeper_key_id.as_str().as_bytes(), receipt])
}

/// A receipt from the gatekeeper that the client must not trust.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptError {
    /// The receipt bytes do not decode.
    Malformed(DecodeError),
    /// The signature does not verify under the pinned gatekeeper key.
    BadSignature,
    /// The receipt is valid but for another request than the one sent.
    Mismatch,
}

impl ReceiptError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReceiptError::Malformed(_) => "malformed_receipt",
            ReceiptError::BadSignature => "bad_receipt_signature",
            ReceiptError::Mismatch => "receipt_mismatch",
        }
    }
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::Malformed(e) => write!(f, "gatekeeper receipt: {e}"),
            ReceiptError::BadSignature => f.write_str("gatekeeper receipt is not signed by the pinned gatekeeper key"),
            ReceiptError::Mismatch => f.write_str("gatekeeper receipt is for another request"),
        }
    }
}

impl std::error::Error for ReceiptError {}

/// The gatekeeper's statement that it granted a request: the request, both signatures, and the
/// decision fields. Built from a [`Grant`](super::Grant) or decoded.
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
    /// Assembles the receipt of a grant: the request bytes and signatures as received, and the
    /// decision fields. Only [`Grant::receipt`](super::Grant::receipt) calls it.
    pub(super) fn new(
        request: Vec<u8>,
        vendor_key_id: KeyId,
        signatures: ([u8; 64], [u8; 64]),
        sequence: u64,
        decided_at: u64,
        client_ip: IpAddr,
    ) -> Self {
        let (vendor_signature, client_signature) = signatures;
        Self { request, vendor_key_id, vendor_signature, client_signature, sequence, decided_at, client_ip }
    }

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

    /// Decodes exactly one receipt. This checks the encoding only: a client uses
    /// [`verify_receipt`], which checks the signature first.
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

/// A receipt signed by the pinned gatekeeper key, under the key id it names, for the exact request
/// the client sent. Only [`verify_receipt`] builds one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    receipt: Receipt,
    gatekeeper_key_id: KeyId,
}

impl VerifiedReceipt {
    /// The decoded receipt.
    pub fn receipt(&self) -> &Receipt {
        &self.receipt
    }
    /// The gatekeeper key id the signature was verified under.
    pub fn gatekeeper_key_id(&self) -> &KeyId {
        &self.gatekeeper_key_id
    }
    /// The vendor key that co-signed.
    pub fn vendor_key_id(&self) -> &KeyId {
        self.receipt.vendor_key_id()
    }
    /// The audit log sequence number of the decision.
    pub fn sequence(&self) -> u64 {
        self.receipt.sequence()
    }
    /// Unix seconds of the decision.
    pub fn decided_at(&self) -> u64 {
        self.receipt.decided_at()
    }
    /// The client address the gatekeeper saw.
    pub fn client_ip(&self) -> IpAddr {
        self.receipt.client_ip()
    }
}

/// The client's check of a receipt: signed by the pinned gatekeeper key, and for the request the
/// client sent (`sent_request`, the exact bytes). Strict verification here; a client whose verifier
/// lives elsewhere (WebCrypto) goes through [`PendingReceipt`], which runs the same checks around it.
pub fn verify_receipt(
    signed: &SignedReceipt,
    pinned_key: &VerifyingKey,
    sent_request: &[u8],
) -> Result<VerifiedReceipt, ReceiptError> {
    let pending = PendingReceipt::new(signed, pinned_key.as_bytes())?;
    let valid = parse_public_key(pinned_key.as_bytes())
        .is_some_and(|pinned| verify_signature(&pinned, pending.message(), pending.signature()));
    pending.finish(valid, sent_request)
}

/// A receipt check split around a signature verifier that lives outside this crate.
///
/// The browser verifies Ed25519 with WebCrypto, asynchronously and leniently (section 2.1).
/// [`PendingReceipt::new`] runs what must come before that verifier (the strict pre-checks of
/// [`crate::strict`] on the pinned key and the signature) and hands out the exact bytes to verify;
/// [`PendingReceipt::finish`] takes the verifier's answer and runs what comes after (decoding, the
/// comparison with the request sent), with section 4.3's codes in section 4.3's order. It must
/// never let a receipt through whose verifier said no, nor ask a verifier about a key or signature
/// that a strict verifier would refuse outright.
#[derive(Debug)]
pub struct PendingReceipt<'a> {
    signed: &'a SignedReceipt,
    message: Vec<u8>,
    public_key: [u8; 32],
}

impl<'a> PendingReceipt<'a> {
    /// Refuses (`bad_receipt_signature`) a pinned key or a signature that strict verification
    /// refuses without looking at the message: a non-canonical or small-order key or `R`, or
    /// `S >= L`. Otherwise the signature is to be verified over [`message`](Self::message).
    pub fn new(signed: &'a SignedReceipt, pinned_key: &[u8; 32]) -> Result<Self, ReceiptError> {
        if !precheck(pinned_key, &signed.signature) {
            return Err(ReceiptError::BadSignature);
        }
        let message = receipt_signed_bytes(&signed.key_id, &signed.bytes);
        Ok(Self { signed, message, public_key: *pinned_key })
    }

    /// The pinned key the signature must verify under.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The signed bytes: `PAE([label, gatekeeper_key_id, receipt])`.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The signature to verify.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signed.signature
    }

    /// With the verifier's answer: `bad_receipt_signature` if it said no, then the receipt decoded
    /// (`malformed_receipt`) and checked to be for `sent_request`, the exact bytes the client sent
    /// (`receipt_mismatch`).
    pub fn finish(self, signature_valid: bool, sent_request: &[u8]) -> Result<VerifiedReceipt, ReceiptError> {
        if !signature_valid {
            return Err(ReceiptError::BadSignature);
        }
        let receipt = Receipt::decode(&self.signed.bytes).map_err(ReceiptError::Malformed)?;
        if receipt.request != sent_request {
            return Err(ReceiptError::Mismatch);
        }
        Ok(VerifiedReceipt { receipt, gatekeeper_key_id: self.signed.key_id.clone() })
    }
}
