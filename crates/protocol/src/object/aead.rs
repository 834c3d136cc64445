//! The one-chunk AEAD seam: [`ChunkAead`] seals or opens one chunk in place, with the nonce the
//! framers chose and no associated data. [`SoftAead`] implements it with RustCrypto's AES-256-GCM;
//! the browser can use WebCrypto instead by driving the framers itself.
//!
//! This module must never choose nonces (that is the framers' job), and an `open` must never
//! leave unverified plaintext in the buffer it was given.

use core::fmt;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroize;

use super::error::ObjectError;
use super::format::{NONCE_LEN, TAG_LEN};
use super::key_schedule::DataKey;

/// AES-256-GCM over one chunk, in place, with empty associated data.
pub trait ChunkAead {
    /// Encrypts `buf` and appends the 16-byte tag.
    fn seal(&self, nonce: &[u8; NONCE_LEN], buf: &mut Vec<u8>);

    /// Verifies the tag at the end of `buf`, then replaces `buf` with the plaintext. On failure
    /// `buf` must hold no plaintext and the error is [`ObjectError::Decryption`].
    fn open(&self, nonce: &[u8; NONCE_LEN], buf: &mut Vec<u8>) -> Result<(), ObjectError>;
}

/// An AEAD that can be built from an object's data key, for [`super::Encryptor`] and
/// [`super::Decryptor`], which learn the key only from the framer.
pub trait FromDataKey: ChunkAead + Sized {
    /// The AEAD keyed with `key`.
    fn from_data_key(key: &DataKey) -> Self;
}

/// [`ChunkAead`] with RustCrypto's constant-time AES-256-GCM.
pub struct SoftAead {
    cipher: Aes256Gcm,
}

impl SoftAead {
    /// An AEAD keyed with `key`.
    pub fn new(key: &DataKey) -> Self {
        Self { cipher: Aes256Gcm::new(key.as_bytes().into()) }
    }
}

impl FromDataKey for SoftAead {
    fn from_data_key(key: &DataKey) -> Self {
        Self::new(key)
    }
}

impl ChunkAead for SoftAead {
    fn seal(&self, nonce: &[u8; NONCE_LEN], buf: &mut Vec<u8>) {
        self.cipher
            .encrypt_in_place(Nonce::from_slice(nonce), b"", buf)
            .expect("chunks are at most 16 MiB, far below AES-GCM's 64 GiB limit, and a Vec can grow");
    }

    fn open(&self, nonce: &[u8; NONCE_LEN], buf: &mut Vec<u8>) -> Result<(), ObjectError> {
        if buf.len() < TAG_LEN {
            buf.zeroize();
            return Err(ObjectError::Decryption);
        }
        self.cipher.decrypt_in_place(Nonce::from_slice(nonce), b"", buf).map_err(|_| {
            buf.zeroize();
            ObjectError::Decryption
        })
    }
}

impl fmt::Debug for SoftAead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftAead(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyId;
    use crate::object::key_schedule::header_keys;
    use crate::object::ObjectKeyMaterial;

    fn aead() -> SoftAead {
        let k = ObjectKeyMaterial::from_bytes(KeyId::new("m").unwrap(), [1; 32]);
        SoftAead::new(&header_keys(&k.write_key([2; 32]), b"p").0)
    }

    #[test]
    fn seal_then_open_in_place() {
        let a = aead();
        let nonce = [5; 12];
        let mut buf = b"hello".to_vec();
        a.seal(&nonce, &mut buf);
        assert_eq!(buf.len(), 5 + TAG_LEN);
        a.open(&nonce, &mut buf).unwrap();
        assert_eq!(buf, b"hello");
    }

    #[test]
    fn failed_open_leaves_nothing_behind() {
        let a = aead();
        let mut buf = b"hello".to_vec();
        a.seal(&[5; 12], &mut buf);
        assert_eq!(a.open(&[6; 12], &mut buf), Err(ObjectError::Decryption));
        assert!(buf.is_empty());
        let mut short = vec![0u8; TAG_LEN - 1];
        assert_eq!(a.open(&[5; 12], &mut short), Err(ObjectError::Decryption));
        assert!(short.is_empty());
    }
}
