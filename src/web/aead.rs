//! AES-256-GCM for one object's chunks: WebCrypto (the browser's native AES) where
//! `crypto.subtle` exists, RustCrypto's [`SoftAead`] where it does not (an insecure context).
//!
//! The protocol's framers choose every nonce; this module only seals and opens with the nonce it
//! is given, 128-bit tags and no associated data. The data key is imported into WebCrypto once
//! per object, as a non-extractable key, and the JS copy of its bytes is zeroed right after.
//! Opening returns plaintext only from a chunk whose tag verified.
// Public for the browser tests and benchmark (feature `test-hooks`); crate-internal otherwise.
#![cfg_attr(not(feature = "test-hooks"), allow(unreachable_pub))]

use js_sys::{Array, ArrayBuffer, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};

use s3gk_protocol::object::{ChunkAead, DataKey, SoftAead, NONCE_LEN};
use s3gk_protocol::ObjectError;

use crate::error::ClientError;

/// Which AES-GCM implementation an object is processed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// WebCrypto's `crypto.subtle`.
    WebCrypto,
    /// RustCrypto, compiled into the `.wasm` (for pages without `crypto.subtle`).
    Soft,
}

impl Engine {
    /// WebCrypto if this context has it, else the software fallback.
    pub fn preferred() -> Self {
        if subtle().is_some() {
            Engine::WebCrypto
        } else {
            Engine::Soft
        }
    }
}

/// What a key is imported for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Encrypt,
    Decrypt,
}

/// `globalThis.crypto.subtle`, if this context has it (secure contexts only).
pub(crate) fn subtle() -> Option<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    if crypto.is_undefined() || crypto.is_null() {
        return None;
    }
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    if subtle.is_undefined() || subtle.is_null() {
        return None;
    }
    Some(subtle.unchecked_into())
}

/// One object's AES-256-GCM, keyed with its data key.
pub(crate) enum ChunkCipher {
    /// WebCrypto, with one parameter object and IV buffer per object: the IV bytes are rewritten
    /// before each call, which is safe because WebCrypto copies the IV when the call is made.
    Web {
        subtle: SubtleCrypto,
        key: CryptoKey,
        params: AesGcmParams,
        iv: Uint8Array,
    },
    Soft(Box<SoftAead>),
}

impl ChunkCipher {
    /// Starts keying a cipher with `data_key` on `engine`. The key bytes are read now, so the
    /// caller's borrow of the key ends here; [`KeyImport::ready`] waits for WebCrypto.
    pub(crate) fn import(data_key: &DataKey, usage: Usage, engine: Engine) -> Result<KeyImport, ClientError> {
        if engine == Engine::Soft {
            return Ok(KeyImport::Soft(Box::new(SoftAead::new(data_key))));
        }
        let unsupported = ClientError::Unsupported("WebCrypto AES-GCM");
        let subtle = subtle().ok_or(ClientError::Unsupported("WebCrypto (crypto.subtle)"))?;
        let raw = Uint8Array::from(data_key.as_bytes().as_slice());
        let usages = Array::of1(&JsValue::from_str(match usage {
            Usage::Encrypt => "encrypt",
            Usage::Decrypt => "decrypt",
        }));
        let imported = subtle.import_key_with_str("raw", &raw, "AES-GCM", false, &usages);
        // importKey copies the bytes before it returns; leave no key bytes in JS memory.
        raw.fill(0, 0, raw.length());
        let promise = imported.map_err(|_| unsupported)?;
        Ok(KeyImport::Web { subtle, key: JsFuture::from(promise) })
    }

    /// Which implementation this is.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn engine(&self) -> Engine {
        match self {
            ChunkCipher::Web { .. } => Engine::WebCrypto,
            ChunkCipher::Soft(_) => Engine::Soft,
        }
    }

    /// Starts opening `sealed` (ciphertext and tag); the result is the chunk's plaintext.
    pub(crate) fn open(&self, nonce: &[u8; NONCE_LEN], sealed: &[u8]) -> Pending {
        match self {
            ChunkCipher::Web { subtle, key, params, iv } => {
                iv.copy_from(nonce);
                Pending::web(subtle.decrypt_with_object_and_u8_array(params, key, sealed))
            }
            ChunkCipher::Soft(aead) => {
                let mut buf = sealed.to_vec();
                Pending::Ready(aead.open(nonce, &mut buf).map(|()| Uint8Array::from(buf.as_slice())))
            }
        }
    }

    /// Starts sealing `plaintext`; the result is ciphertext and tag.
    pub(crate) fn seal(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Pending {
        match self {
            ChunkCipher::Web { subtle, key, params, iv } => {
                iv.copy_from(nonce);
                Pending::web(subtle.encrypt_with_object_and_u8_array(params, key, plaintext))
            }
            ChunkCipher::Soft(aead) => {
                let mut buf = plaintext.to_vec();
                aead.seal(nonce, &mut buf);
                Pending::Ready(Ok(Uint8Array::from(buf.as_slice())))
            }
        }
    }
}

/// A cipher being keyed.
pub(crate) enum KeyImport {
    Soft(Box<SoftAead>),
    Web { subtle: SubtleCrypto, key: JsFuture },
}

impl KeyImport {
    /// The keyed cipher.
    pub(crate) async fn ready(self) -> Result<ChunkCipher, ClientError> {
        match self {
            KeyImport::Soft(aead) => Ok(ChunkCipher::Soft(aead)),
            KeyImport::Web { subtle, key } => {
                let key = key.await.map_err(|_| ClientError::Unsupported("WebCrypto AES-GCM"))?;
                let iv = Uint8Array::new_with_length(NONCE_LEN as u32);
                let params = AesGcmParams::new_with_u8_array("AES-GCM", &iv);
                params.set_tag_length(128);
                Ok(ChunkCipher::Web { subtle, key: key.unchecked_into(), params, iv })
            }
        }
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
