//! Byte-level building blocks shared by every encoding in the protocol.
//!
//! [`Reader`] is a cursor that takes exact lengths, never reads out of range and rejects trailing
//! bytes; every error names the [`Field`] being read. [`Writer`] is its mirror. [`pae`] is the
//! labelled, length-prefixed encoding that every signature covers, so no two different lists of
//! parts can ever produce the same signed bytes.
//!
//! A decoding failure is a [`DecodeError`]: the [`Field`] being read and the [`DecodeProblem`]
//! with it. This module depends on nothing else in the crate, and must never panic on input,
//! whatever its length or content.

use core::fmt;

/// The protocol version this crate speaks, carried in every request, receipt and object header.
pub const PROTOCOL_VERSION: u8 = 1;

/// The field a decoder was reading when it failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Field {
    Domain,
    Version,
    Operation,
    GatekeeperId,
    Key,
    IssuedAt,
    ExpiresAt,
    Nonce,
    SessionKey,
    ContentLength,
    HasSha256,
    Sha256,
    HasContentType,
    ContentType,
    VendorKeyId,
    VendorSignature,
    ClientSignature,
    Request,
    Sequence,
    DecidedAt,
    ClientIp,
    GatekeeperKeyId,
    /// After the last field: trailing bytes.
    End,
}

impl Field {
    /// The field's name as written in `docs/protocol.md`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Domain => "domain",
            Field::Version => "version",
            Field::Operation => "operation",
            Field::GatekeeperId => "gatekeeper_id",
            Field::Key => "key",
            Field::IssuedAt => "issued_at",
            Field::ExpiresAt => "expires_at",
            Field::Nonce => "nonce",
            Field::SessionKey => "session_key",
            Field::ContentLength => "content_length",
            Field::HasSha256 => "has_sha256",
            Field::Sha256 => "sha256",
            Field::HasContentType => "has_content_type",
            Field::ContentType => "content_type",
            Field::VendorKeyId => "vendor_key_id",
            Field::VendorSignature => "vendor_signature",
            Field::ClientSignature => "client_signature",
            Field::Request => "request",
            Field::Sequence => "sequence",
            Field::DecidedAt => "decided_at",
            Field::ClientIp => "client_ip",
            Field::GatekeeperKeyId => "gatekeeper_key_id",
            Field::End => "end",
        }
    }
}

/// What was wrong with a field.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeProblem {
    /// The input ended inside the field.
    Truncated,
    /// Bytes remained after the last field.
    TrailingBytes,
    /// Shorter than the field's minimum.
    TooShort,
    /// Longer than the field's maximum.
    TooLong,
    /// Text that is not UTF-8.
    InvalidUtf8,
    /// A value outside the field's domain (an unknown code, a flag other than 0 or 1, a bad character).
    InvalidValue,
    /// The domain-separation label is not the one this encoding requires.
    WrongDomain,
    /// A version this implementation does not speak.
    UnsupportedVersion,
}

impl DecodeProblem {
    fn describe(self) -> &'static str {
        match self {
            DecodeProblem::Truncated => "truncated",
            DecodeProblem::TrailingBytes => "trailing bytes",
            DecodeProblem::TooShort => "too short",
            DecodeProblem::TooLong => "too long",
            DecodeProblem::InvalidUtf8 => "not utf-8",
            DecodeProblem::InvalidValue => "invalid value",
            DecodeProblem::WrongDomain => "wrong domain label",
            DecodeProblem::UnsupportedVersion => "unsupported version",
        }
    }
}

/// A decoding failure: which field, and what was wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    field: Field,
    problem: DecodeProblem,
}

impl DecodeError {
    /// A failure at `field`.
    pub fn new(field: Field, problem: DecodeProblem) -> Self {
        Self { field, problem }
    }

    /// The field being read.
    pub fn field(&self) -> Field {
        self.field
    }

    /// What was wrong.
    pub fn problem(&self) -> DecodeProblem {
        self.problem
    }

