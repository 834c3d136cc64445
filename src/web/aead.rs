//! AES-256-GCM for one object's chunks on WebCrypto (the browser's native AES). There is no
//! software fallback: the client needs `crypto.subtle` (a secure context) for Ed25519 anyway, and
//! leaving RustCrypto's AES out keeps the module small.
//!
//! The protocol's framers choose every nonce; this module only seals and opens with the nonce it
//! is given, 128-bit tags and no associated data. The data key is imported into WebCrypto once
//! per object, as a non-extractable key, and the JS copy of its bytes is zeroed right after.
//! Opening returns plaintext only from a chunk whose tag verified.
use js_sys::{Array, ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};

use s3gk_protocol::object::{DataKey, NONCE_LEN};
use s3gk_protocol::ObjectError;

use super::crypto::subtle;
use crate::error::ClientError;

/// What a key is imported for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Encrypt,
    Decrypt,
}

/// One object's AES-256-GCM, keyed with its data key, with one parameter object and IV buffer
/// per object: the IV bytes are rewritten before each call, which is safe because WebCrypto
/// copies the IV when the call is made.
pub(crate) struct ChunkCipher {
    subtle: SubtleCrypto,
    key: CryptoKey,
    params: AesGcmParams,
    iv: Uint8Array,
}

impl ChunkCipher {
    /// Starts keying a cipher with `data_key`. The key bytes are read now, so the caller's borrow
    /// of the key ends here; [`KeyImport::ready`] waits for WebCrypto.
    pub(crate) fn import(data_key: &DataKey, usage: Usage) -> Result<KeyImport, ClientError> {
        let unsupported = ClientError::Unsupported("WebCrypto AES-GCM");
        let subtle = subtle()?;
        let raw = Uint8Array::from(data_key.as_bytes().as_slice());
        let usages = Array::of1(&JsValue::from_str(match usage {
            Usage::Encrypt => "encrypt",
            Usage::Decrypt => "decrypt",
        }));
        let imported = subtle.import_key_with_str("raw", &raw, "AES-GCM", false, &usages);
        // importKey copies the bytes before it returns; leave no key bytes in JS memory.
        raw.fill(0, 0, raw.length());
        let promise = imported.map_err(|_| unsupported)?;
        Ok(KeyImport { subtle, key: JsFuture::from(promise) })
    }

    /// Starts opening `sealed` (ciphertext and tag); the result is the chunk's plaintext.
    pub(crate) fn open(&self, nonce: &[u8; NONCE_LEN], sealed: &[u8]) -> Pending {
        self.iv.copy_from(nonce);
        Pending::web(self.subtle.decrypt_with_object_and_u8_array(&self.params, &self.key, sealed))
    }

    /// Starts sealing `plaintext`; the result is ciphertext and tag.
    pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Pending {
        self.iv.copy_from(nonce);
        Pending::web(self.subtle.encrypt_with_object_and_u8_array(&self.params, &self.key, plaintext))
    }
}

/// A cipher being keyed.
pub(crate) struct KeyImport {
    subtle: SubtleCrypto,
    key: JsFuture,
}

impl KeyImport {
    /// The keyed cipher.
    pub(crate) async fn ready(self) -> Result<ChunkCipher, ClientError> {
        let key = self.key.await.map_err(|_| ClientError::Unsupported("WebCrypto AES-GCM"))?;
        let iv = Uint8Array::new_with_length(NONCE_LEN as u32);
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &iv);
        params.set_tag_length(128);
        Ok(ChunkCipher { subtle: self.subtle, key: key.unchecked_into(), params, iv })
    }
}

/// A chunk being sealed or opened. WebCrypto works off the main thread, so several can be in
/// flight; they are always resolved in order.
pub(crate) enum Pending {
    Ready(Result<Uint8Array, ObjectError>),
    Web(JsFuture),
}

impl Pending {
    fn web(started: Result<Promise, JsValue>) -> Self {
        match started {
            Ok(promise) => Pending::Web(JsFuture::from(promise)),
            Err(_) => Pending::Ready(Err(ObjectError::Decryption)),
        }
    }

    /// The chunk's output. Every WebCrypto failure (a bad tag above all) is
    /// [`ObjectError::Decryption`].
    pub(crate) async fn resolve(self) -> Result<Uint8Array, ObjectError> {
        match self {
            Pending::Ready(result) => result,
            Pending::Web(future) => {
                let buffer = future.await.map_err(|_| ObjectError::Decryption)?;
                let buffer: ArrayBuffer = buffer.dyn_into().map_err(|_| ObjectError::Decryption)?;
                Ok(Uint8Array::new(&buffer))
            }
        }
    }
}
