//! Encryption of an upload as a stream, driven by the protocol's [`SealFramer`] with chunks
//! sealed by [`ChunkCipher`] on WebCrypto.
//!
//! The plaintext is read from a JS `ReadableStream` (a `Blob`'s or `File`'s, or the caller's) and
//! the sealed chunks come out in order as a [`Stream`], so wasm memory holds at most a chunk and
//! the few in flight, whatever the object's size; where the ciphertext goes (a staging file, or a
//! streamed request body) is the caller's business. The salt is the one the gatekeeper drew for
//! this upload, carried by its write key, which is consumed: one write key seals one object. This
//! module must never reuse a write key, and never end a stream whose length differs from the one
//! bound: a source longer or shorter than announced is an error, not a different object.

use std::collections::VecDeque;

use futures_util::stream::{self, Stream, StreamExt};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_streams::readable::IntoStream;
use web_sys::ReadableStream;

use s3gk_protocol::object::{SealFramer, WriteKey, DEFAULT_CHUNK_SIZE};

use super::aead::{ChunkCipher, Pending, Usage};
use crate::error::ClientError;

/// How many chunks may be sealing at once.
const MAX_IN_FLIGHT: usize = 4;

/// One sealed piece of the object and the plaintext bytes it accounts for.
pub(crate) struct Sealed {
    pub(crate) bytes: Uint8Array,
    pub(crate) plaintext_len: u64,
}

/// The state of an encrypting stream.
struct Sealing {
    input: Option<IntoStream<'static>>,
    framer: SealFramer,
    cipher: ChunkCipher,
    header: Option<Uint8Array>,
    in_flight: VecDeque<(Pending, u64)>,
    /// Plaintext bytes read so far, and how many the request bound.
    read: u64,
    expected: u64,
    /// The final chunk has been queued.
    finished: bool,
    failed: bool,
}

/// The object `plaintext` (exactly `plaintext_len` bytes) sealed under `write_key`, as a stream
/// of pieces: the header, then each chunk. Fails with `invalid_argument` if the source holds
/// more or fewer bytes than `plaintext_len`.
pub(crate) async fn seal_stream(
    write_key: WriteKey,
    plaintext: ReadableStream,
    plaintext_len: u64,
) -> Result<impl Stream<Item = Result<Sealed, ClientError>>, ClientError> {
    let framer = SealFramer::new(write_key, DEFAULT_CHUNK_SIZE)?;
    let cipher = ChunkCipher::import(framer.data_key(), Usage::Encrypt)?.ready().await?;
    let input = wasm_streams::ReadableStream::from_raw(plaintext)
        .try_into_stream()
        .map_err(|_| ClientError::InvalidArgument("the upload's stream is locked (already being read)".into()))?;
    let header = Some(Uint8Array::from(framer.header_bytes()));
    let state = Sealing {
        input: Some(input),
        framer,
        cipher,
        header,
        in_flight: VecDeque::new(),
        read: 0,
        expected: plaintext_len,
        finished: false,
        failed: false,
    };
    Ok(stream::unfold(state, Sealing::next))
}

impl Sealing {
    async fn next(mut self) -> Option<(Result<Sealed, ClientError>, Self)> {
        if self.failed {
            return None;
        }
        if let Some(header) = self.header.take() {
            return Some((Ok(Sealed { bytes: header, plaintext_len: 0 }), self));
        }
        match self.step().await {
            Ok(Some(sealed)) => Some((Ok(sealed), self)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                self.input = None;
                Some((Err(e), self))
            }
        }
    }

    /// The next sealed chunk, reading and sealing ahead while fewer than `MAX_IN_FLIGHT` are
    /// in flight; `None` after the final chunk.
    async fn step(&mut self) -> Result<Option<Sealed>, ClientError> {
        while !self.finished && self.in_flight.len() < MAX_IN_FLIGHT {
            self.read_more().await?;
        }
        match self.in_flight.pop_front() {
            Some((pending, plaintext_len)) => {
                let bytes = pending.resolve().await.map_err(|_| ClientError::Internal("AES-GCM encryption failed"))?;
                Ok(Some(Sealed { bytes, plaintext_len }))
            }
            None => Ok(None),
        }
    }

    /// Reads one piece of plaintext and queues the chunks it completes (or the final chunk).
    async fn read_more(&mut self) -> Result<(), ClientError> {
        let piece = match self.input.as_mut() {
            Some(input) => input.next().await,
            None => None,
        };
        match piece {
            Some(Ok(value)) => {
                let piece: Uint8Array = value
                    .dyn_into()
                    .map_err(|_| ClientError::InvalidArgument("the upload's stream must yield Uint8Arrays".into()))?;
                self.read = self.read.saturating_add(u64::from(piece.length()));
                if self.read > self.expected {
                    return Err(too_long());
                }
                let bytes = piece.to_vec();
                let mut rest = bytes.as_slice();
                while !rest.is_empty() {
                    let (taken, chunk) = self.framer.push(rest)?;
                    rest = rest.get(taken..).ok_or(ClientError::Internal("the framer took more than it was given"))?;
                    match chunk {
                        Some(chunk) => {
                            let len = chunk.plaintext().len() as u64;
                            self.in_flight.push_back((self.cipher.seal(chunk.nonce(), chunk.plaintext()), len));
                        }
                        None if taken == 0 => return Err(ClientError::Internal("the framer made no progress")),
                        None => {}
                    }
                }
                Ok(())
            }
            Some(Err(_)) => Err(ClientError::InvalidArgument("the upload's stream failed".into())),
            None => {
                if self.read != self.expected {
                    return Err(ClientError::InvalidArgument(format!(
                        "the upload's data ended after {} of the {} bytes announced",
                        self.read, self.expected
                    )));
                }
                self.input = None;
                let last = self.framer.finish()?;
                let len = last.plaintext().len() as u64;
                self.in_flight.push_back((self.cipher.seal(last.nonce(), last.plaintext()), len));
                self.finished = true;
                Ok(())
            }
        }
    }
}

fn too_long() -> ClientError {
    ClientError::InvalidArgument("the upload's data is longer than the length announced".into())
}

/// Encrypts `plaintext` under `write_key` (a new object, default chunk size), in memory.
#[cfg(feature = "test-hooks")]
pub async fn encrypt_object(write_key: WriteKey, plaintext: &Uint8Array) -> Result<Uint8Array, ClientError> {
    let len = u64::from(plaintext.length());
    let parts = js_sys::Array::of1(plaintext);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| ClientError::Unsupported("Blob"))?;
    let sealed = seal_stream(write_key, blob.stream(), len).await?;
    futures_util::pin_mut!(sealed);
    let mut out = Vec::new();
    while let Some(piece) = sealed.next().await {
        out.extend(piece?.bytes.to_vec());
    }
    Ok(Uint8Array::from(out.as_slice()))
}
