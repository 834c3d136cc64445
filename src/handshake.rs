//! The handshake's pure steps (`docs/protocol.md`, section 1): build and encode the access
//! request, turn the vendor's co-signature into the authorize body, and check the gatekeeper's
//! answer before anything in it is used.
//!
//! No I/O happens here: the time, the nonce and the session key are arguments, so every step is
//! tested natively. [`verify_grant`] is the only way to get a [`VerifiedGrant`], and it verifies
//! the receipt under the pinned key over the exact request bytes sent before it looks at the
//! objects. This module must never take a key from the network for verification, and never
//! accept an answer whose objects do not match what was asked for.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde::Serialize;
use zeroize::Zeroizing;

use s3gk_protocol::object::{ciphertext_len, ObjectKeyMaterial, WriteKey, DEFAULT_CHUNK_SIZE, SALT_LEN};
use s3gk_protocol::policy::object_key::{check_syntax, KeyKind};
use s3gk_protocol::request::MAX_CONTENT_LENGTH;
use s3gk_protocol::sign::{client_sign, verify_receipt, SignedReceipt};
use s3gk_protocol::{AccessRequest, KeyId, ObjectError, Operation, ReceiptError};

use crate::config::PinnedKey;
use crate::error::{ClientError, Party};
use crate::wire::{AuthorizeBody, CosignAnswer, CosignRequest, GrantAnswer, ObjectWire};

/// How long a request lives, at most: one minute (less if the gatekeeper allows less).
pub(crate) const REQUEST_LIFETIME_SECS: u64 = 60;

/// An encoded access request, ready to be co-signed.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) request: AccessRequest,
    /// The exact bytes every signature covers.
    pub(crate) bytes: Vec<u8>,
}

/// Builds and encodes a request valid from `now` for [`REQUEST_LIFETIME_SECS`] (or the
/// gatekeeper's `max_lifetime`, if shorter). The key's syntax is checked first, with the same
/// codes the gatekeeper would use.
pub(crate) fn prepare(
    gatekeeper_id: &str,
    operation: Operation,
    key: &str,
    now: u64,
    max_lifetime: Option<u64>,
    nonce: [u8; 16],
    session: &SigningKey,
) -> Result<Prepared, ClientError> {
    let kind = if operation == Operation::ListPrefix { KeyKind::Prefix } else { KeyKind::Object };
    check_syntax(key, kind).map_err(ClientError::Key)?;
    let lifetime = max_lifetime.map_or(REQUEST_LIFETIME_SECS, |max| max.clamp(1, REQUEST_LIFETIME_SECS));
    let request = AccessRequest {
        gatekeeper_id: gatekeeper_id.to_owned(),
        operation,
        key: key.to_owned(),
        issued_at: now,
        expires_at: now.saturating_add(lifetime),
        nonce,
        session_key: session.verifying_key().to_bytes(),
    };
    let bytes = request.encode().map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
    Ok(Prepared { request, bytes })
}

/// What the vendor's co-sign endpoint receives.
pub(crate) fn cosign_request(prepared: &Prepared) -> CosignRequest {
    CosignRequest { request: B64.encode(&prepared.bytes) }
}

