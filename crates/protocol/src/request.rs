//! The access request: what the client asks for, in one canonical byte encoding.
//!
//! The encoding is versioned, starts with a domain label, and gives every variable-length field a
//! length prefix, so one request has exactly one encoding and decoding then re-encoding returns the
//! same bytes. Signatures are computed over the exact bytes received, never over a re-encoding.
//! [`AccessRequest::decode`] is total: any input, of any length, yields a value or a
//! [`DecodeError`] naming the field.

use crate::audience::{check_gatekeeper_id, MAX_GATEKEEPER_ID_LEN};
use crate::codec::{DecodeError, DecodeProblem, Field, Reader, Writer, PROTOCOL_VERSION};
use crate::policy::object_key::MAX_KEY_LEN;

/// The domain label every encoded request starts with (after its `u16` length).
pub const REQUEST_DOMAIN: &[u8] = b"s3-gatekeeper/v1 access-request";

/// The longest key the wire encoding carries. The policy limit, [`MAX_KEY_LEN`], is lower and
/// enforced by [`crate::policy::object_key`] with its own code.
pub const MAX_WIRE_KEY_LEN: usize = 4 * MAX_KEY_LEN;

/// The longest content type a put may declare, in bytes.
pub const MAX_CONTENT_TYPE_LEN: usize = 127;

/// The largest object a put may declare: 5 GiB, S3's limit for one PUT.
pub const MAX_CONTENT_LENGTH: u64 = 5 * 1024 * 1024 * 1024;

/// The longest possible encoded request, in bytes.
pub const MAX_REQUEST_LEN: usize = 2
    + REQUEST_DOMAIN.len()
    + 1
    + 1
    + 2
    + MAX_GATEKEEPER_ID_LEN
    + 2
    + MAX_WIRE_KEY_LEN
    + 8
    + 8
    + 16
    + 32
    + 8
    + 1
    + 32
    + 1
    + 2
    + MAX_CONTENT_TYPE_LEN;

/// What the client wants to do.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Read one object.
    Get,
    /// Write one new object of exactly `content_length` ciphertext bytes.
    Put {
        /// The ciphertext length the upload must have.
        content_length: u64,
        /// The ciphertext's SHA-256, when the client knows it before uploading.
        sha256: Option<[u8; 32]>,
        /// The plaintext's media type (`type/subtype`, lower case), kept as object metadata.
        content_type: Option<String>,
    },
    /// List every object under a prefix and read each of them.
    ListPrefix,
}

/// The operation without its parameters, for ACL rules and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// [`Operation::Get`].
    Get,
    /// [`Operation::Put`].
    Put,
    /// [`Operation::ListPrefix`].
    ListPrefix,
}

impl OperationKind {
    /// The wire code: 1 get, 2 put, 3 list_prefix.
    pub fn code(self) -> u8 {
        match self {
            OperationKind::Get => 1,
            OperationKind::Put => 2,
            OperationKind::ListPrefix => 3,
        }
    }

    /// The name used in configs, logs and JSON: `get`, `put`, `list_prefix`.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Get => "get",
            OperationKind::Put => "put",
            OperationKind::ListPrefix => "list_prefix",
        }
    }

    /// Parses [`OperationKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Get, Self::Put, Self::ListPrefix].into_iter().find(|k| k.name() == name)
    }
}

impl Operation {
    /// The operation's kind.
    pub fn kind(&self) -> OperationKind {
        match self {
            Operation::Get => OperationKind::Get,
            Operation::Put { .. } => OperationKind::Put,
            Operation::ListPrefix => OperationKind::ListPrefix,
        }
    }
}

/// A request for access to one object or one prefix, before any check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequest {
    /// The gatekeeper this request is for (the audience).
    pub gatekeeper_id: String,
    /// What to do.
    pub operation: Operation,
    /// The object key, or for [`Operation::ListPrefix`] the prefix.
    pub key: String,
    /// Unix seconds when the client made the request.
    pub issued_at: u64,
    /// Unix seconds after which the request is void.
    pub expires_at: u64,
    /// 16 random bytes; the gatekeeper refuses a nonce it has seen.
    pub nonce: [u8; 16],
    /// The client's Ed25519 session public key (proof of possession).
    pub session_key: [u8; 32],
}

