//! Client signatures that satisfy the cofactorless equation `[S]B = R + [k]A` yet must be refused
//! by strict verification (`docs/protocol.md`, section 2): a lenient verifier accepts them, so each
//! one tests a check an implementer has to add.
//!
//! Only the vector generator uses these; nothing here may be reachable from a signer in production.

use curve25519_dalek::Scalar;
use ed25519_dalek::SigningKey;
use s3gk_protocol::sign::{self, Authorization};
use s3gk_protocol::KeyId;
use sha2::{Digest, Sha512};

/// The identity point (0, 1), canonically encoded: y = 1.
pub(crate) const IDENTITY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

/// `y = p + low - 0xed` encoded in 32 bytes (p = 2^255 - 19 is `ed ff … ff 7f`, little-endian).
const fn near_p(low: u8) -> [u8; 32] {
    let mut b = [0xffu8; 32];
    b[0] = low;
    b[31] = 0x7f;
    b
}

/// (0, -1), the point of order 2, canonically encoded: y = p - 1.
pub(crate) const MINUS_ONE: [u8; 32] = near_p(0xec);

/// The identity encoded as y = p + 1: not canonical.
pub(crate) const IDENTITY_Y_P_PLUS_1: [u8; 32] = near_p(0xee);

/// `enc` with bit 255, the sign of x, set.
pub(crate) const fn with_sign(mut enc: [u8; 32]) -> [u8; 32] {
    enc[31] |= 0x80;
    enc
}

/// `k = SHA-512(R || A || M) mod L`.
fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn client_message(auth: &Authorization) -> Vec<u8> {
    let vid = KeyId::new(&auth.vendor_key_id).expect("vectors present configured key ids");
    sign::client_signed_bytes(&auth.request, &vid, &auth.vendor_signature)
}

/// For a request whose session key `a` encodes a point of order 1 or 2: `S = 0` and `R = -[k]A`,
/// which is the identity when the point is the identity or `k` is even, and (0, -1) otherwise.
/// `k` depends on `R`, so `R` is tried as each of the two; `None` if neither fits this message.
pub(crate) fn small_order_session_key(auth: &Authorization, a: &[u8; 32]) -> Option<[u8; 64]> {
    let message = client_message(auth);
    let order_two = *a == MINUS_ONE || *a == with_sign(MINUS_ONE);
    [IDENTITY, MINUS_ONE].into_iter().find_map(|r| {
        let odd = challenge(&r, a, &message).as_bytes()[0] & 1 == 1;
        let wanted = if order_two && odd { MINUS_ONE } else { IDENTITY };
        (r == wanted).then(|| {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&r);
            sig
        })
    })
}

/// A client signature by the real session key with the given encoding of the identity as `R`:
/// `S = k·a`, so `[S]B = [k]A = R + [k]A`.
pub(crate) fn identity_r(auth: &Authorization, session: &SigningKey, r: &[u8; 32]) -> [u8; 64] {
    let a = session.verifying_key().to_bytes();
    let s = challenge(r, &a, &client_message(auth)) * session.to_scalar();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}
