//! The client core: the handshake of `docs/protocol.md` section 1, written once for every client.
//!
//! Build and encode the access request ([`prepare`]), turn the vendor's co-signature into the
//! authorize body ([`authorize_body`]), and check the gatekeeper's answer before anything in it
//! is used ([`verify_grant`]). [`access`] runs the whole sequence over any [`Transport`]: the
//! browser client's is `fetch`; the dev stack's seeder, the gatekeeper's tests and its benchmark
//! bring their own, and so does any native program that reads or writes through a gatekeeper.
//!
//! No I/O happens here: the time, the nonce and the session key are arguments, so every step is
//! tested natively. [`verify_grant`] is the only way to get a [`VerifiedGrant`], and it verifies
//! the receipt under the pinned key over the exact request bytes sent before it looks at the
//! objects. This module must never take a key from the network for verification, and never
//! accept an answer whose objects do not match what was asked for.

mod grant;
mod upload;

#[cfg(test)]
mod tests;

use std::future::Future;

use ed25519_dalek::{SigningKey, VerifyingKey};
use s3gk_protocol::policy::object_key::{check_syntax, KeyKind};
use s3gk_protocol::sign::client_sign;
use s3gk_protocol::{AccessRequest, KeyId, Operation};
use s3gk_wire::{AuthorizeRequest, Base64, CosignAnswer, CosignRequest, Grant};

use crate::error::{ClientError, Party};

pub use grant::{verify_grant, GrantedObject, ReceiptSummary, VerifiedGrant};
pub use upload::{upload_length, upload_plan, UploadPlan};

/// How long a request lives, at most: one minute (less if the gatekeeper allows less).
pub const REQUEST_LIFETIME_SECS: u64 = 60;

/// The gatekeeper's receipt-signing key and its id, pinned by the client's own configuration.
#[derive(Clone, Debug)]
pub struct PinnedKey {
    /// The key receipts must verify under.
    pub key: VerifyingKey,
    /// Receipts naming any other key id are refused (`docs/protocol.md` 4.3).
    pub key_id: KeyId,
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
    Prepared::encode(request)
}

/// What the vendor's co-sign endpoint receives.
pub fn cosign_request(prepared: &Prepared) -> CosignRequest {
    CosignRequest { request: Base64::encode(&prepared.bytes) }
}

/// Signs the request and the vendor's signature with the session key (section 4.2).
pub fn authorize_body(
    prepared: &Prepared,
    vendor: &CosignAnswer,
    session: &SigningKey,
) -> Result<AuthorizeRequest, ClientError> {
    let bad = |what| ClientError::BadResponse(Party::Vendor, what);
    let vendor_key_id = KeyId::new(&vendor.vendor_key_id).map_err(|_| bad("vendor_key_id is not a key id"))?;
    let vendor_signature =
        vendor.vendor_signature.decode_array::<64>().ok_or(bad("vendor_signature is not the base64 of 64 bytes"))?;
    let client_signature = client_sign(session, &prepared.bytes, &vendor_key_id, &vendor_signature);
    Ok(AuthorizeRequest {
        request: Base64::encode(&prepared.bytes),
        vendor_key_id: vendor_key_id.to_string(),
        vendor_signature: Base64::encode(vendor_signature),
        client_signature: Base64::encode(client_signature),
    })
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
pub struct Access<'a> {
    /// The gatekeeper's id (the audience).
    pub gatekeeper_id: &'a str,
    /// The pinned receipt key.
    pub pinned: &'a PinnedKey,
    /// This client's session key.
    pub session: &'a SigningKey,
    /// The gatekeeper's time, as the client best knows it (Unix seconds).
    pub now: u64,
    /// The gatekeeper's `max_lifetime`, if known.
    pub max_lifetime: Option<u64>,
    /// 16 fresh random bytes.
    pub nonce: [u8; 16],
}

/// One access, start to end: prepare, co-sign, sign, authorize, verify. One vendor round trip
/// and one gatekeeper round trip; the answer is returned only once its receipt verified.
pub async fn access<T: Transport>(
    transport: &T,
    who: &Access<'_>,
    operation: Operation,
    key: &str,
) -> Result<VerifiedGrant, ClientError> {
    let prepared = prepare(who.gatekeeper_id, operation, key, who.now, who.max_lifetime, who.nonce, who.session)?;
    let vendor = transport.cosign(&cosign_request(&prepared)).await?;
    let body = authorize_body(&prepared, &vendor, who.session)?;
    let answer = transport.authorize(&body).await?;
    verify_grant(answer, who.pinned, &prepared)
}
