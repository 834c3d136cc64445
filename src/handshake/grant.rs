//! A gatekeeper's grant, checked: the receipt under the pinned key and for the exact bytes sent,
//! then every object against the request (key, method, key material of the right kind).
//!
//! [`GrantCheck::finish`] is the only constructor of a [`VerifiedGrant`]: [`GrantCheck::new`]
//! runs every check that needs no signature verifier (the key id, the strict pre-checks of
//! section 2.1 on the pinned key and the signature), the caller's verifier answers for the
//! signature (WebCrypto in the browser), and `finish` decodes the receipt, compares the request
//! and checks the objects. [`verify_grant`] does all three with `verify_strict`. This module must
//! never use a URL or a key from an answer whose receipt did not verify.

use serde::Serialize;
use zeroize::Zeroizing;

use s3gk_protocol::object::{ObjectKeyMaterial, WriteKey, SALT_LEN};
use s3gk_protocol::sign::{receipt_signed_bytes, PendingReceipt, SignedReceipt, VerifiedReceipt};
use s3gk_protocol::{AccessRequest, KeyId, Operation, ReceiptError};
use s3gk_wire::{Base64, Grant, ObjectGrant, PresignedMethod, ReceiptJson};

use super::{PinnedKey, Prepared};
use crate::error::{ClientError, Party};

/// What a page sees of a verified receipt (`lastReceipts()`). A prefix read has one receipt for
/// the prefix and one summary per object it covers: the object's key and its own audit sequence
/// number, with the signer fields of the prefix's receipt (which is what was verified). Only the
/// receipt itself carries `signed`, its signed form (one line of a receipts file); a summary of an
/// object under a prefix has none, since the gatekeeper signed nothing for it alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptSummary {
    /// The object key or prefix the receipt grants.
    pub key: String,
    /// The gatekeeper's audit log sequence number of the decision.
    pub sequence: u64,
    /// The vendor key that co-signed.
    pub vendor_key_id: String,
    /// The gatekeeper key that signed the receipt.
    pub gatekeeper_key_id: String,
    /// Unix seconds.
    pub decided_at: u64,
    /// The client address the gatekeeper saw.
    pub client_ip: String,
    /// Always true: only a verified receipt becomes a summary.
    pub(crate) verified: bool,
    /// The receipt as the gatekeeper signed it, in the answer's form (`docs/api.md`): the bytes and
    /// signature that verified, the key id, and the sequence number inside the bytes. `None` for
    /// an object of a prefix read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<ReceiptJson>,
    /// A prefix read's own receipt (not shown to JS).
    #[serde(skip)]
    prefix: bool,
}

impl ReceiptSummary {
    /// The summary of `signed`, whose check gave `receipt` for `request`: only a
    /// [`VerifiedReceipt`] makes one.
    fn of(receipt: &VerifiedReceipt, signed: &SignedReceipt, request: &AccessRequest) -> Self {
        Self {
            key: request.key.clone(),
            sequence: receipt.sequence(),
            vendor_key_id: receipt.vendor_key_id().to_string(),
            gatekeeper_key_id: receipt.gatekeeper_key_id().to_string(),
            decided_at: receipt.decided_at(),
            client_ip: receipt.client_ip().to_string(),
            verified: true,
            signed: Some(ReceiptJson {
                bytes: Base64::encode(&signed.bytes),
                signature: Base64::encode(signed.signature),
                key_id: signed.key_id.to_string(),
                sequence: receipt.sequence(),
            }),
            prefix: request.operation == Operation::ListPrefix,
        }
    }
}

/// One object the gatekeeper granted access to.
#[derive(Debug)]
pub struct GrantedObject {
    /// The object key.
    pub key: String,
    /// The stored (ciphertext) size, for listed objects.
    pub size: Option<u64>,
    /// The object's own audit sequence number (the receipt's, for a get or put).
    pub sequence: u64,
    /// The presigned URL: a bearer credential, never shown.
    pub url: String,
    /// The headers the presigned request must carry, all signed.
    pub headers: Vec<(String, String)>,
    /// When the URL stops working, gatekeeper time.
    pub expires_at: u64,
    /// Reads: per-object keys, one per master key that may have encrypted the object.
    pub keys: Vec<ObjectKeyMaterial>,
    /// A put: the write key of the salt the gatekeeper drew (it seals one object).
    pub write_key: Option<WriteKey>,
}

/// A gatekeeper answer whose receipt verified and whose objects match the request.
#[derive(Debug)]
pub struct VerifiedGrant {
    /// The verified receipt.
    pub receipt: ReceiptSummary,
    /// The objects granted, each checked against the request.
    pub objects: Vec<GrantedObject>,
}

impl VerifiedGrant {
    /// `lastReceipts()` after this grant: the receipt, then for a prefix read one entry per object.
    pub fn summaries(&self) -> Vec<ReceiptSummary> {
        let mut all = vec![self.receipt.clone()];
        if self.receipt.prefix {
            all.extend(self.objects.iter().map(|o| ReceiptSummary {
                key: o.key.clone(),
                sequence: o.sequence,
                signed: None,
                prefix: false,
                ..self.receipt.clone()
            }));
        }
        all
    }
}

