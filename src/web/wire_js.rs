//! The HTTP API's JSON (the types of [`s3gk_wire`]) read from and written to JS values by hand,
//! with `JSON.parse` and `JSON.stringify` doing the text.
//!
//! The browser module carries no serde deserializer: a generic one costs more than a fifth of the
//! module, and these few shapes are simple. Reading is strict like serde's: a missing or mistyped
//! field is an error naming it, numbers must be whole and safe, unknown fields are ignored (as
//! serde does for these types). Natively, and in the gatekeeper's tests, serde reads the same
//! types, so `wire_round_trip` still holds both to one definition. This module must never accept
//! a value of the wrong type as a default.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use s3gk_wire::{
    AuthorizeRequest, Base64, CosignAnswer, CosignRequest, ErrorAnswer, ErrorBody, Grant, GrantedDecision, Info,
    KeyMaterial, Limits, ObjectGrant, PresignedMethod, ReceiptJson, WriteKeyJson,
};

use crate::handshake::ReceiptSummary;

/// Why a value does not have the expected shape (the field's name).
pub(crate) type Shape<T> = Result<T, String>;

fn get(object: &JsValue, name: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

pub(crate) fn string(object: &JsValue, name: &str) -> Shape<String> {
    get(object, name).as_string().ok_or_else(|| name.to_owned())
}

fn opt_string(object: &JsValue, name: &str) -> Shape<Option<String>> {
    let value = get(object, name);
    if absent(&value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| name.to_owned())
}

fn base64(object: &JsValue, name: &str) -> Shape<Base64> {
    string(object, name).map(Base64::from)
}

fn whole(value: &JsValue, name: &str) -> Shape<u64> {
    // Whole numbers below 2^53, where f64 is exact.
    value.as_f64().filter(|n| n.fract() == 0.0 && (0.0..=9.0e15).contains(n)).map(|n| n as u64).ok_or(name.to_owned())
}

fn number(object: &JsValue, name: &str) -> Shape<u64> {
    whole(&get(object, name), name)
}

fn opt_number(object: &JsValue, name: &str) -> Shape<Option<u64>> {
    let value = get(object, name);
    if absent(&value) {
        return Ok(None);
    }
    whole(&value, name).map(Some)
}

fn array(object: &JsValue, name: &str) -> Shape<Array> {
    get(object, name).dyn_into::<Array>().map_err(|_| name.to_owned())
}

/// `/v1/info`.
pub(crate) fn info(value: &JsValue) -> Shape<Info> {
    let limits = get(value, "limits");
    let protocol_versions = array(value, "protocol_versions")?
        .iter()
        .map(|v| whole(&v, "protocol_versions").and_then(|n| u8::try_from(n).map_err(|_| "protocol_versions".into())))
        .collect::<Shape<Vec<u8>>>()?;
    Ok(Info {
        gatekeeper_id: string(value, "gatekeeper_id")?,
        protocol_versions,
        server_time: number(value, "server_time")?,
        // The client pins its own key; the published ones are not read.
        signing_keys: Vec::new(),
        upload_master_key_id: opt_string(value, "upload_master_key_id")?,
        limits: Limits {
            max_lifetime_secs: number(&limits, "max_lifetime_secs")?,
            max_skew_secs: number(&limits, "max_skew_secs")?,
            max_body_bytes: number(&limits, "max_body_bytes")? as usize,
            presign_expiry_secs: number(&limits, "presign_expiry_secs")?,
            max_list_objects: number(&limits, "max_list_objects")? as usize,
        },
    })
}

/// The co-sign endpoint's answer.
pub(crate) fn cosign_answer(value: &JsValue) -> Shape<CosignAnswer> {
    Ok(CosignAnswer {
        vendor_key_id: string(value, "vendor_key_id")?,
        vendor_signature: base64(value, "vendor_signature")?,
    })
}

/// An error answer.
pub(crate) fn error_answer(value: &JsValue) -> Shape<ErrorAnswer> {
    let error = get(value, "error");
    Ok(ErrorAnswer { error: ErrorBody { code: string(&error, "code")?, message: string(&error, "message")? } })
}

/// `/v1/authorize`'s grant.
pub(crate) fn grant(value: &JsValue) -> Shape<Grant> {
    if string(value, "decision")? != "granted" {
        return Err("decision".into());
    }
    let receipt = get(value, "receipt");
    let objects = array(value, "objects")?.iter().map(|o| object_grant(&o)).collect::<Shape<Vec<_>>>()?;
    Ok(Grant {
        decision: GrantedDecision::Granted,
        gatekeeper_id: string(value, "gatekeeper_id")?,
        bucket: string(value, "bucket")?,
        receipt: ReceiptJson {
            bytes: base64(&receipt, "bytes")?,
            signature: base64(&receipt, "signature")?,
            key_id: string(&receipt, "key_id")?,
            sequence: number(&receipt, "sequence")?,
        },
        objects,
    })
}

fn object_grant(value: &JsValue) -> Shape<ObjectGrant> {
    let method = match string(value, "method")?.as_str() {
        "GET" => PresignedMethod::Get,
        "PUT" => PresignedMethod::Put,
        _ => return Err("method".into()),
    };
    let headers = array(value, "headers")?
        .iter()
        .map(|pair| {
            let pair: Array = pair.dyn_into().map_err(|_| "headers".to_owned())?;
            match (pair.length(), pair.get(0).as_string(), pair.get(1).as_string()) {
                (2, Some(name), Some(value)) => Ok((name, value)),
                _ => Err("headers".to_owned()),
            }
        })
        .collect::<Shape<Vec<_>>>()?;
    let key_material = match get(value, "key_material") {
        v if absent(&v) => Vec::new(),
        v => v
            .dyn_into::<Array>()
            .map_err(|_| "key_material".to_owned())?
            .iter()
            .map(|m| Ok(KeyMaterial { master_key_id: string(&m, "master_key_id")?, key: base64(&m, "key")? }))
            .collect::<Shape<Vec<_>>>()?,
    };
    let write_key = match get(value, "write_key") {
        w if absent(&w) => None,
        w => Some(WriteKeyJson {
            master_key_id: string(&w, "master_key_id")?,
            salt: base64(&w, "salt")?,
            key: base64(&w, "key")?,
        }),
    };
    Ok(ObjectGrant {
        key: string(value, "key")?,
        size: opt_number(value, "size")?,
        sequence: number(value, "sequence")?,
        method,
        url: string(value, "url")?,
        headers,
        expires_at: number(value, "expires_at")?,
        key_material,
        write_key,
    })
}

/// A plain object from name/value pairs (defining properties on a fresh object cannot fail).
pub(crate) fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let out = Object::new();
    for (name, value) in fields {
        let _ = Reflect::set(&out, &JsValue::from_str(name), value);
    }
    out.into()
}