impl AccessRequest {
    /// The canonical encoding. Fails only if a field exceeds its limit.
    pub fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        check_audience(self.gatekeeper_id.as_bytes())?;
        if self.key.len() > MAX_WIRE_KEY_LEN {
            return Err(DecodeError::new(Field::Key, DecodeProblem::TooLong));
        }
        let mut w = Writer::new();
        w.bytes_u16(REQUEST_DOMAIN).u8(PROTOCOL_VERSION).u8(self.operation.kind().code());
        w.bytes_u16(self.gatekeeper_id.as_bytes()).bytes_u16(self.key.as_bytes());
        w.u64(self.issued_at).u64(self.expires_at).bytes(&self.nonce).bytes(&self.session_key);
        if let Operation::Put { content_length, sha256, content_type } = &self.operation {
            if *content_length > MAX_CONTENT_LENGTH {
                return Err(DecodeError::new(Field::ContentLength, DecodeProblem::TooLong));
            }
            w.u64(*content_length);
            match sha256 {
                Some(digest) => w.u8(1).bytes(digest),
                None => w.u8(0),
            };
            match content_type {
                Some(ct) => {
                    check_content_type(ct.as_bytes())?;
                    w.u8(1).bytes_u16(ct.as_bytes())
                }
                None => w.u8(0),
            };
        }
        Ok(w.into_bytes())
    }

    /// Decodes exactly one request from `bytes`, rejecting anything non-canonical or left over.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_REQUEST_LEN {
            return Err(DecodeError::new(Field::Request, DecodeProblem::TooLong));
        }
        let mut r = Reader::new(bytes);
        let domain = r.bytes_u16(0, REQUEST_DOMAIN.len(), Field::Domain);
        if domain.ok() != Some(REQUEST_DOMAIN) {
            return Err(DecodeError::new(Field::Domain, DecodeProblem::WrongDomain));
        }
        if r.u8(Field::Version)? != PROTOCOL_VERSION {
            return Err(DecodeError::new(Field::Version, DecodeProblem::UnsupportedVersion));
        }
        let op_code = r.u8(Field::Operation)?;
        let gatekeeper_id = r.str_u16(1, MAX_GATEKEEPER_ID_LEN, Field::GatekeeperId)?;
        check_audience(gatekeeper_id.as_bytes())?;
        let key = r.str_u16(0, MAX_WIRE_KEY_LEN, Field::Key)?.to_owned();
        let issued_at = r.u64(Field::IssuedAt)?;
        let expires_at = r.u64(Field::ExpiresAt)?;
        let nonce = r.array(Field::Nonce)?;
        let session_key = r.array(Field::SessionKey)?;
        let operation = match op_code {
            1 => Operation::Get,
            3 => Operation::ListPrefix,
            2 => {
                let content_length = r.u64(Field::ContentLength)?;
                if content_length > MAX_CONTENT_LENGTH {
                    return Err(DecodeError::new(Field::ContentLength, DecodeProblem::TooLong));
                }
                let sha256 = if r.bool(Field::HasSha256)? { Some(r.array(Field::Sha256)?) } else { None };
                let content_type = if r.bool(Field::HasContentType)? {
                    let ct = r.bytes_u16(1, MAX_CONTENT_TYPE_LEN, Field::ContentType)?;
                    check_content_type(ct)?;
                    Some(String::from_utf8_lossy(ct).into_owned())
                } else {
                    None
                };
                Operation::Put { content_length, sha256, content_type }
            }
            _ => return Err(DecodeError::new(Field::Operation, DecodeProblem::InvalidValue)),
        };
        r.finish()?;
        Ok(Self { gatekeeper_id: gatekeeper_id.to_owned(), operation, key, issued_at, expires_at, nonce, session_key })
    }
}

/// A content type is `type/subtype`: two non-empty tokens of `a-z 0-9 ! # $ & ^ _ . + -`, lower
/// case, no parameters, at most [`MAX_CONTENT_TYPE_LEN`] bytes.
pub fn check_content_type(ct: &[u8]) -> Result<(), DecodeError> {
    let invalid = || DecodeError::new(Field::ContentType, DecodeProblem::InvalidValue);
    if ct.is_empty() {
        return Err(DecodeError::new(Field::ContentType, DecodeProblem::TooShort));
    }
    if ct.len() > MAX_CONTENT_TYPE_LEN {
        return Err(DecodeError::new(Field::ContentType, DecodeProblem::TooLong));
    }
    let token = |t: &[u8]| {
        !t.is_empty() && t.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$&^_.+-".contains(c))
    };
    let mut parts = ct.split(|&c| c == b'/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(sub), None) if token(kind) && token(sub) => Ok(()),
        _ => Err(invalid()),
    }
}

