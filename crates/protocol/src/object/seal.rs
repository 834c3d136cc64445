//! The encrypting framer: writes the header, cuts plaintext into chunks and gives each its nonce,
//! leaving the sealing itself to any [`ChunkAead`] (synchronous or not).
//!
//! A chunk is known to be non-final only once a byte after it has arrived, so the framer holds at
//! most one chunk (plus, briefly, that one byte). This module must never hand out two chunks with
//! the same nonce, never mark a chunk final unless the caller said the stream ended, and never
//! number more than [`MAX_CHUNKS`](super::MAX_CHUNKS) chunks.

use core::fmt;

use super::aead::ChunkAead;
use super::error::ObjectError;
use super::format::{ChunkPosition, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, TAG_LEN};
use super::header::{encode_prefix, ObjectHeader};
use super::key_schedule::{header_keys, DataKey, WriteKey};

/// Cuts a plaintext stream into chunks to seal.
///
/// Write [`header_bytes`](Self::header_bytes) first, then feed plaintext to
/// [`push`](Self::push) in slices of any size, sealing every chunk it hands out, in order; end
/// with [`finish`](Self::finish), which hands out the final chunk. Calling `push` or `finish`
/// after `finish`, or after an error, returns [`ObjectError::TooLarge`]: the object is closed.
pub struct SealFramer {
    header: ObjectHeader,
    header_bytes: Vec<u8>,
    data_key: DataKey,
    chunk_size: usize,
    /// The plaintext of the chunk being filled, or the chunk last handed out.
    buf: Vec<u8>,
    /// `buf` was handed out and must be emptied before it is reused.
    handed_out: bool,
    /// The byte that proved the chunk handed out was not the last; it opens the next chunk.
    carry: Option<u8>,
    /// The number of the chunk being filled.
    counter: u32,
    closed: bool,
}

impl SealFramer {
    /// Starts an object under `write_key`, whose salt goes into the header. The framer takes the
    /// key: a write key seals one object, since a second object with the same salt and chunk size
    /// would repeat the data key and every nonce.
    ///
    /// `chunk_size` outside [`MIN_CHUNK_SIZE`]`..=`[`MAX_CHUNK_SIZE`] is
    /// [`ObjectError::UnsupportedFormat`]: the format cannot express it.
    pub fn new(write_key: WriteKey, chunk_size: u32) -> Result<Self, ObjectError> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(ObjectError::UnsupportedFormat);
        }
        let id = write_key.master_key_id().clone();
        let salt = *write_key.salt();
        let mut header_bytes = encode_prefix(&id, &salt, chunk_size);
        let (data_key, commitment) = header_keys(&write_key, &header_bytes);
        header_bytes.extend_from_slice(&commitment);
        let chunk_len = usize::try_from(chunk_size).map_err(|_| ObjectError::UnsupportedFormat)?;
        Ok(Self {
            header: ObjectHeader::new(id, salt, chunk_size, commitment),
            header_bytes,
            data_key,
            chunk_size: chunk_len,
            // Room for one chunk and the tag `seal` appends in place.
            buf: Vec::with_capacity(chunk_len.saturating_add(TAG_LEN)),
            handed_out: false,
            carry: None,
            counter: 0,
            closed: false,
        })
    }

    /// The header of the object being written.
    pub fn header(&self) -> &ObjectHeader {
        &self.header
    }

    /// The header's wire form: the first bytes of the object.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes
    }

    /// The key to seal every chunk with.
    pub fn data_key(&self) -> &DataKey {
        &self.data_key
    }

    /// The bytes held: at most `chunk_size + 16` (a sealed chunk) plus one carried byte.
    pub fn buffered(&self) -> usize {
        self.buf.len() + usize::from(self.carry.is_some())
    }

    /// Takes plaintext from the start of `input` and returns how many bytes it took, with the next
    /// non-final chunk once one is complete. Call again with the rest of `input` until it is all
    /// taken; a `None` chunk means it was.
    ///
    /// Fails with [`ObjectError::TooLarge`] if the object would need more than [`MAX_CHUNKS`](super::MAX_CHUNKS)
    /// chunks.
    pub fn push(&mut self, input: &[u8]) -> Result<(usize, Option<PlainChunk<'_>>), ObjectError> {
        self.reclaim()?;
        let room = self.chunk_size.saturating_sub(self.buf.len());
        let (take, rest) = input.split_at(room.min(input.len()));
        self.buf.extend_from_slice(take);
        if self.buf.len() < self.chunk_size {
            return Ok((take.len(), None));
        }
        let Some((&next, _)) = rest.split_first() else {
            return Ok((take.len(), None));
        };
        // A byte follows a full chunk, so that chunk is not the last one; the last one will need
        // the next counter, so this one must not be the highest.
        let counter = self.counter;
        let Some(next_counter) = counter.checked_add(1) else {
            self.closed = true;
            return Err(ObjectError::TooLarge);
        };
        self.counter = next_counter;
        self.carry = Some(next);
        self.handed_out = true;
        Ok((take.len() + 1, Some(PlainChunk::new(counter, false, &mut self.buf))))
    }

    /// Ends the plaintext and hands out the final chunk (empty only if the whole object is).
    pub fn finish(&mut self) -> Result<PlainChunk<'_>, ObjectError> {
        self.reclaim()?;
        self.closed = true;
        self.handed_out = true;
        Ok(PlainChunk::new(self.counter, true, &mut self.buf))
    }

    /// Empties the buffer of a chunk handed out earlier and starts the next with the carried byte.
    fn reclaim(&mut self) -> Result<(), ObjectError> {
        if self.closed {
            return Err(ObjectError::TooLarge);
        }
        if self.handed_out {
            self.buf.clear();
            self.handed_out = false;
            self.buf.extend(self.carry.take());
        }
        Ok(())
    }

    /// Pretends `counter` chunks have been written, to test the chunk limit.
    #[cfg(test)]
    pub(crate) fn skip_to_counter_for_test(&mut self, counter: u32) {
        self.counter = counter;
    }
}

impl fmt::Debug for SealFramer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealFramer")
            .field("header", &self.header)
            .field("counter", &self.counter)
            .field("buffered", &self.buffered())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// One chunk of plaintext to seal, borrowed from the [`SealFramer`] until its next call. It
/// dereferences to its [`ChunkPosition`] (nonce, number, final or not).
pub struct PlainChunk<'a> {
    position: ChunkPosition,
    buf: &'a mut Vec<u8>,
}

impl core::ops::Deref for PlainChunk<'_> {
    type Target = ChunkPosition;

    fn deref(&self) -> &ChunkPosition {
        &self.position
    }
}

impl<'a> PlainChunk<'a> {
    fn new(counter: u32, last: bool, buf: &'a mut Vec<u8>) -> Self {
        Self { position: ChunkPosition::new(counter, last), buf }
    }

    /// The plaintext to seal.
    pub fn plaintext(&self) -> &[u8] {
        self.buf
    }

    /// Seals the chunk in the framer's buffer and returns ciphertext and tag, to be written
    /// after everything written before.
    pub fn seal<A: ChunkAead + ?Sized>(self, aead: &A) -> &'a [u8] {
        aead.seal(self.position.nonce(), self.buf);
        debug_assert!(self.buf.len() >= TAG_LEN);
        let sealed: &'a Vec<u8> = self.buf;
        sealed
    }
}

impl fmt::Debug for PlainChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainChunk").field("position", &self.position).field("len", &self.buf.len()).finish()
    }
}
