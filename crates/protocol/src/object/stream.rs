//! Synchronous encryption and decryption, built on the framers and a [`ChunkAead`].
//!
//! [`Encryptor`] and [`Decryptor`] stream in slices of any size; [`encrypt`] and [`decrypt`] do a
//! whole object in memory with [`SoftAead`]. This module must never assign nonces or decide which
//! chunk is last itself (the framers do), and never append plaintext that has not verified.

use core::fmt;

use super::aead::{ChunkAead, FromDataKey, SoftAead};
use super::error::ObjectError;
use super::format::ciphertext_len;
use super::key_schedule::{ObjectKeyMaterial, WriteKey};
use super::open::{OpenFramer, OpenStep};
use super::seal::SealFramer;

/// Encrypts a stream: the output of every call, concatenated, is the object.
pub struct Encryptor<A> {
    framer: SealFramer,
    aead: A,
    header_written: bool,
}

impl<A: FromDataKey> Encryptor<A> {
    /// Starts an object; see [`SealFramer::new`] for `write_key` and `chunk_size`.
    pub fn new(write_key: WriteKey, chunk_size: u32) -> Result<Self, ObjectError> {
        let framer = SealFramer::new(write_key, chunk_size)?;
        let aead = A::from_data_key(framer.data_key());
        Ok(Self { framer, aead, header_written: false })
    }
}

impl<A> Encryptor<A> {
    /// The framer, for its header and buffer size.
    pub fn framer(&self) -> &SealFramer {
        &self.framer
    }
}

impl<A: ChunkAead> Encryptor<A> {
    /// Encrypts `input`, appending the header (on the first call) and every completed chunk to
    /// `out`. Fails with [`ObjectError::TooLarge`] past the format's chunk limit.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ObjectError> {
        self.write_header(out);
        let mut rest = input;
        loop {
            let (taken, chunk) = self.framer.push(rest)?;
            rest = rest.get(taken..).expect("the framer takes at most the bytes it is given");
            match chunk {
                Some(chunk) => out.extend_from_slice(chunk.seal(&self.aead)),
                None => return Ok(()),
            }
        }
    }

    /// Appends the final chunk (and the header, if nothing was pushed) to `out`.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), ObjectError> {
        self.write_header(out);
        let last = self.framer.finish()?;
        out.extend_from_slice(last.seal(&self.aead));
        Ok(())
    }

    fn write_header(&mut self, out: &mut Vec<u8>) {
        if !self.header_written {
            out.extend_from_slice(self.framer.header_bytes());
            self.header_written = true;
        }
    }
}

impl<A> fmt::Debug for Encryptor<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryptor").field("framer", &self.framer).finish_non_exhaustive()
    }
}

/// Decrypts a stream, appending verified plaintext to the caller's buffer.
///
/// Plaintext is appended chunk by chunk, each only after its tag verified, but the object is
/// authentic only once [`finish`](Self::finish) returns `Ok`: until then it may be truncated.
/// After any error every later call fails too.
pub struct Decryptor<A> {
    framer: OpenFramer,
    aead: Option<A>,
}

impl<A> Decryptor<A> {
    /// The framer, for the header and buffer size.
    pub fn framer(&self) -> &OpenFramer {
        &self.framer
    }

    /// The bytes held: at most the header, or one sealed chunk.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }
}

impl<A: FromDataKey> Decryptor<A> {
    /// A decryptor for objects under any of `keys` (chosen by the header's master key id).
    pub fn new(keys: &[ObjectKeyMaterial]) -> Self {
        Self { framer: OpenFramer::new(keys), aead: None }
    }

    /// Decrypts `input`, appending the plaintext of every chunk that is complete and verified.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ObjectError> {
        let mut rest = input;
        loop {
            let (taken, step) = self.framer.push(rest)?;
            rest = rest.get(taken..).expect("the framer takes at most the bytes it is given");
            match step {
                OpenStep::NeedInput => return Ok(()),
                OpenStep::Header { data_key, .. } => self.aead = Some(A::from_data_key(data_key)),
                OpenStep::Chunk(chunk) => {
                    let aead = self.aead.as_ref().ok_or(ObjectError::Decryption)?;
                    out.extend_from_slice(chunk.open(aead)?);
                }
            }
        }
    }

    /// Ends the stream, appending the final chunk's plaintext. `Ok` means the whole object was
    /// authentic and complete.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), ObjectError> {
        let last = self.framer.finish()?;
        let aead = self.aead.as_ref().ok_or(ObjectError::Decryption)?;
        out.extend_from_slice(last.open(aead)?);
        Ok(())
    }
}

impl<A> fmt::Debug for Decryptor<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor").field("framer", &self.framer).finish_non_exhaustive()
    }
}

/// Encrypts a whole object in memory under `write_key` (one object per write key).
pub fn encrypt(write_key: WriteKey, chunk_size: u32, plaintext: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let master_key_id = write_key.master_key_id().clone();
    let mut encryptor = Encryptor::<SoftAead>::new(write_key, chunk_size)?;
    let expected = u64::try_from(plaintext.len())
        .ok()
        .and_then(|n| ciphertext_len(n, chunk_size, &master_key_id))
        .ok_or(ObjectError::TooLarge)?;
    let mut out = Vec::with_capacity(usize::try_from(expected).map_err(|_| ObjectError::TooLarge)?);
    encryptor.push(plaintext, &mut out)?;
    encryptor.finish(&mut out)?;
    Ok(out)
}

/// Decrypts a whole object in memory under any of `keys`; returns the plaintext only if the
/// whole object is authentic and complete.
pub fn decrypt(keys: &[ObjectKeyMaterial], ciphertext: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let mut decryptor = Decryptor::<SoftAead>::new(keys);
    let mut out = Vec::with_capacity(ciphertext.len());
    decryptor.push(ciphertext, &mut out)?;
    decryptor.finish(&mut out)?;
    Ok(out)
}