/// Gatekeeper ids are 1–128 bytes of `A-Z a-z 0-9 . _ - :` ([`crate::audience`]).
fn check_audience(id: &[u8]) -> Result<(), DecodeError> {
    check_gatekeeper_id(id).map_err(|problem| DecodeError::new(Field::GatekeeperId, problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn sample(operation: Operation) -> AccessRequest {
        AccessRequest {
            gatekeeper_id: "acme-gk".into(),
            operation,
            key: "tickets/42/screen.png".into(),
            issued_at: 1_800_000_000,
            expires_at: 1_800_000_060,
            nonce: [9; 16],
            session_key: [3; 32],
        }
    }

    #[test]
    fn max_length_matches_the_spec() {
        // docs/protocol.md, section 3.1, states this figure.
        assert_eq!(MAX_REQUEST_LEN, 4498);
    }

    #[test]
    fn round_trips_every_operation() {
        for op in [
            Operation::Get,
            Operation::ListPrefix,
            Operation::Put { content_length: 10, sha256: None, content_type: None },
            Operation::Put {
                content_length: MAX_CONTENT_LENGTH,
                sha256: Some([1; 32]),
                content_type: Some("image/svg+xml".into()),
            },
        ] {
            let req = sample(op);
            let bytes = req.encode().unwrap();
            assert!(bytes.len() <= MAX_REQUEST_LEN);
            assert_eq!(AccessRequest::decode(&bytes).unwrap(), req);
        }
    }

    #[test]
    fn every_rejection_names_its_field() {
        let good =
            sample(Operation::Put { content_length: 5, sha256: Some([2; 32]), content_type: None }).encode().unwrap();
        let fail = |b: &[u8]| AccessRequest::decode(b).unwrap_err();

        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(fail(&trailing), DecodeError::new(Field::End, DecodeProblem::TrailingBytes));
        assert_eq!(fail(&good[..good.len() - 1]).field(), Field::HasContentType);
        assert_eq!(fail(&good[..good.len() - 2]).field(), Field::Sha256);
        assert_eq!(fail(&[]).field(), Field::Domain);

        let version_at = 2 + REQUEST_DOMAIN.len();
        let mut v = good.clone();
        v[version_at] = 2;
        assert_eq!(fail(&v).code(), "unsupported_version");
        let mut op = good.clone();
        op[version_at + 1] = 4;
        assert_eq!(fail(&op), DecodeError::new(Field::Operation, DecodeProblem::InvalidValue));
        let mut domain = good.clone();
        domain[3] ^= 1;
        assert_eq!(fail(&domain).problem(), DecodeProblem::WrongDomain);

        let flag_at = good.len() - 34;
        let mut flag = good.clone();
        flag[flag_at] = 2;
        assert_eq!(fail(&flag), DecodeError::new(Field::HasSha256, DecodeProblem::InvalidValue));

        let huge = sample(Operation::Put { content_length: MAX_CONTENT_LENGTH + 1, sha256: None, content_type: None });
        assert_eq!(huge.encode().unwrap_err().field(), Field::ContentLength);
        for bad in ["text/html; charset=utf-8", "Text/html", "text", "/x", "a/b/c", ""] {
            let put = sample(Operation::Put { content_length: 1, sha256: None, content_type: Some(bad.into()) });
            assert_eq!(put.encode().unwrap_err().field(), Field::ContentType, "{bad:?}");
        }
        let mut bad_id = sample(Operation::Get);
        bad_id.gatekeeper_id = "a b".into();
        assert_eq!(bad_id.encode().unwrap_err().field(), Field::GatekeeperId);
    }

    fn arb_request() -> impl Strategy<Value = AccessRequest> {
        let op = prop_oneof![
            Just(Operation::Get),
            Just(Operation::ListPrefix),
            (
                0..=MAX_CONTENT_LENGTH,
                proptest::option::of(any::<[u8; 32]>()),
                proptest::option::of("[a-z0-9.+-]{1,30}/[a-z0-9.+-]{1,30}")
            )
                .prop_map(|(content_length, sha256, content_type)| Operation::Put {
                    content_length,
                    sha256,
                    content_type
                }),
        ];
        ("[a-z0-9.:_-]{1,128}", op, "\\PC{0,200}", any::<u64>(), any::<u64>(), any::<[u8; 16]>(), any::<[u8; 32]>())
            .prop_map(|(gatekeeper_id, operation, key, issued_at, expires_at, nonce, session_key)| AccessRequest {
                gatekeeper_id,
                operation,
                key,
                issued_at,
                expires_at,
                nonce,
                session_key,
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(req in arb_request()) {
            let bytes = req.encode().unwrap();
            prop_assert_eq!(AccessRequest::decode(&bytes).unwrap(), req);
        }

        #[test]
        fn decode_is_total_and_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(req) = AccessRequest::decode(&bytes) {
                prop_assert_eq!(req.encode().unwrap(), bytes);
            }
        }
    }
}