/// Signs the request and the vendor's signature with the session key (section 4.2).
pub(crate) fn authorize_body(
    prepared: &Prepared,
    vendor: &CosignAnswer,
    session: &SigningKey,
) -> Result<AuthorizeBody, ClientError> {
    let bad = |what| ClientError::BadResponse(Party::Vendor, what);
    let vendor_key_id = KeyId::new(&vendor.vendor_key_id).map_err(|_| bad("vendor_key_id is not a key id"))?;
    let vendor_signature = B64
        .decode(&vendor.vendor_signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(bad("vendor_signature is not the base64 of 64 bytes"))?;
    let client_signature = client_sign(session, &prepared.bytes, &vendor_key_id, &vendor_signature);
    Ok(AuthorizeBody {
        request: B64.encode(&prepared.bytes),
        vendor_key_id: vendor_key_id.to_string(),
        vendor_signature: B64.encode(vendor_signature),
        client_signature: B64.encode(client_signature),
    })
}

/// What a page sees of a verified receipt (`lastReceipts()`). A prefix read has one receipt for
/// the prefix and one summary per object it covers: the object's key and its own audit sequence
/// number, with the signer fields of the prefix's receipt (which is what was verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceiptSummary {
    /// The object key or prefix the receipt grants.
    pub(crate) key: String,
    /// The gatekeeper's audit log sequence number of the decision.
    pub(crate) sequence: u64,
    pub(crate) vendor_key_id: String,
    pub(crate) gatekeeper_key_id: String,
    /// Unix seconds.
    pub(crate) decided_at: u64,
    /// The client address the gatekeeper saw.
    pub(crate) client_ip: String,
    /// Always true: only a verified receipt becomes a summary.
    verified: bool,
    /// A prefix read's own receipt (not shown to JS).
    #[serde(skip)]
    prefix: bool,
}

/// One object the gatekeeper granted access to.
#[derive(Debug)]
pub(crate) struct GrantedObject {
    pub(crate) key: String,
    /// The stored (ciphertext) size, for listed objects.
    pub(crate) size: Option<u64>,
    /// The object's own audit sequence number, for listed objects.
    pub(crate) sequence: Option<u64>,
    /// The presigned URL: a bearer credential, never shown.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    /// When the URL stops working, gatekeeper time.
    pub(crate) expires_at: u64,
    /// Reads: per-object keys, one per master key that may have encrypted the object.
    pub(crate) keys: Vec<ObjectKeyMaterial>,
    /// A put: the write key of the salt the gatekeeper drew (it seals one object).
    pub(crate) write_key: Option<WriteKey>,
}

/// A gatekeeper answer whose receipt verified and whose objects match the request.
#[derive(Debug)]
pub(crate) struct VerifiedGrant {
    pub(crate) receipt: ReceiptSummary,
    pub(crate) objects: Vec<GrantedObject>,
}

impl VerifiedGrant {
    /// `lastReceipts()` after this grant: the receipt, then for a prefix read one entry per object.
    pub(crate) fn summaries(&self) -> Vec<ReceiptSummary> {
        let mut all = vec![self.receipt.clone()];
        if self.receipt.prefix {
            all.extend(self.objects.iter().map(|o| ReceiptSummary {
                key: o.key.clone(),
                sequence: o.sequence.unwrap_or(self.receipt.sequence),
                prefix: false,
                ..self.receipt.clone()
            }));
        }
        all
    }
}

/// Checks the receipt (section 4.3: signature under the pinned key, decoding, the request bytes
/// sent), then that the objects are what was asked for.
pub(crate) fn verify_grant(
    answer: GrantAnswer,
    pinned: &PinnedKey,
    prepared: &Prepared,
) -> Result<VerifiedGrant, ClientError> {
    let bad_signature = ClientError::Receipt(ReceiptError::BadSignature);
    let wire = &answer.receipt;
    let key_id = KeyId::new(&wire.key_id).map_err(|_| bad_signature.clone())?;
    if pinned.key_id != key_id {
        return Err(bad_signature);
    }
    let signature =
        B64.decode(&wire.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()).ok_or(bad_signature.clone())?;
    let bytes = B64.decode(&wire.bytes).map_err(|_| bad_signature)?;
    let signed = SignedReceipt { bytes, key_id: key_id.clone(), signature };
    let receipt = verify_receipt(&signed, &pinned.key, &prepared.bytes)?;

    let request = &prepared.request;
    let objects = answer.objects.into_iter().map(|o| granted_object(o, request)).collect::<Result<Vec<_>, _>>()?;
    if request.operation != Operation::ListPrefix && objects.len() != 1 {
        return Err(ClientError::BadResponse(Party::Gatekeeper, "a grant for one object must list exactly one"));
    }
    let receipt = ReceiptSummary {
        key: request.key.clone(),
        sequence: receipt.sequence(),
        vendor_key_id: receipt.vendor_key_id().to_string(),
        gatekeeper_key_id: key_id.to_string(),
        decided_at: receipt.decided_at(),
        client_ip: receipt.client_ip().to_string(),
        verified: true,
        prefix: request.operation == Operation::ListPrefix,
    };
    Ok(VerifiedGrant { receipt, objects })
}