/// The JSON text of a co-sign request.
pub(crate) fn cosign_request(body: &CosignRequest) -> Option<String> {
    stringify(&object(&[("request", body.request.as_str().into())]))
}

/// The JSON text of an authorize request.
pub(crate) fn authorize_request(body: &AuthorizeRequest) -> Option<String> {
    stringify(&object(&[
        ("request", body.request.as_str().into()),
        ("vendor_key_id", body.vendor_key_id.as_str().into()),
        ("vendor_signature", body.vendor_signature.as_str().into()),
        ("client_signature", body.client_signature.as_str().into()),
    ]))
}

fn stringify(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok().map(String::from)
}

/// A verified receipt as the page sees it (`Receipt` in the types), with `signed` when it is a
/// receipt the gatekeeper signed (not an object of a prefix read).
pub(crate) fn receipt(r: &ReceiptSummary) -> JsValue {
    // Sequence numbers and times are far below 2^53, where f64 is exact.
    let out = object(&[
        ("key", r.key.as_str().into()),
        ("sequence", JsValue::from_f64(r.sequence as f64)),
        ("vendorKeyId", r.vendor_key_id.as_str().into()),
        ("gatekeeperKeyId", r.gatekeeper_key_id.as_str().into()),
        ("decidedAt", JsValue::from_f64(r.decided_at as f64)),
        ("clientIp", r.client_ip.as_str().into()),
        ("verified", JsValue::TRUE),
    ]);
    if let Some(signed) = &r.signed {
        // Defining a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&out, &JsValue::from_str("signed"), &signed_receipt(signed));
    }
    out
}

/// A receipt in the answer's form (`SignedReceipt` in the types): its JSON is one line of a
/// receipts file, which `gatekeeper audit verify --receipts` checks against the audit log.
fn signed_receipt(s: &ReceiptJson) -> JsValue {
    object(&[
        ("bytes", s.bytes.as_str().into()),
        ("signature", s.signature.as_str().into()),
        ("key_id", s.key_id.as_str().into()),
        ("sequence", JsValue::from_f64(s.sequence as f64)),
    ])
}
