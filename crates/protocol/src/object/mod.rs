//! The encrypted object format: a key-committing header followed by AES-256-GCM chunks in the
//! STREAM style (a chunk counter and a last-chunk flag in every nonce).
//!
//! The gatekeeper holds master keys and releases only per-object keys ([`ObjectKeyMaterial`],
//! derived from the master key, bucket and object key), so a released key opens one object name
//! and nothing else. Each object then gets its own data key from a random salt in its header. A
//! writer gets less: the [`WriteKey`] of the one salt the gatekeeper drew for its upload, which
//! seals the new object and opens nothing stored before it.
//!
//! The layers, from the bottom up:
//!
//! - [`ObjectHeader`] encodes and decodes the header; [`MasterKey`], [`ObjectKeyMaterial`] and
//!   [`DataKey`] are the key schedule;
//! - [`ChunkAead`] seals and opens one chunk; [`SoftAead`] is the RustCrypto implementation and the
//!   browser may plug in WebCrypto instead;
//! - [`SealFramer`] and [`OpenFramer`] cut a stream into chunks and assign nonces without doing
//!   any cryptography on the body themselves, so an asynchronous AEAD can drive them;
//! - [`Encryptor`], [`Decryptor`], [`encrypt`] and [`decrypt`] put the two together synchronously.
//!
//! Decrypted bytes are trustworthy only once the decryptor's `finish` has returned `Ok`: until
//! then the stream may still turn out to be truncated. This module must never release plaintext
//! from a chunk whose tag did not verify, never buffer more than one chunk plus the header, never
//! panic on input, and never draw randomness or read a clock: the salt is an argument.
//! `docs/protocol.md` ("Encrypted objects") is the normative description.

mod aead;
mod header;
mod key_schedule;
mod open;
mod seal;
mod stream;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;

pub use aead::{ChunkAead, FromDataKey, SoftAead};
pub use header::ObjectHeader;
pub use key_schedule::{DataKey, MasterKey, ObjectKeyMaterial, WriteKey};
pub use open::{OpenFramer, OpenStep, SealedChunk};
pub use seal::{PlainChunk, SealFramer};
pub use stream::{decrypt, encrypt, Decryptor, Encryptor};

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
