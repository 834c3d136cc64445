//! Ed25519 on WebCrypto: the session key and the receipt verifier of [`SessionCrypto`].
//!
//! The session key is a WebCrypto key pair generated once per client, its private half
//! **non-extractable**: it never enters wasm memory nor JavaScript, and only `crypto.subtle.sign`
//! can use it. Receipts are verified with `crypto.subtle.verify`, which is lenient (BoringSSL
//! accepts small-order keys and `R`, `docs/protocol.md` section 2.1); the client core asks it only
//! after the strict byte-level pre-checks have passed, so together they are strict. This module
//! must never export the private key, and never be asked to verify without those pre-checks.

use std::cell::Cell;

use js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, CryptoKeyPair, SubtleCrypto};

use crate::error::ClientError;
use crate::handshake::SessionCrypto;

const ED25519: &str = "Ed25519";
const NO_ED25519: ClientError = ClientError::Unsupported("WebCrypto Ed25519 (Chromium 137, Firefox 129, Safari 17)");

/// `globalThis.crypto.subtle` (secure contexts and Node 20+ only).
pub(crate) fn subtle() -> Result<SubtleCrypto, ClientError> {
    let missing = ClientError::Unsupported("WebCrypto (crypto.subtle: use https or localhost)");
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|_| missing.clone())?;
    if !crypto.is_object() {
        return Err(missing);
    }
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| missing.clone())?;
    if !subtle.is_object() {
        return Err(missing);
    }
    Ok(subtle.unchecked_into())
}

/// Awaits a WebCrypto promise; any rejection is `error`.
async fn settle(started: Result<Promise, JsValue>, error: ClientError) -> Result<JsValue, ClientError> {
    let promise = started.map_err(|_| error.clone())?;
    JsFuture::from(promise).await.map_err(|_| error)
}

/// The bytes of an `ArrayBuffer` answer, which must have exactly `N`.
fn exact<const N: usize>(buffer: JsValue) -> Result<[u8; N], ClientError> {
    let buffer: ArrayBuffer = buffer.dyn_into().map_err(|_| ClientError::Internal("WebCrypto returned no bytes"))?;
    let mut out = [0u8; N];
    let view = Uint8Array::new(&buffer);
    if view.length() as usize != N {
        return Err(ClientError::Internal("WebCrypto returned the wrong length"));
    }
    view.copy_to(&mut out);
    Ok(out)
}

/// This client's session key pair in WebCrypto, generated when the client is made.
pub(crate) struct WebSession {
    /// `generateKey`'s promise, awaited by every use (it settles once).
    pair: Result<Promise, ClientError>,
    public_key: Cell<Option<[u8; 32]>>,
}

impl WebSession {
    /// Starts generating a non-extractable Ed25519 key pair. A browser without WebCrypto Ed25519
    /// fails on the first use, with `unsupported_browser`.
    pub(crate) fn generate() -> Self {
        let pair = subtle().and_then(|subtle| {
            let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
            subtle.generate_key_with_str(ED25519, false, &usages).map_err(|_| NO_ED25519)
        });
        Self { pair, public_key: Cell::new(None) }
    }

    async fn pair(&self) -> Result<CryptoKeyPair, ClientError> {
        let promise = self.pair.clone()?;
        let pair = JsFuture::from(promise).await.map_err(|_| NO_ED25519)?;
        Ok(pair.unchecked_into())
    }
}

impl SessionCrypto for WebSession {
    async fn public_key(&self) -> Result<[u8; 32], ClientError> {
        if let Some(key) = self.public_key.get() {
            return Ok(key);
        }
        let public = self.pair().await?.get_public_key();
        let raw = settle(subtle()?.export_key("raw", &public), NO_ED25519).await?;
        let key = exact::<32>(raw)?;
        self.public_key.set(Some(key));
        Ok(key)
    }

    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], ClientError> {
        let private = self.pair().await?.get_private_key();
        let signature = settle(subtle()?.sign_with_str_and_u8_array(ED25519, &private, message), NO_ED25519).await?;
        exact::<64>(signature)
    }

    async fn verify(&self, public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<bool, ClientError> {
        let subtle = subtle()?;
        let raw: Object = Uint8Array::from(public_key.as_slice()).into();
        let usages = Array::of1(&JsValue::from_str("verify"));
        // A key that is no curve point is refused here by some browsers and at verify by others:
        // either way, nothing verifies under it.
        let Ok(key) = settle(subtle.import_key_with_str("raw", &raw, ED25519, false, &usages), NO_ED25519).await else {
            return Ok(false);
        };
        let key: CryptoKey = key.unchecked_into();
        let answer = subtle.verify_with_str_and_u8_array_and_u8_array(ED25519, &key, signature, message);
        Ok(settle(answer, NO_ED25519).await?.as_bool() == Some(true))
    }
}

/// Test hook: WebCrypto's own Ed25519 verification, without the pre-checks.
#[cfg(feature = "test-hooks")]
pub async fn webcrypto_verify(
    public_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<bool, ClientError> {
    WebSession::generate().verify(public_key, message, signature).await
}
