//! The client core: the handshake of `docs/protocol.md` section 1, written once for every client.
//!
//! Build and encode the access request ([`prepare`]), check the vendor's co-signature and build
//! what the session key signs ([`cosigned`]), and check the gatekeeper's answer before anything
//! in it is used ([`GrantCheck`], [`verify_grant`]). [`access`] runs the whole sequence over any
//! [`Transport`] and any [`SessionCrypto`]: the browser client's are `fetch` and WebCrypto (its
//! session key a non-extractable WebCrypto key); the dev stack's seeder, the gatekeeper's tests
//! and its benchmark bring their own, and an ed25519-dalek [`SigningKey`] serves natively.
//!
//! No I/O happens here: the time, the nonce and the session key are arguments, so every step is
//! tested natively. A [`VerifiedGrant`] comes only from [`GrantCheck::finish`], after the receipt
//! verified under the pinned key over the exact request bytes sent (strictly: a lenient verifier
//! is asked only after the checks of section 2.1). This module must never take a key from the
//! network for verification, and never accept an answer whose objects do not match what was
//! asked for.

mod grant;
mod upload;

#[cfg(test)]
mod tests;

use std::future::Future;

use ed25519_dalek::{Signature, Signer, SigningKey};
use s3gk_protocol::keys::parse_public_key;
use s3gk_protocol::policy::object_key::{check_syntax, KeyKind};
use s3gk_protocol::sign::client_signed_bytes;
use s3gk_protocol::strict::is_acceptable_point;
use s3gk_protocol::{AccessRequest, KeyId, Operation};
use s3gk_wire::{AuthorizeRequest, Base64, CosignAnswer, CosignRequest, Grant};

use crate::error::{ClientError, Party};

pub use grant::{verify_grant, GrantCheck, GrantedObject, ReceiptSummary, VerifiedGrant};
pub use upload::{upload_length, upload_plan, UploadPlan};

/// How long a request lives, at most: one minute (less if the gatekeeper allows less).
pub const REQUEST_LIFETIME_SECS: u64 = 60;

/// The gatekeeper's receipt-signing key and its id, pinned by the client's own configuration.
#[derive(Clone, Debug)]
pub struct PinnedKey {
    /// The key receipts must verify under (its encoding; a weak key never verifies anything).
    pub key: [u8; 32],
    /// Receipts naming any other key id are refused (`docs/protocol.md` 4.3).
    pub key_id: KeyId,
}

impl PinnedKey {
    /// A pinned key, if `key` is canonically encoded and not of small order (section 2.1).
    pub fn new(key: [u8; 32], key_id: KeyId) -> Option<Self> {
        is_acceptable_point(&key).then_some(Self { key, key_id })
    }
}

/// The client's Ed25519: its session key (which signs each request after the vendor) and the
/// verifier of the gatekeeper's receipts.
///
/// `verify` is only ever asked after the strict pre-checks of `docs/protocol.md` section 2.1 have
/// passed, so a lenient verifier (WebCrypto's) is enough. Futures need not be `Send`.
pub trait SessionCrypto {
    /// The session public key, which every request carries.
    fn public_key(&self) -> impl Future<Output = Result<[u8; 32], ClientError>>;
    /// Signs `message` with the session key.
    fn sign(&self, message: &[u8]) -> impl Future<Output = Result<[u8; 64], ClientError>>;
    /// Whether `signature` over `message` verifies under `public_key`.
    fn verify(
        &self,
        public_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; 64],
    ) -> impl Future<Output = Result<bool, ClientError>>;
}

/// A session key held in memory, with `verify_strict` (native programs, tests).
impl SessionCrypto for SigningKey {
    async fn public_key(&self) -> Result<[u8; 32], ClientError> {
        Ok(self.verifying_key().to_bytes())
    }

    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], ClientError> {
        Ok(Signer::sign(self, message).to_bytes())
    }

    async fn verify(&self, public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<bool, ClientError> {
        Ok(strict_verify(public_key, message, signature))
    }
}

/// `verify_strict` after the key admission checks of section 2.
pub(crate) fn strict_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    parse_public_key(public_key).is_some_and(|k| k.verify_strict(message, &Signature::from_bytes(signature)).is_ok())
}

/// An encoded access request, ready to be co-signed.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The decoded request.
    pub request: AccessRequest,
    /// The exact bytes every signature covers.
    pub bytes: Vec<u8>,
}

impl Prepared {
    /// Encodes `request` exactly as given, without the client-side key check of [`prepare`]: for
    /// tools and tests that must send what a careful client would not (the gatekeeper decides).
    pub fn encode(request: AccessRequest) -> Result<Self, ClientError> {
        let bytes = request.encode().map_err(|e| ClientError::InvalidArgument(e.to_string()))?;
        Ok(Self { request, bytes })
    }
}

/// Builds and encodes a request valid from `now` for [`REQUEST_LIFETIME_SECS`] (or the
/// gatekeeper's `max_lifetime`, if shorter). The key's syntax is checked first, with the same
/// codes the gatekeeper would use.
pub fn prepare(
    gatekeeper_id: &str,
    operation: Operation,
    key: &str,
    now: u64,
    max_lifetime: Option<u64>,
    nonce: [u8; 16],
    session_key: &[u8; 32],
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
        session_key: *session_key,
    };
    Prepared::encode(request)
}

