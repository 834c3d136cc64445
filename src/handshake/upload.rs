//! A put's plan: the ciphertext length bound before the write key is released, and what the
//! granted put releases (a write key for the announced master key, the signed headers).
//!
//! This module must never let an upload go out with a length other than the one bound.

use s3gk_protocol::object::{ciphertext_len, WriteKey, DEFAULT_CHUNK_SIZE};
use s3gk_protocol::request::MAX_CONTENT_LENGTH;
use s3gk_protocol::{KeyId, ObjectError};

use super::GrantedObject;
use crate::error::{ClientError, Party};

/// The ciphertext length of a `plaintext_len`-byte upload under master key `upload_key_id`,
/// which a put request binds before the key is released.
pub fn upload_length(plaintext_len: usize, upload_key_id: &KeyId) -> Result<u64, ClientError> {
    u64::try_from(plaintext_len)
        .ok()
        .and_then(|len| ciphertext_len(len, DEFAULT_CHUNK_SIZE, upload_key_id))
        .filter(|len| *len <= MAX_CONTENT_LENGTH)
        .ok_or(ClientError::Object(ObjectError::TooLarge))
}

/// What a granted put needs to upload: the write key (it seals this one object), the presigned
/// URL, when it stops working, and the headers to send.
#[derive(Debug)]
pub struct UploadPlan {
    /// The write key: it seals this one object.
    pub write_key: WriteKey,
    /// The presigned URL: a bearer credential, never shown.
    pub url: String,
    /// When the URL stops working, gatekeeper time.
    pub expires_at: u64,
    /// The signed headers to send, `content-length` left out (set from the body).
    pub headers: Vec<(String, String)>,
}

/// For a granted put: the released write key (it must be for the announced master key, or the
/// bound length is wrong) and the headers to send (all signed ones but `content-length`, which the
/// browser sets from the body and which must equal `content_length`).
pub fn upload_plan(object: GrantedObject, announced: &KeyId, content_length: u64) -> Result<UploadPlan, ClientError> {
    let released =
        object.write_key.ok_or(ClientError::BadResponse(Party::Gatekeeper, "a put grant must release a write key"))?;
    if released.master_key_id() != announced {
        return Err(ClientError::UploadKeyMismatch {
            announced: announced.to_string(),
            released: released.master_key_id().to_string(),
        });
    }
    let mut headers = Vec::with_capacity(object.headers.len());
    let mut length_bound = false;
    for (name, value) in &object.headers {
        if name.eq_ignore_ascii_case("content-length") {
            length_bound = value.trim() == content_length.to_string();
        } else {
            headers.push((name.clone(), value.clone()));
        }
    }
    if !length_bound {
        return Err(ClientError::BadResponse(Party::Gatekeeper, "the presigned PUT does not bind the upload's length"));
    }
    Ok(UploadPlan { write_key: released, url: object.url, expires_at: object.expires_at, headers })
}