/// A gatekeeper answer whose receipt signature is still to be verified.
#[derive(Debug)]
pub struct GrantCheck<'a> {
    answer: Grant,
    signed: SignedReceipt,
    message: Vec<u8>,
    pinned: &'a PinnedKey,
    prepared: &'a Prepared,
}

impl<'a> GrantCheck<'a> {
    /// Section 4.3 up to the signature: the key id must be the pinned one, the receipt and
    /// signature must decode, and the pinned key and the signature must pass the strict
    /// pre-checks (all `bad_receipt_signature`).
    pub fn new(answer: Grant, pinned: &'a PinnedKey, prepared: &'a Prepared) -> Result<Self, ClientError> {
        let bad_signature = ClientError::Receipt(ReceiptError::BadSignature);
        let wire = &answer.receipt;
        let key_id = KeyId::new(&wire.key_id).map_err(|_| bad_signature.clone())?;
        if pinned.key_id != key_id {
            return Err(bad_signature);
        }
        let signature = wire.signature.decode_array::<64>().ok_or(bad_signature.clone())?;
        let bytes = wire.bytes.decode().ok_or(bad_signature)?;
        let signed = SignedReceipt { bytes, key_id, signature };
        PendingReceipt::new(&signed, &pinned.key)?;
        let message = receipt_signed_bytes(&signed.key_id, &signed.bytes);
        Ok(Self { answer, signed, message, pinned, prepared })
    }

    /// The bytes the receipt signature must verify over, under the pinned key.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The receipt signature.
    pub fn signature(&self) -> &[u8; 64] {
        &self.signed.signature
    }

    /// With the verifier's answer for [`Self::signature`] over [`Self::message`]: the receipt
    /// decoded and compared with the request sent (section 4.3), then the objects checked against
    /// the request.
    pub fn finish(self, signature_valid: bool) -> Result<VerifiedGrant, ClientError> {
        let receipt =
            PendingReceipt::new(&self.signed, &self.pinned.key)?.finish(signature_valid, &self.prepared.bytes)?;
        let request = &self.prepared.request;
        let objects =
            self.answer.objects.into_iter().map(|o| granted_object(o, request)).collect::<Result<Vec<_>, _>>()?;
        if request.operation != Operation::ListPrefix && objects.len() != 1 {
            return Err(ClientError::BadResponse(Party::Gatekeeper, "a grant for one object must list exactly one"));
        }
        Ok(VerifiedGrant { receipt: ReceiptSummary::of(&receipt, &self.signed, request), objects })
    }
}

/// Checks the receipt (section 4.3: signature under the pinned key with `verify_strict`,
/// decoding, the request bytes sent), then that the objects are what was asked for.
pub fn verify_grant(answer: Grant, pinned: &PinnedKey, prepared: &Prepared) -> Result<VerifiedGrant, ClientError> {
    let check = GrantCheck::new(answer, pinned, prepared)?;
    let valid = super::strict_verify(&pinned.key, check.message(), check.signature());
    check.finish(valid)
}

/// Checks one object of a grant against the request.
fn granted_object(o: ObjectGrant, request: &AccessRequest) -> Result<GrantedObject, ClientError> {
    let bad = |what| ClientError::BadResponse(Party::Gatekeeper, what);
    let (method, key_ok) = match request.operation {
        Operation::Put { .. } => (PresignedMethod::Put, o.key == request.key),
        Operation::ListPrefix => {
            (PresignedMethod::Get, o.key.starts_with(&request.key) && o.key.len() > request.key.len())
        }
        _ => (PresignedMethod::Get, o.key == request.key),
    };
    if !key_ok {
        return Err(bad("an object key outside the request"));
    }
    if o.method != method {
        return Err(bad("a presigned request with the wrong method"));
    }
    if !(o.url.starts_with("https://") || o.url.starts_with("http://")) {
        return Err(bad("a presigned URL that is not http(s)"));
    }
    // A read gets per-object keys and no write key; a put gets one write key and no per-object key.
    let (keys, write_key) = if method == PresignedMethod::Put {
        if !o.key_material.is_empty() {
            return Err(bad("a put grant must not carry per-object keys"));
        }
        let w = o.write_key.as_ref().ok_or(bad("a put grant without a write key"))?;
        let write_key = (|| {
            let id = KeyId::new(&w.master_key_id).ok()?;
            let key = Zeroizing::new(w.key.decode_array::<32>()?);
            Some(WriteKey::from_bytes(id, w.salt.decode_array::<SALT_LEN>()?, *key))
        })()
        .ok_or(bad("a malformed write key"))?;
        (Vec::new(), Some(write_key))
    } else {
        if o.write_key.is_some() {
            return Err(bad("a read grant must not carry a write key"));
        }
        let keys = o
            .key_material
            .iter()
            .map(|m| {
                let id = KeyId::new(&m.master_key_id).ok()?;
                let key = Zeroizing::new(m.key.decode_array::<32>()?);
                Some(ObjectKeyMaterial::from_bytes(id, *key))
            })
            .collect::<Option<Vec<_>>>()
            .filter(|keys| !keys.is_empty())
            .ok_or(bad("missing or malformed key material"))?;
        (keys, None)
    };
    let sequence = o.sequence;
    Ok(GrantedObject {
        key: o.key,
        size: o.size,
        sequence,
        url: o.url,
        headers: o.headers,
        expires_at: o.expires_at,
        keys,
        write_key,
    })
}