/// What the vendor's co-sign endpoint receives.
pub fn cosign_request(prepared: &Prepared) -> CosignRequest {
    CosignRequest { request: Base64::encode(&prepared.bytes) }
}

/// The vendor's co-signature, checked for shape, and the bytes the session key signs next
/// (section 4.2).
#[derive(Clone, Debug)]
pub struct Cosigned {
    vendor_key_id: KeyId,
    vendor_signature: [u8; 64],
    client_message: Vec<u8>,
}

/// Reads the vendor's answer (`bad_response` if it is not a key id and 64 bytes).
pub fn cosigned(prepared: &Prepared, vendor: &CosignAnswer) -> Result<Cosigned, ClientError> {
    let bad = |what| ClientError::BadResponse(Party::Vendor, what);
    let vendor_key_id = KeyId::new(&vendor.vendor_key_id).map_err(|_| bad("vendor_key_id is not a key id"))?;
    let vendor_signature =
        vendor.vendor_signature.decode_array::<64>().ok_or(bad("vendor_signature is not the base64 of 64 bytes"))?;
    let client_message = client_signed_bytes(&prepared.bytes, &vendor_key_id, &vendor_signature);
    Ok(Cosigned { vendor_key_id, vendor_signature, client_message })
}

impl Cosigned {
    /// `PAE([client label, request, vendor_key_id, vendor_signature])`: what the session key signs.
    pub fn client_message(&self) -> &[u8] {
        &self.client_message
    }

    /// The authorize body, with the session key's signature over [`Self::client_message`].
    pub fn authorize_body(&self, prepared: &Prepared, client_signature: [u8; 64]) -> AuthorizeRequest {
        AuthorizeRequest {
            request: Base64::encode(&prepared.bytes),
            vendor_key_id: self.vendor_key_id.to_string(),
            vendor_signature: Base64::encode(self.vendor_signature),
            client_signature: Base64::encode(client_signature),
        }
    }
}

/// Signs the request and the vendor's signature with an in-memory session key (section 4.2).
pub fn authorize_body(
    prepared: &Prepared,
    vendor: &CosignAnswer,
    session: &SigningKey,
) -> Result<AuthorizeRequest, ClientError> {
    let cosigned = cosigned(prepared, vendor)?;
    let signature = Signer::sign(session, cosigned.client_message()).to_bytes();
    Ok(cosigned.authorize_body(prepared, signature))
}

/// The two round trips of one access, as the embedding program performs them.
///
/// Futures need not be `Send` (the browser's are not); a native program's usually are, and stay so.
pub trait Transport {
    /// Asks the vendor to co-sign (`POST` to its co-sign endpoint, or a local signature where the
    /// program is the vendor's own backend).
    fn cosign(&self, body: &CosignRequest) -> impl Future<Output = Result<CosignAnswer, ClientError>>;
    /// Sends the signed body to the gatekeeper's `POST /v1/authorize`.
    fn authorize(&self, body: &AuthorizeRequest) -> impl Future<Output = Result<Grant, ClientError>>;
}

/// Who asks: the gatekeeper to ask, the key its receipts must verify under, the session key, and
/// the request's clock, lifetime and nonce.
#[derive(Debug)]
pub struct Access<'a, S: ?Sized = SigningKey> {
    /// The gatekeeper's id (the audience).
    pub gatekeeper_id: &'a str,
    /// The pinned receipt key.
    pub pinned: &'a PinnedKey,
    /// This client's session key and receipt verifier.
    pub session: &'a S,
    /// The gatekeeper's time, as the client best knows it (Unix seconds).
    pub now: u64,
    /// The gatekeeper's `max_lifetime`, if known.
    pub max_lifetime: Option<u64>,
    /// 16 fresh random bytes.
    pub nonce: [u8; 16],
}

/// One access, start to end: prepare, co-sign, sign, authorize, verify. One vendor round trip
/// and one gatekeeper round trip; the answer is returned only once its receipt verified.
pub async fn access<T: Transport, S: SessionCrypto + ?Sized>(
    transport: &T,
    who: &Access<'_, S>,
    operation: Operation,
    key: &str,
) -> Result<VerifiedGrant, ClientError> {
    let session_key = who.session.public_key().await?;
    let prepared = prepare(who.gatekeeper_id, operation, key, who.now, who.max_lifetime, who.nonce, &session_key)?;
    let vendor = transport.cosign(&cosign_request(&prepared)).await?;
    let cosigned = cosigned(&prepared, &vendor)?;
    let client_signature = who.session.sign(cosigned.client_message()).await?;
    let answer = transport.authorize(&cosigned.authorize_body(&prepared, client_signature)).await?;
    let check = GrantCheck::new(answer, who.pinned, &prepared)?;
    let valid = who.session.verify(&who.pinned.key, check.message(), check.signature()).await?;
    check.finish(valid)
}
