//! The decrypting framer: parses the header, checks the key commitment, then cuts the body into
//! sealed chunks with their nonces, leaving the opening itself to any [`ChunkAead`].
//!
//! It enforces every framing rule of the format: exact non-final chunk lengths, a final chunk of
//! 16 to `chunk_size + 16` bytes, no empty final chunk after the first, at most
//! [`MAX_CHUNKS`](super::MAX_CHUNKS) chunks, and a stream that ends with a final chunk. This module
//! must never buffer more than one chunk plus the header, never hand out a chunk before the
//! commitment has verified, and never keep working after it has reported a failure.

use core::fmt;

use subtle::ConstantTimeEq;

use super::aead::ChunkAead;
use super::error::ObjectError;
use super::format::{ChunkPosition, COMMITMENT_LEN, TAG_LEN};
use super::header::{needed_len, ObjectHeader};
use super::key_schedule::{header_keys, DataKey, ObjectKeyMaterial};

/// What [`OpenFramer::push`] found.
#[derive(Debug)]
pub enum OpenStep<'a> {
    /// Every input byte was taken; push more, or call [`OpenFramer::finish`] at the end.
    NeedInput,
    /// The header has been parsed and its key commitment verified. Key the AEAD with `data_key`
    /// now: chunks follow. Reported once, before any chunk.
    Header {
        /// The parsed header.
        header: &'a ObjectHeader,
        /// The key every chunk is sealed with.
        data_key: &'a DataKey,
    },
    /// A non-final chunk to open before pushing more.
    Chunk(SealedChunk<'a>),
}

/// The state after the header.
struct Body {
    header: ObjectHeader,
    data_key: DataKey,
    /// `chunk_size + 16`: the length of every non-final chunk.
    chunk_len: usize,
    /// The number of the chunk being filled.
    counter: u32,
}

/// Cuts an encrypted object into sealed chunks, holding at most one chunk (or the header).
///
/// Feed the object to [`push`](Self::push) in slices of any size, calling again with the rest of
/// the slice until it returns [`OpenStep::NeedInput`]; open each [`OpenStep::Chunk`] before the
/// next call; at the end call [`finish`](Self::finish) and open the final chunk it returns. The
/// plaintext is the object only if every chunk opened and `finish` succeeded: before that, the
/// stream may still prove truncated. After any error, every call fails with
/// [`ObjectError::Decryption`]; if an externally opened chunk fails, drop the framer.
pub struct OpenFramer {
    /// The candidate keys, until the header names one.
    keys: Vec<ObjectKeyMaterial>,
    body: Option<Body>,
    /// Header bytes, then the current chunk's bytes.
    buf: Vec<u8>,
    /// `buf` was handed out and must be emptied before it is reused.
    handed_out: bool,
    finished: bool,
    failed: bool,
}

impl OpenFramer {
    /// A framer that will open objects under any of `keys`, chosen by the header's master key id.
    pub fn new(keys: &[ObjectKeyMaterial]) -> Self {
        Self { keys: keys.to_vec(), body: None, buf: Vec::new(), handed_out: false, finished: false, failed: false }
    }

    /// The header, once it has verified.
    pub fn header(&self) -> Option<&ObjectHeader> {
        self.body.as_ref().map(|b| &b.header)
    }

    /// The data key, once the header has verified.
    pub fn data_key(&self) -> Option<&DataKey> {
        self.body.as_ref().map(|b| &b.data_key)
    }

    /// The bytes held: at most the header's length (142 bytes at most) before the body, and at
    /// most `chunk_size + 16` after it.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes bytes from the start of `input` and returns how many it took with what it found.
    ///
    /// Errors: [`ObjectError::UnsupportedFormat`] for a wrong magic or version,
    /// [`ObjectError::UnknownMasterKey`] if no key has the header's master key id,
    /// [`ObjectError::Decryption`] for everything else.
    pub fn push(&mut self, input: &[u8]) -> Result<(usize, OpenStep<'_>), ObjectError> {
        self.next_call()?;
        let result = if self.body.is_none() { self.push_header(input) } else { self.push_body(input) };
        if result.is_err() {
            self.failed = true;
        }
        // Re-borrow through the fields so the returned step can borrow `self`.
        match result {
            Err(e) => Err(e),
            Ok((taken, StepKind::NeedInput)) => Ok((taken, OpenStep::NeedInput)),
            Ok((taken, StepKind::Header)) => {
                let body = self.body.as_ref().ok_or(ObjectError::Decryption)?;
                Ok((taken, OpenStep::Header { header: &body.header, data_key: &body.data_key }))
            }
            Ok((taken, StepKind::Chunk(counter))) => {
                self.handed_out = true;
                Ok((taken, OpenStep::Chunk(SealedChunk::new(counter, false, &mut self.buf, &mut self.failed))))
            }
        }
    }

    /// The start of every call: a failed or finished framer stays failed, and the buffer of a
    /// chunk handed out earlier is emptied for the next.
    fn next_call(&mut self) -> Result<(), ObjectError> {
        if self.failed || self.finished {
            self.failed = true;
            return Err(ObjectError::Decryption);
        }
        if self.handed_out {
            self.buf.clear();
            self.handed_out = false;
        }
        Ok(())
    }

