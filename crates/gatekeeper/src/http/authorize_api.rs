//! `POST /v1/authorize`: the media type, the body (bounded in size and time) and the JSON are
//! checked here, then the request goes to the pipeline ([`crate::authorize`]).
//!
//! Each refusal here has a code and is audited once ([`AuthorizeCall::refuse`]): a wrong method
//! (`method_not_allowed`), a body that is not declared `application/json`
//! (`unsupported_media_type`, so a cross-site "simple" POST never reaches the checks), a body too
//! large (`body_too_large`, at once when its `Content-Length` says so), unreadable (`malformed_body`) or too slow (`timeout`: it must arrive
//! within half of `request_timeout`), and one that is not the expected JSON (`malformed_json`).
//! The pipeline runs in its own task: once started it always finishes and records its decision,
//! even if the request times out or the connection closes meanwhile.
//!
//! This module must never hand a request to the pipeline before all of these checks pass, and
//! never log a body.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::guard::AuthorizeCall;
use super::ApiError;
use s3gk_wire::{
    AuthorizeRequest, Base64, Grant, GrantedDecision, KeyMaterial, ObjectGrant, PresignedMethod, ReceiptJson,
    WriteKeyJson,
};

use crate::authorize::{self, Gatekeeper, Granted, KeyRelease};

/// The only media type an authorize body may be declared as (parameters such as a charset are
/// allowed).
const JSON: &str = "application/json";

/// The handler of `POST /v1/authorize`.
pub(super) async fn authorize(
    State(gk): State<Arc<Gatekeeper>>,
    call: Option<Extension<AuthorizeCall>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(Extension(call)) = call else {
        tracing::error!("authorize request without its AuthorizeCall; the guard must run first");
        return ApiError::internal().into_response();
    };
    let started = Instant::now();
    let response = decide(&gk, &call, &headers, body).await;
    gk.metrics.observe(started.elapsed());
    response
}

/// Any other method on `/v1/authorize`: 405, audited.
pub(super) async fn wrong_method(
    State(gk): State<Arc<Gatekeeper>>,
    call: Option<Extension<AuthorizeCall>>,
) -> Response {
    let error = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use POST on this endpoint");
    match call {
        Some(Extension(call)) => call.refuse(&gk, error).await,
        None => {
            tracing::error!("authorize request without its AuthorizeCall; the guard must run first");
            ApiError::internal().into_response()
        }
    }
}

async fn decide(gk: &Arc<Gatekeeper>, call: &AuthorizeCall, headers: &HeaderMap, body: Body) -> Response {
    if !declared_json(headers) {
        let msg = format!("the body must be sent as Content-Type: {JSON}");
        return call.refuse(gk, ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", msg)).await;
    }
    let limits = gk.settings.limits;
    let too_large = || {
        let msg = format!("request body exceeds {} bytes", limits.max_body_bytes);
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", msg)
    };
    // A body declared larger than the limit is refused at once, not waited for until the timeout.
    if declared_length(headers).is_some_and(|n| n > u64::try_from(limits.max_body_bytes).unwrap_or(u64::MAX)) {
        return call.refuse(gk, too_large()).await;
    }
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.request_timeout / 2, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let over_limit = e.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some();
            let error = if over_limit {
                too_large()
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", "the request body could not be read")
            };
            return call.refuse(gk, error).await;
        }
        Err(_) => {
            let error =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "the request body did not arrive in time");
            return call.refuse(gk, error).await;
        }
    };
    let request: AuthorizeRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(_) => {
            let msg = "body must be JSON with request, vendor_key_id, vendor_signature and client_signature";
            return call.refuse(gk, ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", msg)).await;
        }
    };
    call.hand_to_pipeline();
    let (task_gk, caller) = (gk.clone(), call.caller.clone());
    let pipeline = tokio::spawn(async move {
        let decided = authorize::authorize(&task_gk, &caller, &request, task_gk.clock.now()).await;
        match &decided {
            Ok(_) => task_gk.metrics.decision("granted", "granted"),
            Err(refusal) => task_gk.metrics.decision("denied", refusal.code()),
        }
        decided
    });
    match pipeline.await {
        Ok(Ok(granted)) => Json(wire_grant(gk, granted)).into_response(),
        Ok(Err(refusal)) => ApiError::from(&refusal).into_response(),
        Err(_) => {
            tracing::error!("the authorize pipeline task ended abnormally");
            ApiError::internal().into_response()
        }
    }
}

/// The `Content-Length` the request declares, if it is one number (the HTTP parser has already
/// refused conflicting or malformed ones).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// The grant as the wire JSON (`docs/api.md`): receipt, and per object the presigned request and
/// the key material released.
fn wire_grant(gk: &Gatekeeper, granted: Granted) -> Grant {
    let Granted { receipt, receipt_seq, objects } = granted;
    let objects = objects
        .into_iter()
        .map(|o| {
            let (key_material, write_key) = match o.release {
                KeyRelease::Read(keys) => (
                    keys.iter()
                        .map(|k| KeyMaterial {
                            master_key_id: k.master_key_id().to_string(),
                            key: Base64::encode(k.as_bytes()),
                        })
                        .collect(),
                    None,
                ),
                KeyRelease::Write(w) => (
                    Vec::new(),
                    Some(WriteKeyJson {
                        master_key_id: w.master_key_id().to_string(),
                        salt: Base64::encode(w.salt()),
                        key: Base64::encode(w.as_bytes()),
                    }),
                ),
            };
            let method = if o.presigned.method == "PUT" { PresignedMethod::Put } else { PresignedMethod::Get };
            ObjectGrant {
                key: o.key.into(),
                size: o.size,
                sequence: o.sequence,
                method,
                url: o.presigned.url,
                headers: o.presigned.headers,
                expires_at: o.presigned.expires_at,
                key_material,
                write_key,
            }
        })
        .collect();
    Grant {
        decision: GrantedDecision::Granted,
        gatekeeper_id: gk.settings.gatekeeper_id.to_string(),
        bucket: gk.settings.s3.bucket.clone(),
        receipt: ReceiptJson {
            bytes: Base64::encode(&receipt.bytes),
            signature: Base64::encode(receipt.signature),
            key_id: receipt.key_id.to_string(),
            sequence: receipt_seq,
        },
        objects,
    }
}

/// True if the request declares exactly one `Content-Type`, whose media type is `application/json`
/// (compared without case; parameters after `;` allowed).
fn declared_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else { return false };
    let Ok(text) = value.to_str() else { return false };
    let media_type = text.split(';').next().unwrap_or_default();
    media_type.trim_matches([' ', '\t']).eq_ignore_ascii_case(JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::CONTENT_TYPE, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_json_is_declared_json() {
        for ok in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;x=y"]
        {
            assert!(declared_json(&with(&[ok])), "{ok}");
        }
        let refused: [&[&'static str]; 7] = [
            &[],
            &["text/plain"],
            &["text/plain; application/json"],
            &["application/json-patch+json"],
            &["application/x-www-form-urlencoded"],
            &["multipart/form-data; boundary=x"],
            &["application/json", "application/json"],
        ];
        for bad in refused {
            assert!(!declared_json(&with(bad)), "{bad:?}");
        }
    }
}
