//! Forging inputs from the specification, not from the crate under test: the access request's
//! encoding as named segments (docs/protocol.md section 3.1) so a case can cut, stretch or replace
//! one field; signatures over chosen bytes, labels and keys (section 4); and the weak keys and
//! malleable scalars section 2 says a strict verifier refuses.
//! Bytes under test must never come from the crate under test (valid requests excepted).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

use s3gk_protocol::codec::pae;
use s3gk_protocol::sign::{CLIENT_LABEL, VENDOR_LABEL};
use s3gk_protocol::{AccessRequest, Operation};

use super::harness::{Attempt, Fresh};
use crate::common::VENDOR_KEY_ID;

/// The request domain label (section 3.1).
pub const DOMAIN: &[u8] = b"s3-gatekeeper/v1 access-request";

/// The group order L, little-endian (section 2: a signature with `S >= L` is refused).
pub const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Encodings of the eight points of small order (torsion subgroup), canonical forms and sign flips.
pub const SMALL_ORDER: [(&str, &str); 8] = [
    ("identity", "0100000000000000000000000000000000000000000000000000000000000000"),
    ("order_2", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("order_4_zero", "0000000000000000000000000000000000000000000000000000000000000000"),
    ("order_4_zero_sign", "0000000000000000000000000000000000000000000000000000000000000080"),
    ("order_8_a", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    ("order_8_a_sign", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    ("order_8_b", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    ("order_8_b_sign", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
];

/// Non-canonical encodings: `y >= p`, or `x = 0` with the sign bit set.
pub const NON_CANONICAL: [(&str, &str); 5] = [
    ("y_is_p", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("y_is_p_plus_1", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("y_is_2_255_minus_1", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ("identity_with_sign_bit", "0100000000000000000000000000000000000000000000000000000000000080"),
    ("minus_one_with_sign_bit", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
];

pub fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text).expect("constant hex").try_into().expect("32 bytes")
}

/// The first `y` (small, canonical, sign bit clear) that is not the y-coordinate of a curve point.
pub fn not_on_curve() -> [u8; 32] {
    (2u8..=255)
        .map(|y| {
            let mut k = [0u8; 32];
            k[0] = y;
            k
        })
        .find(|k| curve25519_point(k).is_none())
        .expect("half of all y values are off the curve")
}

fn curve25519_point(bytes: &[u8; 32]) -> Option<()> {
    ed25519_dalek::VerifyingKey::from_bytes(bytes).ok().map(|_| ())
}

/// `R = identity, S = 0`: verifies under the identity key if small order is not refused.
pub fn identity_signature() -> [u8; 64] {
    let mut s = [0u8; 64];
    s[0] = 1;
    s
}

/// A signature with `S` replaced by `S + times * L` (the same signature to a lax verifier).
pub fn add_l(sig: [u8; 64], times: u8) -> [u8; 64] {
    let mut out = sig;
    for _ in 0..times {
        let mut carry = 0u16;
        for (i, l) in L.iter().enumerate() {
            let sum = u16::from(out[32 + i]) + u16::from(*l) + carry;
            out[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
    }
    out
}

/// `sig` with byte `at` xor-ed with `mask`.
pub fn flip(sig: [u8; 64], at: usize, mask: u8) -> [u8; 64] {
    let mut out = sig;
    out[at] ^= mask;
    out
}

/// `bytes16(x)`: a u16 length, then the bytes.
pub fn b16(bytes: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(bytes.len()).expect("fits a u16 prefix").to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A u16 length prefix claiming `len` bytes, followed by `bytes` (which may be fewer or more).
pub fn b16_claiming(len: u16, bytes: &[u8]) -> Vec<u8> {
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// An access request's encoding, field by field, in the order of section 3.1.
#[derive(Clone, Debug)]
pub struct Segments(Vec<(&'static str, Vec<u8>)>);

impl Segments {
    /// The canonical encoding of `req`.
    pub fn of(req: &AccessRequest) -> Self {
        let op = match req.operation {
            Operation::Get => 1,
            Operation::Put { .. } => 2,
            _ => 3,
        };
        let mut s = vec![
            ("domain", b16(DOMAIN)),
            ("version", vec![1]),
            ("operation", vec![op]),
            ("gatekeeper_id", b16(req.gatekeeper_id.as_bytes())),
            ("key", b16(req.key.as_bytes())),
            ("issued_at", req.issued_at.to_be_bytes().to_vec()),
            ("expires_at", req.expires_at.to_be_bytes().to_vec()),
            ("nonce", req.nonce.to_vec()),
            ("session_key", req.session_key.to_vec()),
        ];
        if let Operation::Put { content_length, sha256, content_type } = &req.operation {
            s.push(("content_length", content_length.to_be_bytes().to_vec()));
            s.push(("has_sha256", vec![u8::from(sha256.is_some())]));
            s.push(("sha256", sha256.map(|d| d.to_vec()).unwrap_or_default()));
            s.push(("has_content_type", vec![u8::from(content_type.is_some())]));
            s.push(("content_type", content_type.as_ref().map(|c| b16(c.as_bytes())).unwrap_or_default()));
        }
        Segments(s)
    }

    /// Replaces field `name`'s bytes.
    pub fn set(mut self, name: &str, bytes: Vec<u8>) -> Self {
        let slot = self.0.iter_mut().find(|(n, _)| *n == name).expect("a field of section 3.1");
        slot.1 = bytes;
        self
    }

    /// Adds bytes after the last field.
    pub fn append(mut self, bytes: &[u8]) -> Self {
        self.0.push(("trailing", bytes.to_vec()));
        self
    }

    /// Everything before field `name`, plus its first `keep` bytes.
    pub fn cut(&self, name: &str, keep: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, bytes) in &self.0 {
            if *n == name {
                out.extend_from_slice(&bytes[..keep.min(bytes.len())]);
                return out;
            }
            out.extend_from_slice(bytes);
        }
        panic!("no field {name}");
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|(_, b)| b.iter().copied()).collect()
    }
}

/// A body from its four parts, binary ones in standard base64.
pub fn body(request: &[u8], vendor_key_id: &str, vendor_signature: &[u8], client_signature: &[u8]) -> Value {
    json!({
        "request": B64.encode(request),
        "vendor_key_id": vendor_key_id,
        "vendor_signature": B64.encode(vendor_signature),
        "client_signature": B64.encode(client_signature),
    })
}

/// `key` signs `pae(parts)`.
pub fn sign_pae(key: &SigningKey, parts: &[&[u8]]) -> [u8; 64] {
    key.sign(&pae(parts)).to_bytes()
}

/// `key` signs `message` as is.
pub fn sign_raw(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

impl Fresh {
    /// The vendor's correct signature over `request`.
    pub fn vendor_sig(&self, request: &[u8]) -> [u8; 64] {
        sign_pae(&self.client.vendor, &[VENDOR_LABEL, VENDOR_KEY_ID.as_bytes(), request])
    }

    /// The session key's correct signature over `request` and `vendor_sig`.
    pub fn client_sig(&self, request: &[u8], vendor_sig: &[u8; 64]) -> [u8; 64] {
        sign_pae(&self.client.session, &[CLIENT_LABEL, request, VENDOR_KEY_ID.as_bytes(), vendor_sig])
    }

    /// This request's canonical bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.req.encode().expect("fresh requests encode")
    }

    /// Arbitrary request bytes, signed correctly by the vendor and the session key.
    pub fn raw(&self, request: Vec<u8>) -> Attempt {
        let v = self.vendor_sig(&request);
        let c = self.client_sig(&request, &v);
        self.parts(&request, VENDOR_KEY_ID, v, c)
    }

    /// This request with the given signatures (the client one re-made over `vendor` when `None`).
    pub fn signed_with(&self, vendor: [u8; 64], client: Option<[u8; 64]>) -> Attempt {
        let bytes = self.bytes();
        let client = client.unwrap_or_else(|| self.client_sig(&bytes, &vendor));
        self.parts(&bytes, VENDOR_KEY_ID, vendor, client)
    }

    /// A body from its parts; audited with the request's nonce and key when the bytes decode.
    pub fn parts(&self, request: &[u8], vendor_key_id: &str, vendor: [u8; 64], client: [u8; 64]) -> Attempt {
        let decoded = AccessRequest::decode(request).ok();
        let body = body(request, vendor_key_id, &vendor, &client).to_string().into_bytes();
        Attempt::authorize(self.from, body, decoded)
    }
}