    /// `unsupported_version` for a version we do not speak, otherwise `malformed_request`.
    pub fn code(&self) -> &'static str {
        match self.problem {
            DecodeProblem::UnsupportedVersion => "unsupported_version",
            _ => "malformed_request",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {}: {}", self.field.name(), self.problem.describe())
    }
}

impl std::error::Error for DecodeError {}

/// Encodes `parts` unambiguously: `u32be(count)` then, per part, `u32be(len) || part`.
///
/// The first part is always a domain-separation label (see `docs/protocol.md`, "Signed bytes").
pub fn pae(parts: &[&[u8]]) -> Vec<u8> {
    let total: usize = 4 + parts.iter().map(|p| 4 + p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&len_u32(parts.len()).to_be_bytes());
    for part in parts {
        out.extend_from_slice(&len_u32(part.len()).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// Converts an in-memory length to the `u32` used on the wire.
///
/// Every part the protocol encodes is bounded far below 4 GiB by its field's limit.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).expect("protocol parts are bounded far below 4 GiB")
}

/// A cursor over untrusted bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes` from the beginning.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::new(field, DecodeProblem::Truncated));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Takes exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, field: Field) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Takes one byte.
    pub fn u8(&mut self, field: Field) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Takes a big-endian `u16`.
    pub fn u16(&mut self, field: Field) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Takes a big-endian `u32`.
    pub fn u32(&mut self, field: Field) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Takes a big-endian `u64`.
    pub fn u64(&mut self, field: Field) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Takes a `u8` that must be 0 or 1.
    pub fn bool(&mut self, field: Field) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::new(field, DecodeProblem::InvalidValue)),
        }
    }

    /// Takes `u16be(len) || bytes` with `min <= len <= max`.
    pub fn bytes_u16(&mut self, min: usize, max: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        let len = usize::from(self.u16(field)?);
        if len < min {
            return Err(DecodeError::new(field, DecodeProblem::TooShort));
        }
        if len > max {
            return Err(DecodeError::new(field, DecodeProblem::TooLong));
        }
        self.take(len, field)
    }

    /// Takes `u16be(len) || utf8` with `min <= len <= max` bytes.
    pub fn str_u16(&mut self, min: usize, max: usize, field: Field) -> Result<&'a str, DecodeError> {
        let bytes = self.bytes_u16(min, max, field)?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError::new(field, DecodeProblem::InvalidUtf8))
    }

    /// The bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Ends reading; any byte left over is an error.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(Field::End, DecodeProblem::TrailingBytes))
        }
    }
}

/// Appends the wire forms [`Reader`] reads.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    /// Appends `u16be(len) || b`; callers keep `b` within the field's limit.
    pub fn bytes_u16(&mut self, b: &[u8]) -> &mut Self {
        let len = u16::try_from(b.len()).expect("u16-prefixed fields are validated to their limits");
        self.u16(len).bytes(b)
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_separates_part_boundaries() {
        assert_ne!(pae(&[b"ab", b"c"]), pae(&[b"a", b"bc"]));
        assert_ne!(pae(&[b"abc"]), pae(&[b"abc", b""]));
        assert_eq!(pae(&[b"x"]), [0, 0, 0, 1, 0, 0, 0, 1, b'x']);
    }

    #[test]
    fn reader_is_total() {
        let mut r = Reader::new(&[0, 5, b'a']);
        let err = r.bytes_u16(0, 10, Field::Key).unwrap_err();
        assert_eq!(err.problem(), DecodeProblem::Truncated);
        assert_eq!(err.field(), Field::Key);
        let r = Reader::new(&[1]);
        assert_eq!(r.finish().unwrap_err().problem(), DecodeProblem::TrailingBytes);
        let mut r = Reader::new(&[2]);
        assert_eq!(r.bool(Field::HasSha256).unwrap_err().problem(), DecodeProblem::InvalidValue);
    }
}
