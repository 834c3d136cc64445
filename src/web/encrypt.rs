//! Encryption of an upload in the browser, driven by the protocol's [`SealFramer`] with chunks
//! sealed by [`ChunkCipher`] (WebCrypto where available).
//!
//! The plaintext is read from its JS `Uint8Array` one chunk at a time and the ciphertext is
//! written into a JS `Uint8Array` of exactly the length the request bound, so wasm memory holds
//! at most a chunk or two whatever the object's size. The salt is the one the gatekeeper drew for
//! this upload, carried by its write key, which is consumed: one write key seals one object. This
//! module must never reuse a write key or produce a length other than the one bound.

use std::collections::VecDeque;

use js_sys::Uint8Array;

use s3gk_protocol::object::{SealFramer, WriteKey, DEFAULT_CHUNK_SIZE};

use super::aead::{ChunkCipher, Engine, Pending, Usage};
use crate::error::ClientError;

/// How many chunks may be sealing at once.
const MAX_IN_FLIGHT: usize = 4;

/// Writes sealed chunks, in order, into the output array.
struct Output {
    array: Uint8Array,
    at: u32,
    in_flight: VecDeque<Pending>,
}

impl Output {
    fn write(&mut self, bytes: &Uint8Array) -> Result<(), ClientError> {
        let end = self.at.checked_add(bytes.length()).filter(|end| *end <= self.array.length());
        let end = end.ok_or(ClientError::Internal("the ciphertext is longer than the bound length"))?;
        self.array.set(bytes, self.at);
        self.at = end;
        Ok(())
    }

    async fn queue(&mut self, pending: Pending, keep: usize) -> Result<(), ClientError> {
        self.in_flight.push_back(pending);
        while self.in_flight.len() > keep {
            if let Some(next) = self.in_flight.pop_front() {
                let sealed = next.resolve().await.map_err(|_| ClientError::Internal("AES-GCM encryption failed"))?;
                self.write(&sealed)?;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "test-hooks")]
/// Encrypts `plaintext` under `write_key` (a new object, default chunk size).
pub async fn encrypt_object(write_key: WriteKey, plaintext: &Uint8Array) -> Result<Uint8Array, ClientError> {
    let plaintext_len = usize::try_from(plaintext.length()).map_err(|_| s3gk_protocol::ObjectError::TooLarge)?;
    let len = crate::handshake::upload_length(plaintext_len, write_key.master_key_id())?;
    encrypt(write_key, plaintext, len).await
}

/// Encrypts `plaintext` under `write_key` into exactly `bound_len` bytes.
pub(crate) async fn encrypt(
    write_key: WriteKey,
    plaintext: &Uint8Array,
    bound_len: u64,
) -> Result<Uint8Array, ClientError> {
    let mut framer = SealFramer::new(write_key, DEFAULT_CHUNK_SIZE)?;
    let cipher = ChunkCipher::import(framer.data_key(), Usage::Encrypt, Engine::preferred())?.ready().await?;
    let len = u32::try_from(bound_len).map_err(|_| s3gk_protocol::ObjectError::TooLarge)?;
    let mut out = Output { array: Uint8Array::new_with_length(len), at: 0, in_flight: VecDeque::new() };
    out.write(&Uint8Array::from(framer.header_bytes()))?;

    let total = plaintext.length();
    let mut start = 0u32;
    while start < total {
        let end = start.saturating_add(DEFAULT_CHUNK_SIZE).min(total);
        let piece = plaintext.subarray(start, end).to_vec();
        let mut rest = piece.as_slice();
        while !rest.is_empty() {
            let (taken, chunk) = framer.push(rest)?;
            rest = rest.get(taken..).ok_or(ClientError::Internal("the framer took more than it was given"))?;
            match chunk {
                Some(chunk) => {
                    let pending = cipher.seal(chunk.nonce(), chunk.plaintext());
                    out.queue(pending, MAX_IN_FLIGHT).await?;
                }
                None if taken == 0 => return Err(ClientError::Internal("the framer made no progress")),
                None => {}
            }
        }
        start = end;
    }
    let last = framer.finish()?;
    let pending = cipher.seal(last.nonce(), last.plaintext());
    out.queue(pending, 0).await?;
    if out.at != len {
        return Err(ClientError::Internal("the ciphertext is shorter than the bound length"));
    }
    Ok(out.array)
}