    /// Ends the stream and returns the final chunk to open.
    ///
    /// Fails with [`ObjectError::Decryption`] if the stream ended inside the header, without any
    /// chunk, right after a non-final chunk, or with a final chunk that is too short or is empty
    /// but not the first.
    pub fn finish(&mut self) -> Result<SealedChunk<'_>, ObjectError> {
        self.next_call()?;
        self.finished = true;
        let Some(body) = &self.body else {
            self.failed = true;
            return Err(ObjectError::Decryption);
        };
        let len = self.buf.len();
        if len < TAG_LEN || len > body.chunk_len || (len == TAG_LEN && body.counter > 0) {
            self.failed = true;
            return Err(ObjectError::Decryption);
        }
        let counter = body.counter;
        self.handed_out = true;
        Ok(SealedChunk::new(counter, true, &mut self.buf, &mut self.failed))
    }

    /// Collects header bytes; once all are in, checks the header and keys the body.
    fn push_header(&mut self, input: &[u8]) -> Result<(usize, StepKind), ObjectError> {
        let mut rest = input;
        loop {
            let need = needed_len(&self.buf)?;
            let missing = need.saturating_sub(self.buf.len());
            if missing == 0 {
                break;
            }
            if rest.is_empty() {
                return Ok((input.len(), StepKind::NeedInput));
            }
            let (take, tail) = rest.split_at(missing.min(rest.len()));
            self.buf.extend_from_slice(take);
            rest = tail;
        }
        let header = ObjectHeader::decode(&self.buf)?;
        let prefix_len = self.buf.len().checked_sub(COMMITMENT_LEN).ok_or(ObjectError::Decryption)?;
        let (prefix, _) = self.buf.split_at(prefix_len);
        let object_key = self
            .keys
            .iter()
            .find(|k| k.master_key_id() == header.master_key_id())
            .ok_or(ObjectError::UnknownMasterKey)?;
        let (data_key, commitment) = header_keys(&object_key.write_key(*header.salt()), prefix);
        if !bool::from(commitment.ct_eq(header.commitment())) {
            return Err(ObjectError::Decryption);
        }
        let chunk_size = usize::try_from(header.chunk_size()).map_err(|_| ObjectError::Decryption)?;
        let chunk_len = chunk_size.checked_add(TAG_LEN).ok_or(ObjectError::Decryption)?;
        self.keys.clear();
        // The header is authentic now, so its chunk size is the writer's choice: hold one chunk.
        self.buf = Vec::with_capacity(chunk_len);
        self.body = Some(Body { header, data_key, chunk_len, counter: 0 });
        Ok((input.len() - rest.len(), StepKind::Header))
    }

    /// Collects chunk bytes; a full chunk followed by another byte is a non-final chunk.
    fn push_body(&mut self, input: &[u8]) -> Result<(usize, StepKind), ObjectError> {
        let body = self.body.as_mut().ok_or(ObjectError::Decryption)?;
        let room = body.chunk_len.saturating_sub(self.buf.len());
        let (take, rest) = input.split_at(room.min(input.len()));
        self.buf.extend_from_slice(take);
        if self.buf.len() < body.chunk_len || rest.is_empty() {
            return Ok((take.len(), StepKind::NeedInput));
        }
        // Bytes follow a full chunk, so it is not the last; the last needs a higher counter.
        let counter = body.counter;
        body.counter = counter.checked_add(1).ok_or(ObjectError::Decryption)?;
        Ok((take.len(), StepKind::Chunk(counter)))
    }

    /// Pretends `counter` chunks have been read, to test the chunk limit.
    #[cfg(test)]
    pub(crate) fn skip_to_counter_for_test(&mut self, counter: u32) {
        if let Some(body) = self.body.as_mut() {
            body.counter = counter;
        }
    }
}

/// [`OpenStep`] without the borrows, so `push` can finish mutating before it lends.
enum StepKind {
    NeedInput,
    Header,
    Chunk(u32),
}

impl fmt::Debug for OpenFramer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFramer")
            .field("header", &self.header())
            .field("counter", &self.body.as_ref().map(|b| b.counter))
            .field("buffered", &self.buf.len())
            .field("finished", &self.finished)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// One sealed chunk, borrowed from the [`OpenFramer`] until its next call. It dereferences to its
/// [`ChunkPosition`] (nonce, number, final or not; only [`OpenFramer::finish`] returns a final one).
pub struct SealedChunk<'a> {
    position: ChunkPosition,
    buf: &'a mut Vec<u8>,
    failed: &'a mut bool,
}

impl core::ops::Deref for SealedChunk<'_> {
    type Target = ChunkPosition;

    fn deref(&self) -> &ChunkPosition {
        &self.position
    }
}

impl<'a> SealedChunk<'a> {
    fn new(counter: u32, last: bool, buf: &'a mut Vec<u8>, failed: &'a mut bool) -> Self {
        Self { position: ChunkPosition::new(counter, last), buf, failed }
    }

    /// Ciphertext followed by the 16-byte tag.
    pub fn ciphertext(&self) -> &[u8] {
        self.buf
    }

    /// Opens the chunk in the framer's buffer and returns its plaintext. A failure is
    /// [`ObjectError::Decryption`] and leaves the framer failed.
    pub fn open<A: ChunkAead + ?Sized>(self, aead: &A) -> Result<&'a [u8], ObjectError> {
        if aead.open(self.position.nonce(), self.buf).is_err() {
            *self.failed = true;
            self.buf.clear();
            return Err(ObjectError::Decryption);
        }
        let plaintext: &'a Vec<u8> = self.buf;
        Ok(plaintext)
    }
}

impl fmt::Debug for SealedChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedChunk").field("position", &self.position).field("len", &self.buf.len()).finish()
    }
}
