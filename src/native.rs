//! The client core's [`Transport`] for native programs, over `reqwest` (feature `native`).
//!
//! For a program that reads or writes through a gatekeeper outside a browser: a vendor backend
//! that uploads on its own behalf (it co-signs its own requests with its vendor key), a batch job
//! that asks a vendor's co-sign endpoint, the dev stack's seeder, the gatekeeper's tests. Error
//! answers become [`ClientError`]s with the answering party's code, as in the browser. This module
//! must never log a body, a signature or a presigned URL.

use ed25519_dalek::SigningKey;
use s3gk_protocol::sign::vendor_sign;
use s3gk_protocol::KeyId;
use s3gk_wire::{AuthorizeRequest, Base64, CosignAnswer, CosignRequest, ErrorAnswer, Grant};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ClientError, Party};
use crate::handshake::Transport;

/// Who co-signs.
#[derive(Debug)]
pub enum Cosigner {
    /// The vendor's co-sign endpoint, at this URL.
    Endpoint(String),
    /// This program holds the vendor key itself (a vendor backend acting for itself). It signs
    /// whatever it is handed: the program must run its own checks (`docs/protocol.md` 4.1) first.
    Local {
        /// The vendor signing key.
        key: Box<SigningKey>,
        /// Its id.
        key_id: KeyId,
    },
}

/// The handshake's round trips over HTTP with `reqwest`.
#[derive(Debug)]
pub struct HttpTransport {
    /// The HTTP client (its proxy, TLS and user agent settings apply).
    pub http: reqwest::Client,
    /// The gatekeeper's base URL, without a trailing `/`.
    pub gatekeeper_url: String,
    /// Who co-signs.
    pub cosigner: Cosigner,
}

/// The vendor's answer for the encoded `request`, signed with `key` (no checks: see
/// [`Cosigner::Local`]).
pub fn cosign_locally(key: &SigningKey, key_id: &KeyId, request: &[u8]) -> CosignAnswer {
    CosignAnswer {
        vendor_key_id: key_id.to_string(),
        vendor_signature: Base64::encode(vendor_sign(key, key_id, request)),
    }
}

impl Transport for HttpTransport {
    async fn cosign(&self, body: &CosignRequest) -> Result<CosignAnswer, ClientError> {
        match &self.cosigner {
            Cosigner::Endpoint(url) => post_json(&self.http, Party::Vendor, url, body).await,
            Cosigner::Local { key, key_id } => {
                let bytes = body.request.decode().ok_or(ClientError::Internal("a request that is not base64"))?;
                Ok(cosign_locally(key, key_id, &bytes))
            }
        }
    }

    async fn authorize(&self, body: &AuthorizeRequest) -> Result<Grant, ClientError> {
        let url = format!("{}/v1/authorize", self.gatekeeper_url);
        post_json(&self.http, Party::Gatekeeper, &url, body).await
    }
}

/// `POST url` with a JSON body; a 2xx answer's JSON as `T`, or the party's error.
async fn post_json<B: Serialize, T: DeserializeOwned>(
    http: &reqwest::Client,
    party: Party,
    url: &str,
    body: &B,
) -> Result<T, ClientError> {
    let answer = http.post(url).json(body).send().await.map_err(|_| ClientError::Network(party))?;
    let status = answer.status().as_u16();
    let text = answer.bytes().await.map_err(|_| ClientError::Network(party))?;
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<ErrorAnswer>(&text) {
            Ok(e) => ClientError::refused(party, status, &e.error.code, &e.error.message),
            Err(_) => ClientError::HttpStatus(party, status),
        });
    }
    serde_json::from_slice(&text).map_err(|_| ClientError::BadResponse(party, "the answer has the wrong shape"))
}
