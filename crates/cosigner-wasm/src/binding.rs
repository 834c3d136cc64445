//! `Cosigner` and `CosignCandidate`, the JS classes. Refusals become `Error`s with the protocol's
//! stable `code` (the package's `cosigner.js` turns them into `GatekeeperError`s).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use js_sys::{Object, Reflect, Uint8Array};
use s3gk_protocol::cosign::{CosignCandidate as Checked, CosignPolicy};
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::{GatekeeperId, KeyId, Operation};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

/// An `Error` with a stable `code`.
fn refusal(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // A fresh Error is an ordinary extensible object: defining a property on it cannot fail.
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

fn invalid(why: &str) -> JsValue {
    refusal("invalid_config", &format!("invalid Cosigner configuration: {why}"))
}

/// A field of a plain object.
fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Seconds from an optional whole number.
fn seconds(object: &JsValue, name: &str, default: u64) -> Result<u64, JsValue> {
    let value = field(object, name);
    if value.is_undefined() {
        return Ok(default);
    }
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=9.0e15).contains(n))
        .map(|n| n as u64)
        .ok_or_else(|| invalid(&format!("{name} must be a whole number of seconds")))
}

/// Bytes from a `Uint8Array` or a base64 string.
fn bytes(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Some(array.to_vec());
    }
    B64.decode(value.as_string()?.trim()).ok()
}

/// A vendor's co-signer: its policy (the customer's gatekeeper id, the window bounds) and key.
#[wasm_bindgen]
pub struct Cosigner {
    policy: CosignPolicy,
    key: SigningKey,
    key_id: KeyId,
}

#[wasm_bindgen]
impl Cosigner {
    /// `{ gatekeeperId, vendorKeyId, vendorKey (32-byte seed: Uint8Array or base64),
    /// maxLifetimeSecs = 300, maxSkewSecs = 60 }`. Throws `invalid_config`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Cosigner, JsValue> {
        if !config.is_object() {
            return Err(invalid("the configuration must be an object"));
        }
        for name in Object::keys(config.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()) {
            if !["gatekeeperId", "vendorKeyId", "vendorKey", "maxLifetimeSecs", "maxSkewSecs"].contains(&name.as_str())
            {
                return Err(invalid(&format!("unknown field `{name}`")));
            }
        }
        let gatekeeper_id = field(&config, "gatekeeperId")
            .as_string()
            .and_then(|id| GatekeeperId::new(&id).ok())
            .ok_or_else(|| invalid("gatekeeperId must be 1-128 characters of A-Z a-z 0-9 . _ - :"))?;
        let key_id = field(&config, "vendorKeyId")
            .as_string()
            .and_then(|id| KeyId::new(&id).ok())
            .ok_or_else(|| invalid("vendorKeyId must be 1-64 characters of A-Z a-z 0-9 . _ -"))?;
        let seed = Zeroizing::new(bytes(&field(&config, "vendorKey")).unwrap_or_default());
        let seed: &[u8; 32] =
            seed.as_slice().try_into().map_err(|_| invalid("vendorKey must be a 32-byte Ed25519 seed"))?;
        let time = TimePolicy::new(seconds(&config, "maxLifetimeSecs", 300)?, seconds(&config, "maxSkewSecs", 60)?)
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(Self { policy: CosignPolicy { gatekeeper_id, time }, key: SigningKey::from_bytes(seed), key_id })
    }

    /// The vendor's public key, base64 (what the customer's gatekeeper configures).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().as_bytes())
    }

    /// Section 4.1 steps 1 to 4 on `request` (the base64 the browser sent, or its bytes), with
    /// `now` in Unix seconds (default: this machine's clock). Throws with the refusal's code.
    pub fn check(&self, request: JsValue, now: Option<f64>) -> Result<CosignCandidate, JsValue> {
        let bytes = bytes(&request).ok_or_else(|| refusal("malformed_request", "the request is not base64"))?;
        let now = now.unwrap_or_else(|| js_sys::Date::now() / 1000.0);
        let now = if now.is_finite() && now >= 0.0 { now.floor() as u64 } else { 0 };
        match self.policy.check(&bytes, now) {
            Ok(checked) => Ok(CosignCandidate { checked, key: self.key.clone(), key_id: self.key_id.clone() }),
            Err(denial) => Err(refusal(denial.code(), &denial.to_string())),
        }
    }
}

/// A request that passed the checks: its fields for the vendor's permission check, and `sign`.
#[wasm_bindgen]
pub struct CosignCandidate {
    checked: Checked,
    key: SigningKey,
    key_id: KeyId,
}

#[wasm_bindgen]
impl CosignCandidate {
    /// `"get"`, `"put"` or `"list_prefix"`.
    #[wasm_bindgen(getter)]
    pub fn operation(&self) -> String {
        match self.checked.request().operation {
            Operation::Get => "get",
            Operation::Put { .. } => "put",
            _ => "list_prefix",
        }
        .into()
    }

    /// The object key, or the prefix of a `list_prefix`.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        self.checked.request().key.clone()
    }

    /// The gatekeeper the request names (the configured one).
    #[wasm_bindgen(getter, js_name = gatekeeperId)]
    pub fn gatekeeper_id(&self) -> String {
        self.checked.request().gatekeeper_id.clone()
    }

    /// Unix seconds.
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> f64 {
        self.checked.request().issued_at as f64
    }

    /// Unix seconds.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> f64 {
        self.checked.request().expires_at as f64
    }

    /// A put's ciphertext length in bytes.
    #[wasm_bindgen(getter, js_name = contentLength)]
    pub fn content_length(&self) -> Option<f64> {
        match self.checked.request().operation {
            Operation::Put { content_length, .. } => Some(content_length as f64),
            _ => None,
        }
    }

    /// A put's declared media type.
    #[wasm_bindgen(getter, js_name = contentType)]
    pub fn content_type(&self) -> Option<String> {
        match &self.checked.request().operation {
            Operation::Put { content_type, .. } => content_type.clone(),
            _ => None,
        }
    }

    /// The client's session public key, base64.
    #[wasm_bindgen(getter, js_name = sessionKey)]
    pub fn session_key(&self) -> String {
        B64.encode(self.checked.request().session_key)
    }

    /// Step 6: `{ vendor_key_id, vendor_signature }` (the co-sign answer's JSON), signed over the
    /// exact bytes checked. Call it only after the vendor's own permission check.
    pub fn sign(&self) -> JsValue {
        let signature = self.checked.sign(&self.key, &self.key_id);
        let answer = Object::new();
        let _ = Reflect::set(&answer, &JsValue::from_str("vendor_key_id"), &JsValue::from_str(self.key_id.as_str()));
        let _ =
            Reflect::set(&answer, &JsValue::from_str("vendor_signature"), &JsValue::from_str(&B64.encode(signature)));
        answer.into()
    }
}
