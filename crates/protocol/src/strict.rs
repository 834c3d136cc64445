//! Strict Ed25519 admission without curve arithmetic: the byte-level checks that
//! `docs/protocol.md` section 2.1 requires in front of a verifier that is not strict.
//!
//! A browser's WebCrypto `Ed25519` (BoringSSL, NSS, …) verifies with the cofactorless equation but
//! accepts small-order and non-canonical public keys and `R` values. [`precheck`] refuses exactly
//! those, plus `S >= L`, by comparing bytes: canonical `y < p`, and not one of the eight
//! small-order points (whose `y` takes five values). With it in front, a lenient verifier agrees
//! with `verify_strict` on every signature and receipt vector (`tests/strict_precheck.rs`).
//!
//! This module does no signature verification itself and must never be the only check: a `true`
//! from [`precheck`] means "now ask the verifier", never "valid". It is constant-time in nothing
//! it needs to be: public keys and signatures are public.

/// `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// `L = 2^252 + 27742317777372353535851937790883648493`, the group order, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// The `y` coordinates (bit 255 clear) of the eight points of small order, as listed in
/// `docs/protocol.md` section 2.1: `1` (order 1), `p - 1` (order 2), `0` (order 4) and the two
/// values of order 8. Each stands for both signs of `x`.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ],
    [0; 32],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20,
        0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf,
        0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
    ],
];

/// `a < b` for 32-byte little-endian numbers.
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// True when `encoding` may stand for a public key or an `R`: `y < p` (canonical) and not the `y`
/// of a point of small order, which also refuses `x = 0` with the sign bit set (only `y = 1` and
/// `y = p - 1` have `x = 0`). Whether the bytes are a curve point at all is the verifier's
/// business: it fails on one that is not.
pub fn is_acceptable_point(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    less_than(&y, &P) && !SMALL_ORDER_Y.contains(&y)
}

/// True when the scalar `s` (little-endian) is below the group order `L`.
pub fn is_canonical_scalar(s: &[u8; 32]) -> bool {
    less_than(s, &L)
}

/// The checks a lenient verifier lacks, for `signature` (`R || S`) under `public_key`: `A` and `R`
/// acceptable points ([`is_acceptable_point`]), `S < L`. Only when this is true may a lenient
/// verifier's answer be taken, and then as strict verification's.
pub fn precheck(public_key: &[u8; 32], signature: &[u8; 64]) -> bool {
    let (r, s) = split_signature(signature);
    is_acceptable_point(public_key) && is_acceptable_point(&r) && is_canonical_scalar(&s)
}

/// `R` and `S` of a signature.
fn split_signature(signature: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    let (rb, sb) = signature.split_at(32);
    r.copy_from_slice(rb);
    s.copy_from_slice(sb);
    (r, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::parse_public_key;
    use ed25519_dalek::{SigningKey, VerifyingKey};

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn the_eight_small_order_points_and_non_canonical_forms_are_refused() {
        let mut refused = Vec::new();
        for y in SMALL_ORDER_Y {
            let mut signed = y;
            signed[31] |= 0x80;
            refused.extend([y, signed]);
        }
        // y = p, p + 1 (the identity's non-canonical twin), and the largest 255-bit y.
        refused.push(P);
        let mut p_plus_one = P;
        p_plus_one[0] += 1;
        refused.push(p_plus_one);
        refused.push(hex32("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        for bytes in refused {
            assert!(!is_acceptable_point(&bytes), "{}", hex::encode(bytes));
            assert!(parse_public_key(&bytes).is_none(), "the curve-arithmetic check agrees: {}", hex::encode(bytes));
        }
    }

    #[test]
    fn agrees_with_the_curve_arithmetic_check_on_every_decodable_encoding() {
        // Real keys, their sign-flipped twins, and arbitrary byte strings that happen to decode.
        let mut checked = 0;
        for seed in 0u16..2000 {
            let mut bytes = *SigningKey::from_bytes(&[seed as u8; 32]).verifying_key().as_bytes();
            if seed >= 256 {
                bytes = [0; 32];
                bytes[..2].copy_from_slice(&seed.to_le_bytes());
                bytes[31] = (seed % 7) as u8 * 0x21;
            }
            if VerifyingKey::from_bytes(&bytes).is_ok() {
                assert_eq!(is_acceptable_point(&bytes), parse_public_key(&bytes).is_some(), "{}", hex::encode(bytes));
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn scalars_at_and_above_the_group_order_are_refused() {
        assert!(is_canonical_scalar(&[0; 32]));
        let mut below = L;
        below[0] -= 1;
        assert!(is_canonical_scalar(&below));
        assert!(!is_canonical_scalar(&L));
        let mut above = L;
        above[31] = 0x11;
        assert!(!is_canonical_scalar(&above));
        assert!(!is_canonical_scalar(&[0xff; 32]));
    }

    #[test]
    fn a_real_signature_passes_and_each_part_is_checked() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let a = key.verifying_key().to_bytes();
        let sig = ed25519_dalek::Signer::sign(&key, b"m").to_bytes();
        assert!(precheck(&a, &sig));
        assert!(!precheck(&SMALL_ORDER_Y[0], &sig));
        let mut small_r = sig;
        small_r[..32].copy_from_slice(&SMALL_ORDER_Y[2]);
        assert!(!precheck(&a, &small_r));
        let mut big_s = sig;
        big_s[32..].copy_from_slice(&L);
        assert!(!precheck(&a, &big_s));
    }
}