/// Checks one object of a grant against the request.
fn granted_object(o: ObjectWire, request: &AccessRequest) -> Result<GrantedObject, ClientError> {
    let bad = |what| ClientError::BadResponse(Party::Gatekeeper, what);
    let (method, key_ok) = match request.operation {
        Operation::Put { .. } => ("PUT", o.key == request.key),
        Operation::ListPrefix => ("GET", o.key.starts_with(&request.key) && o.key.len() > request.key.len()),
        _ => ("GET", o.key == request.key),
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
    let (keys, write_key) = if method == "PUT" {
        if !o.key_material.is_empty() {
            return Err(bad("a put grant must not carry per-object keys"));
        }
        let w = o.write_key.as_ref().ok_or(bad("a put grant without a write key"))?;
        let write_key = (|| {
            let id = KeyId::new(&w.master_key_id).ok()?;
            let salt = <[u8; SALT_LEN]>::try_from(B64.decode(&w.salt).ok()?.as_slice()).ok()?;
            let bytes = Zeroizing::new(B64.decode(&w.key).ok()?);
            Some(WriteKey::from_bytes(id, salt, <[u8; 32]>::try_from(bytes.as_slice()).ok()?))
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
                let bytes = Zeroizing::new(B64.decode(&m.key).ok()?);
                let key = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
                Some(ObjectKeyMaterial::from_bytes(id, key))
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

/// The ciphertext length of a `plaintext_len`-byte upload under master key `upload_key_id`,
/// which a put request binds before the key is released.
pub(crate) fn upload_length(plaintext_len: usize, upload_key_id: &KeyId) -> Result<u64, ClientError> {
    u64::try_from(plaintext_len)
        .ok()
        .and_then(|len| ciphertext_len(len, DEFAULT_CHUNK_SIZE, upload_key_id))
        .filter(|len| *len <= MAX_CONTENT_LENGTH)
        .ok_or(ClientError::Object(ObjectError::TooLarge))
}

/// What a granted put needs to upload: the write key (it seals this one object), the presigned
/// URL, when it stops working, and the headers to send.
#[derive(Debug)]
pub(crate) struct UploadPlan {
    pub(crate) write_key: WriteKey,
    /// The presigned URL: a bearer credential, never shown.
    pub(crate) url: String,
    pub(crate) expires_at: u64,
    pub(crate) headers: Vec<(String, String)>,
}

/// For a granted put: the released write key (it must be for the announced master key, or the
/// bound length is wrong) and the headers to send (all signed ones but `content-length`, which the
/// browser sets from the body and which must equal `content_length`).
pub(crate) fn upload_plan(
    object: GrantedObject,
    announced: &KeyId,
    content_length: u64,
) -> Result<UploadPlan, ClientError> {
    let released =
        object.write_key.ok_or(ClientError::BadResponse(Party::Gatekeeper, "a put grant must release a write key"))?;
    if released.master_key_id() != announced {
        return Err(ClientError::UploadKeyMismatch {
            announced: announced.to_string(),
            released: released.master_key_id().to_string(),
        });
    }
    let mut headers = Vec::with_capacity(object.headers.len());
    let mut length_bound = false;
    for (name, value) in &object.headers {
        if name.eq_ignore_ascii_case("content-length") {
            length_bound = value.trim() == content_length.to_string();
        } else {
            headers.push((name.clone(), value.clone()));
        }
    }
    if !length_bound {
        return Err(ClientError::BadResponse(Party::Gatekeeper, "the presigned PUT does not bind the upload's length"));
    }
    Ok(UploadPlan { write_key: released, url: object.url, expires_at: object.expires_at, headers })
}

#[cfg(test)]
mod tests;
