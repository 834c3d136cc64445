//! Streaming decryption of the object format, driven by the protocol's [`OpenFramer`] and sealed
//! chunks opened by [`ChunkCipher`] (WebCrypto, asynchronously).
//!
//! The framer parses and checks the header and the key commitment, cuts the body into chunks and
//! gives each its nonce; this module opens up to [`MAX_IN_FLIGHT`] chunks at once and releases
//! their plaintext strictly in order, each only after its own tag verified. Memory is bounded:
//! the framer holds one sealed chunk, plus the chunks in flight. Plaintext is released as JS
//! `Uint8Array`s and never accumulates in wasm memory. Released plaintext is provisional until
//! [`ObjectDecryptor::finish`] succeeds: the stream may still prove truncated.
// Public for the browser tests and benchmark (feature `test-hooks`); crate-internal otherwise.
#![cfg_attr(not(feature = "test-hooks"), allow(unreachable_pub))]

use std::collections::VecDeque;

use js_sys::Uint8Array;
use s3gk_protocol::object::{ObjectKeyMaterial, OpenFramer, OpenStep};
use s3gk_protocol::ObjectError;

use super::aead::{ChunkCipher, Pending, Usage};
use crate::error::ClientError;

/// How many chunks may be opening at once (WebCrypto runs them off the main thread).
const MAX_IN_FLIGHT: usize = 4;

/// Decrypts one object as its bytes arrive.
pub struct ObjectDecryptor {
    framer: OpenFramer,
    cipher: Option<ChunkCipher>,
    in_flight: VecDeque<Pending>,
    failed: bool,
}

impl ObjectDecryptor {
    /// A decryptor for an object under any of `keys` (chosen by the header's master key id).
    pub fn new(keys: &[ObjectKeyMaterial]) -> Self {
        Self { framer: OpenFramer::new(keys), cipher: None, in_flight: VecDeque::new(), failed: false }
    }

    /// True once the header has verified and the chunk cipher is keyed.
    #[cfg(feature = "test-hooks")]
    pub fn keyed(&self) -> bool {
        self.cipher.is_some()
    }

    /// The header's chunk size and length, once the header has verified: with the
    /// ciphertext length they give the plaintext length.
    pub(crate) fn layout(&self) -> Option<(u32, usize)> {
        self.framer.header().map(|h| (h.chunk_size(), h.encoded_len()))
    }

    /// Takes the next bytes of the object and returns the plaintext of the chunks that verified
    /// meanwhile, in order. After an error every call fails.
    pub async fn push(&mut self, input: &[u8]) -> Result<Vec<Uint8Array>, ClientError> {
        let result = self.push_inner(input).await;
        self.failed |= result.is_err();
        result
    }

    /// Ends the object: opens the final chunk and everything still in flight. `Ok` means the
    /// whole object was authentic and complete.
    pub async fn finish(mut self) -> Result<Vec<Uint8Array>, ClientError> {
        if self.failed {
            return Err(ObjectError::Decryption.into());
        }
        let last = self.framer.finish()?;
        let cipher = self.cipher.as_ref().ok_or(ObjectError::Decryption)?;
        self.in_flight.push_back(cipher.open(last.nonce(), last.ciphertext()));
        let mut out = Vec::with_capacity(self.in_flight.len());
        while let Some(pending) = self.in_flight.pop_front() {
            out.push(pending.resolve().await?);
        }
        Ok(out)
    }

    async fn push_inner(&mut self, input: &[u8]) -> Result<Vec<Uint8Array>, ClientError> {
        if self.failed {
            return Err(ObjectError::Decryption.into());
        }
        let mut out = Vec::new();
        let mut rest = input;
        loop {
            let (taken, step) = self.framer.push(rest)?;
            rest = rest.get(taken..).ok_or(ClientError::Internal("the framer took more than it was given"))?;
            match step {
                OpenStep::NeedInput => return Ok(out),
                OpenStep::Header { data_key, .. } => {
                    let import = ChunkCipher::import(data_key, Usage::Decrypt)?;
                    self.cipher = Some(import.ready().await?);
                }
                OpenStep::Chunk(chunk) => {
                    let cipher = self.cipher.as_ref().ok_or(ObjectError::Decryption)?;
                    self.in_flight.push_back(cipher.open(chunk.nonce(), chunk.ciphertext()));
                    while self.in_flight.len() > MAX_IN_FLIGHT {
                        if let Some(pending) = self.in_flight.pop_front() {
                            out.push(pending.resolve().await?);
                        }
                    }
                }
            }
        }
    }
}

impl core::fmt::Debug for ObjectDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ObjectDecryptor")
            .field("framer", &self.framer)
            .field("in_flight", &self.in_flight.len())
            .field("failed", &self.failed)
            .finish()
    }
}

#[cfg(feature = "test-hooks")]
/// Decrypts a whole object held in memory, feeding it in pieces of `piece_len` bytes (at least
/// 1) to exercise the streaming path, and returns the plaintext only if all of it verified.
pub async fn decrypt_object(
    keys: &[ObjectKeyMaterial],
    ciphertext: &[u8],
    piece_len: usize,
) -> Result<Vec<u8>, ClientError> {
    let mut decryptor = ObjectDecryptor::new(keys);
    let mut parts = Vec::new();
    for piece in ciphertext.chunks(piece_len.max(1)) {
        parts.extend(decryptor.push(piece).await?);
    }
    if ciphertext.is_empty() {
        parts.extend(decryptor.push(&[]).await?);
    }
    parts.extend(decryptor.finish().await?);
    Ok(parts.iter().flat_map(|p| p.to_vec()).collect())
}
