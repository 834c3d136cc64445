//! The encrypted object format: a key-committing header followed by AES-256-GCM chunks in the
//! STREAM style (a chunk counter and a last-chunk flag in every nonce).
//!
//! The gatekeeper holds master keys and releases only per-object keys ([`ObjectKeyMaterial`],
//! derived from the master key, bucket and object key), so a released key opens one object name
//! and nothing else. Each object then gets its own data key from a random salt in its header. A
//! writer gets less: the [`WriteKey`] of the one salt the gatekeeper drew for its upload, which
//! seals the new object and opens nothing stored before it.
//!
//! The layers, from the bottom up (each file uses only those below it; this one only re-exports):
//!
//! - the format's numbers ([`MAGIC`], the chunk size limits, [`chunk_nonce`], [`ciphertext_len`])
//!   and [`ObjectError`];
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
mod error;
mod format;
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
pub use error::ObjectError;
pub use format::{
    chunk_nonce, ciphertext_len, plaintext_len, ChunkPosition, COMMITMENT_LEN, DEFAULT_CHUNK_SIZE, HEADER_FIXED_LEN,
    MAGIC, MAX_CHUNKS, MAX_CHUNK_SIZE, MAX_HEADER_LEN, MIN_CHUNK_SIZE, NONCE_LEN, SALT_LEN, TAG_LEN,
};
pub use header::ObjectHeader;
pub use key_schedule::{DataKey, MasterKey, ObjectKeyMaterial, WriteKey};
pub use open::{OpenFramer, OpenStep, SealedChunk};
pub use seal::{PlainChunk, SealFramer};
pub use stream::{decrypt, encrypt, Decryptor, Encryptor};
