//! The encrypted object's header: magic, version, master key id, salt, chunk size and key
//! commitment.
//!
//! Decoding is total and strict: exact lengths, every limit checked, no trailing bytes. A wrong
//! magic or version is [`ObjectError::UnsupportedFormat`]; every other defect is
//! [`ObjectError::Decryption`], so a damaged header is no oracle. This module must never panic on
//! input and never accept a header it could not have written.

use crate::codec::{DecodeError, Field, Reader, Writer, PROTOCOL_VERSION};
use crate::keys::{is_valid_key_id, KeyId, MAX_KEY_ID_LEN};

use super::error::ObjectError;
use super::format::{COMMITMENT_LEN, HEADER_FIXED_LEN, MAGIC, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, SALT_LEN};

/// Magic plus version: the bytes that decide between `UnsupportedFormat` and everything else.
const PREAMBLE_LEN: usize = MAGIC.len() + 1;

/// The object header's fields have no [`Field`] of their own: every failure after the version
/// collapses into [`ObjectError::Decryption`], so the field name is never shown to anyone.
const HEADER_FIELD: Field = Field::Request;

/// A parsed object header. Decoding checks its syntax only; the key commitment is checked by
/// [`super::OpenFramer`] once it has the key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectHeader {
    master_key_id: KeyId,
    salt: [u8; SALT_LEN],
    chunk_size: u32,
    commitment: [u8; COMMITMENT_LEN],
}

impl ObjectHeader {
    /// Assembles a header; `chunk_size` has already been checked against the limits.
    pub(crate) fn new(
        master_key_id: KeyId,
        salt: [u8; SALT_LEN],
        chunk_size: u32,
        commitment: [u8; COMMITMENT_LEN],
    ) -> Self {
        Self { master_key_id, salt, chunk_size, commitment }
    }

    /// The id of the master key the object's key was derived from.
    pub fn master_key_id(&self) -> &KeyId {
        &self.master_key_id
    }

    /// The random salt of the data-key derivation.
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }

    /// The plaintext bytes in every chunk but the last.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// The key commitment.
    pub fn commitment(&self) -> &[u8; COMMITMENT_LEN] {
        &self.commitment
    }

    /// The encoded length: 78 bytes plus the key id.
    pub fn encoded_len(&self) -> usize {
        HEADER_FIXED_LEN + self.master_key_id.as_str().len()
    }

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = encode_prefix(&self.master_key_id, &self.salt, self.chunk_size);
        bytes.extend_from_slice(&self.commitment);
        bytes
    }

    /// Parses exactly one header; `bytes` must hold the header and nothing else.
    ///
    /// Fewer than 9 bytes is `Decryption`; a wrong magic or version is `UnsupportedFormat`;
    /// any other defect (key id length, syntax, chunk size, truncation, trailing bytes) is
    /// `Decryption`.
    pub fn decode(bytes: &[u8]) -> Result<Self, ObjectError> {
        check_preamble(bytes)?;
        let mut r = Reader::new(bytes);
        r.take(PREAMBLE_LEN, Field::Version).map_err(malformed)?;
        let id_len = usize::from(r.u8(HEADER_FIELD).map_err(malformed)?);
        if !(1..=MAX_KEY_ID_LEN).contains(&id_len) {
            return Err(ObjectError::Decryption);
        }
        let id_bytes = r.take(id_len, HEADER_FIELD).map_err(malformed)?;
        let master_key_id = parse_key_id(id_bytes)?;
        let salt = r.array::<SALT_LEN>(HEADER_FIELD).map_err(malformed)?;
        let chunk_size = r.u32(HEADER_FIELD).map_err(malformed)?;
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(ObjectError::Decryption);
        }
        let commitment = r.array::<COMMITMENT_LEN>(HEADER_FIELD).map_err(malformed)?;
        r.finish().map_err(malformed)?;
        Ok(Self { master_key_id, salt, chunk_size, commitment })
    }
}

/// Every header byte before the commitment, the input of the data-key and commitment derivations.
pub(crate) fn encode_prefix(master_key_id: &KeyId, salt: &[u8; SALT_LEN], chunk_size: u32) -> Vec<u8> {
    let id = master_key_id.as_str().as_bytes();
    let id_len = u8::try_from(id.len()).expect("key ids are at most 64 bytes");
    let mut w = Writer::new();
    w.bytes(&MAGIC).u8(PROTOCOL_VERSION).u8(id_len).bytes(id).bytes(salt).u32(chunk_size);
    w.into_bytes()
}

