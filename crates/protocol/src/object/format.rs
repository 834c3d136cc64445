//! The format's fixed numbers (`docs/protocol.md` section 7.2): the magic, the chunk size limits,
//! the lengths of the salt, commitment, tag and nonce, the chunk nonce, and the length of an
//! encrypted object.
//!
//! Every other part of the object format takes its numbers from here, and this module uses nothing
//! else of the format. It must never change a value: each is part of format version 1, and stored
//! objects depend on it.

use crate::keys::KeyId;

/// The eight bytes every encrypted object starts with.
pub const MAGIC: [u8; 8] = *b"s3gk-obj";

/// The smallest chunk size the format allows, in plaintext bytes.
pub const MIN_CHUNK_SIZE: u32 = 16;

/// The largest chunk size the format allows, in plaintext bytes (16 MiB).
pub const MAX_CHUNK_SIZE: u32 = 16_777_216;

/// The chunk size writers use unless they have a reason not to (64 KiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 65_536;

/// The most chunks one object may have: the counter is a 32-bit number in an 11-byte field.
pub const MAX_CHUNKS: u64 = 1 << 32;

/// The length of the random salt in the header.
pub const SALT_LEN: usize = 32;

/// The length of the key commitment in the header.
pub const COMMITMENT_LEN: usize = 32;

/// The length of an AES-GCM tag, appended to every chunk.
pub const TAG_LEN: usize = 16;

/// The length of a chunk nonce.
pub const NONCE_LEN: usize = 12;

/// The header's length without the key id: magic, version, key id length, salt, chunk size and
/// commitment.
pub const HEADER_FIXED_LEN: usize = 8 + 1 + 1 + SALT_LEN + 4 + COMMITMENT_LEN;

/// The longest possible header (with a 64-byte key id): 142 bytes.
pub const MAX_HEADER_LEN: usize = HEADER_FIXED_LEN + crate::keys::MAX_KEY_ID_LEN;

/// The nonce of chunk number `counter`: the counter as an 11-byte big-endian number, then `0x01`
/// for the final chunk or `0x00` for any other.
pub fn chunk_nonce(counter: u32, last: bool) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    let (counter_field, flag) = nonce.split_at_mut(NONCE_LEN - 1);
    let (_, low) = counter_field.split_at_mut(NONCE_LEN - 1 - 4);
    low.copy_from_slice(&counter.to_be_bytes());
    flag.copy_from_slice(&[u8::from(last)]);
    nonce
}

/// Where a chunk stands in its object: its number, whether it is the final one, and the nonce those
/// give it. The framers hand out chunks that dereference to this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPosition {
    counter: u32,
    last: bool,
    nonce: [u8; NONCE_LEN],
}

impl ChunkPosition {
    /// Chunk `counter`, final or not.
    pub fn new(counter: u32, last: bool) -> Self {
        Self { counter, last, nonce: chunk_nonce(counter, last) }
    }

    /// The nonce to seal or open this chunk with.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// The chunk's number, from 0.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// True for the final chunk.
    pub fn is_last(&self) -> bool {
        self.last
    }
}

/// The encrypted length of a `plaintext_len`-byte object with this chunk size and master key id:
/// header, plus 16 bytes per chunk, plus the plaintext.
///
/// `None` when the chunk size is outside [`MIN_CHUNK_SIZE`]`..=`[`MAX_CHUNK_SIZE`] or the object
/// would need more than [`MAX_CHUNKS`] chunks. Uploaders bind this length into their request.
pub fn ciphertext_len(plaintext_len: u64, chunk_size: u32, key_id: &KeyId) -> Option<u64> {
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return None;
    }
    let chunks = plaintext_len.div_ceil(u64::from(chunk_size)).max(1);
    if chunks > MAX_CHUNKS {
        return None;
    }
    let header = u64::try_from(HEADER_FIXED_LEN + key_id.as_str().len()).ok()?;
    let tags = chunks.checked_mul(TAG_LEN as u64)?;
    header.checked_add(tags)?.checked_add(plaintext_len)
}

/// The plaintext length of a `ciphertext_len`-byte object whose header is `header_len` bytes long
/// and whose chunks hold `chunk_size` plaintext bytes: the inverse of [`ciphertext_len`], for
/// progress reports before the last chunk has arrived. `None` for a length no such object has
/// (the decryptor refuses those anyway).
pub fn plaintext_len(ciphertext_len: u64, chunk_size: u32, header_len: usize) -> Option<u64> {
    let body = ciphertext_len.checked_sub(u64::try_from(header_len).ok()?)?;
    let stored = u64::from(chunk_size).checked_add(TAG_LEN as u64)?;
    let chunks = body.div_ceil(stored).max(1);
    let plaintext = body.checked_sub(chunks.checked_mul(TAG_LEN as u64)?)?;
    (plaintext.div_ceil(u64::from(chunk_size)).max(1) == chunks).then_some(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_len_inverts_ciphertext_len() {
        let id = KeyId::new("mk-1").expect("valid id");
        let header = HEADER_FIXED_LEN + 4;
        for chunk_size in [16u32, 17, 1000, DEFAULT_CHUNK_SIZE] {
            for len in (0u64..300).chain([65_535, 65_536, 65_537, 1 << 30, (1 << 30) + 5]) {
                let c = ciphertext_len(len, chunk_size, &id).expect("fits");
                assert_eq!(plaintext_len(c, chunk_size, header), Some(len), "{len} in chunks of {chunk_size}");
            }
        }
        // Lengths no object has: shorter than a header and a tag, or a final chunk under 16 bytes.
        assert_eq!(plaintext_len(10, 16, header), None);
        assert_eq!(plaintext_len((header + 15) as u64, 16, header), None);
        assert_eq!(plaintext_len((header + 32 + 5) as u64, 16, header), None);
    }
}