/// How long the header starting with `seen` is, as far as `seen` tells: 9 until the magic and
/// version are in, 10 until the key id length is in, then the exact length.
///
/// Checks what it reads: a wrong magic or version, or a key id length outside 1–64, is an error.
pub(crate) fn needed_len(seen: &[u8]) -> Result<usize, ObjectError> {
    if seen.len() < PREAMBLE_LEN {
        return Ok(PREAMBLE_LEN);
    }
    check_preamble(seen)?;
    match seen.get(PREAMBLE_LEN) {
        None => Ok(PREAMBLE_LEN + 1),
        Some(&id_len) if (1..=MAX_KEY_ID_LEN).contains(&usize::from(id_len)) => {
            Ok(HEADER_FIXED_LEN + usize::from(id_len))
        }
        Some(_) => Err(ObjectError::Decryption),
    }
}

/// Checks the magic and version at the start of `bytes`. Fewer than 9 bytes is `Decryption`
/// (a truncated stream), not `UnsupportedFormat`.
fn check_preamble(bytes: &[u8]) -> Result<(), ObjectError> {
    let (magic, rest) = bytes.split_at_checked(MAGIC.len()).ok_or(ObjectError::Decryption)?;
    let version = rest.first().ok_or(ObjectError::Decryption)?;
    if magic != MAGIC || *version != PROTOCOL_VERSION {
        return Err(ObjectError::UnsupportedFormat);
    }
    Ok(())
}

fn parse_key_id(bytes: &[u8]) -> Result<KeyId, ObjectError> {
    if !is_valid_key_id(bytes) {
        return Err(ObjectError::Decryption);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| ObjectError::Decryption)?;
    KeyId::new(text).map_err(|_| ObjectError::Decryption)
}

fn malformed(_: DecodeError) -> ObjectError {
    ObjectError::Decryption
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ObjectHeader {
        ObjectHeader::new(KeyId::new("master-1").unwrap(), [7; 32], 65_536, [9; 32])
    }

    #[test]
    fn round_trip_and_layout() {
        let h = sample();
        let bytes = h.encode();
        assert_eq!(bytes.len(), h.encoded_len());
        assert_eq!(bytes.len(), 78 + 8);
        assert_eq!(&bytes[..8], b"s3gk-obj");
        assert_eq!(bytes[8], 1);
        assert_eq!(bytes[9], 8);
        assert_eq!(&bytes[10..18], b"master-1");
        assert_eq!(&bytes[18..50], &[7; 32]);
        assert_eq!(&bytes[50..54], &[0, 1, 0, 0]);
        assert_eq!(&bytes[54..], &[9; 32]);
        assert_eq!(ObjectHeader::decode(&bytes).unwrap(), h);
        assert_eq!(needed_len(&bytes[..3]).unwrap(), 9);
        assert_eq!(needed_len(&bytes[..9]).unwrap(), 10);
        assert_eq!(needed_len(&bytes[..10]).unwrap(), bytes.len());
    }

    #[test]
    fn decode_is_strict() {
        let good = sample().encode();
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(ObjectHeader::decode(&trailing), Err(ObjectError::Decryption));
        // A cut header is Decryption, even before the magic is complete.
        for cut in 0..good.len() {
            assert_eq!(ObjectHeader::decode(&good[..cut]), Err(ObjectError::Decryption), "cut at {cut}");
        }
        let mut bad_magic = good.clone();
        bad_magic[0] ^= 1;
        assert_eq!(ObjectHeader::decode(&bad_magic), Err(ObjectError::UnsupportedFormat));
        let mut bad_version = good.clone();
        bad_version[8] = 2;
        assert_eq!(ObjectHeader::decode(&bad_version), Err(ObjectError::UnsupportedFormat));
        assert_eq!(needed_len(&bad_version[..9]), Err(ObjectError::UnsupportedFormat));
        let mut bad_id = good.clone();
        bad_id[10] = b'/';
        assert_eq!(ObjectHeader::decode(&bad_id), Err(ObjectError::Decryption));
        for id_len in [0u8, 65, 255] {
            let mut b = good.clone();
            b[9] = id_len;
            assert_eq!(ObjectHeader::decode(&b), Err(ObjectError::Decryption));
            assert_eq!(needed_len(&b[..10]), Err(ObjectError::Decryption));
        }
        for chunk_size in [0u32, 15, 16_777_217, u32::MAX] {
            let mut b = good.clone();
            b[50..54].copy_from_slice(&chunk_size.to_be_bytes());
            assert_eq!(ObjectHeader::decode(&b), Err(ObjectError::Decryption));
        }
        for chunk_size in [16u32, 16_777_216] {
            let mut b = good.clone();
            b[50..54].copy_from_slice(&chunk_size.to_be_bytes());
            assert_eq!(ObjectHeader::decode(&b).unwrap().chunk_size(), chunk_size);
        }
    }

    #[test]
    fn longest_header_is_142_bytes() {
        let h = ObjectHeader::new(KeyId::new(&"k".repeat(64)).unwrap(), [0; 32], 16, [0; 32]);
        assert_eq!(h.encode().len(), super::super::MAX_HEADER_LEN);
        assert_eq!(super::super::MAX_HEADER_LEN, 142);
        assert_eq!(ObjectHeader::decode(&h.encode()).unwrap(), h);
    }
}
