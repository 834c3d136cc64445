//! Seeding: sample tickets uploaded encrypted through the real put flow, as a vendor backend and
//! a client would: an access request signed by the vendor key and a fresh session key, POSTed to
//! the gatekeeper's `/v1/authorize` over HTTP; the receipt checked against the gatekeeper's key;
//! the plaintext encrypted with the released per-object key (random salt, default chunk size);
//! the ciphertext PUT to the presigned URL with the headers it requires.
//!
//! Idempotent: objects already in the bucket (listed directly from S3 with the operator's
//! credentials, which adds nothing to the audit log) are skipped, and a `412` from S3 (the object
//! appeared meanwhile; presigned PUTs never overwrite) counts as skipped too. This module must
//! never write an object except through a gatekeeper grant, and never upload plaintext.

mod content;
mod png;

use std::collections::BTreeSet;
use std::fmt;
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore as _};
use s3gk_gatekeeper::authorize::{unix_secs, Gatekeeper};
use s3gk_protocol::object::{self, ciphertext_len, WriteKey, DEFAULT_CHUNK_SIZE};
use s3gk_protocol::sign::{client_sign, vendor_sign, verify_receipt, SignedReceipt};
use s3gk_protocol::{AccessRequest, KeyId, Operation};
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::gatekeeper::{GATEKEEPER_ID, MASTER_KEY_ID, VENDOR_KEY_ID};

/// What seeding did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Keys uploaded now.
    pub uploaded: Vec<String>,
    /// Keys that were already there.
    pub skipped: Vec<String>,
}

/// Why seeding stopped. Messages name the object and the step, never key material.
#[derive(Debug)]
pub struct SeedError(String);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seeding: {}", self.0)
    }
}

impl std::error::Error for SeedError {}

fn fail(key: &str, what: impl fmt::Display) -> SeedError {
    SeedError(format!("{key}: {what}"))
}

/// Who seeds, and where.
pub(crate) struct Seeder<'a> {
    /// The gatekeeper (its S3 client lists what exists).
    pub(crate) gk: &'a Gatekeeper,
    /// The gatekeeper's base URL.
    pub(crate) gatekeeper_url: &'a str,
    /// The key receipts must verify under (pinned, not fetched).
    pub(crate) gatekeeper_key: VerifyingKey,
    /// The vendor's co-signing key.
    pub(crate) vendor_key: &'a SigningKey,
}

/// The parts of a grant the seeder uses.
#[derive(Deserialize)]
struct Grant {
    receipt: ReceiptJson,
    objects: Vec<ObjectJson>,
}

#[derive(Deserialize)]
struct ReceiptJson {
    bytes: String,
    signature: String,
    key_id: String,
}

#[derive(Deserialize)]
struct ObjectJson {
    method: String,
    url: String,
    headers: Vec<[String; 2]>,
    write_key: Option<WriteKeyJson>,
}

/// What a put grant releases: the write key of the salt the gatekeeper drew.
#[derive(Deserialize)]
struct WriteKeyJson {
    master_key_id: String,
    salt: String,
    key: String,
}

impl Seeder<'_> {
    /// Uploads every sample object that is not in the bucket yet.
    pub(crate) async fn run(&self) -> Result<SeedReport, SeedError> {
        let objects = content::sample_objects().map_err(|e| SeedError(format!("sample content: {e}")))?;
        let prefixes: BTreeSet<&str> =
            objects.iter().filter_map(|o| o.key.rfind('/').and_then(|i| o.key.get(..=i))).collect();
        let mut existing = BTreeSet::new();
        for prefix in prefixes {
            let listed =
                self.gk.s3.list_objects(prefix, 10_000).await.map_err(|e| fail(prefix, format!("list: {e}")))?;
            existing.extend(listed.into_iter().map(|o| o.key));
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .user_agent("s3gk-devstack seeder")
            .build()
            .map_err(|e| SeedError(e.to_string()))?;
        let mut report = SeedReport::default();
        for o in objects {
            if existing.contains(&o.key) || !self.upload(&http, &o.key, &o.plaintext).await? {
                report.skipped.push(o.key);
            } else {
                report.uploaded.push(o.key);
            }
        }
        Ok(report)
    }

    /// The put flow for one object. `Ok(false)` if S3 says it exists already.
    async fn upload(&self, http: &reqwest::Client, key: &str, plaintext: &[u8]) -> Result<bool, SeedError> {
        let master_key_id = KeyId::new(MASTER_KEY_ID).map_err(|e| fail(key, e))?;
        let vendor_key_id = KeyId::new(VENDOR_KEY_ID).map_err(|e| fail(key, e))?;
        // The first master key encrypts uploads and its id is known, so the ciphertext length
        // can be bound into the request before the key is released.
        let length = u64::try_from(plaintext.len())
            .ok()
            .and_then(|n| ciphertext_len(n, DEFAULT_CHUNK_SIZE, &master_key_id))
            .ok_or_else(|| fail(key, "too large"))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut_slice());
        let session = SigningKey::from_bytes(&seed);
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let now = unix_secs(SystemTime::now());
        let request = AccessRequest {
            gatekeeper_id: GATEKEEPER_ID.to_owned(),
            operation: Operation::Put { content_length: length, sha256: None, content_type: None },
            key: key.to_owned(),
            issued_at: now,
            expires_at: now.saturating_add(60),
            nonce,
            session_key: session.verifying_key().to_bytes(),
        };
        let bytes = request.encode().map_err(|e| fail(key, e))?;
        let vendor_signature = vendor_sign(self.vendor_key, &vendor_key_id, &bytes);
        let client_signature = client_sign(&session, &bytes, &vendor_key_id, &vendor_signature);
        let body = json!({
            "request": B64.encode(&bytes),
            "vendor_key_id": VENDOR_KEY_ID,
            "vendor_signature": B64.encode(vendor_signature),
            "client_signature": B64.encode(client_signature),
        });
        let answer = http
            .post(format!("{}/v1/authorize", self.gatekeeper_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| fail(key, format!("authorize: {e}")))?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| fail(key, format!("authorize: {e}")))?;
        if !status.is_success() {
            return Err(fail(key, format!("authorize refused ({status}): {text}")));
        }
        let grant: Grant = serde_json::from_str(&text).map_err(|e| fail(key, format!("authorize answer: {e}")))?;
        self.check_receipt(key, &grant.receipt, &bytes)?;
        let [object] = <[ObjectJson; 1]>::try_from(grant.objects).map_err(|_| fail(key, "expected one object"))?;
        let bytes32 = |text: &str| B64.decode(text).ok().and_then(|k| <[u8; 32]>::try_from(k).ok());
        let write_key = object
            .write_key
            .as_ref()
            .filter(|w| w.master_key_id == MASTER_KEY_ID)
            .and_then(|w| Some(WriteKey::from_bytes(master_key_id, bytes32(&w.salt)?, bytes32(&w.key)?)))
            .ok_or_else(|| fail(key, "no usable write key in the grant"))?;
        let ciphertext = object::encrypt(write_key, DEFAULT_CHUNK_SIZE, plaintext).map_err(|e| fail(key, e))?;
        if u64::try_from(ciphertext.len()).ok() != Some(length) {
            return Err(fail(key, "ciphertext length differs from the bound length"));
        }
        if object.method != "PUT" {
            return Err(fail(key, "the grant is not a PUT"));
        }
        let mut put = http.put(&object.url).body(ciphertext);
        for [name, value] in &object.headers {
            // reqwest sets Content-Length from the body (the same value, bound by the grant).
            if !name.eq_ignore_ascii_case("content-length") {
                put = put.header(name, value);
            }
        }
        let sent = put.send().await.map_err(|e| fail(key, format!("upload: {e}")))?;
        match sent.status().as_u16() {
            200..=299 => Ok(true),
            412 => Ok(false),
            other => Err(fail(key, format!("upload refused by S3 ({other})"))),
        }
    }

    fn check_receipt(&self, key: &str, receipt: &ReceiptJson, sent: &[u8]) -> Result<(), SeedError> {
        let signed = SignedReceipt {
            bytes: B64.decode(&receipt.bytes).map_err(|_| fail(key, "receipt is not base64"))?,
            key_id: KeyId::new(&receipt.key_id).map_err(|e| fail(key, e))?,
            signature: B64
                .decode(&receipt.signature)
                .ok()
                .and_then(|s| <[u8; 64]>::try_from(s).ok())
                .ok_or_else(|| fail(key, "receipt signature is not 64 bytes of base64"))?,
        };
        verify_receipt(&signed, &self.gatekeeper_key, sent).map(|_| ()).map_err(|e| fail(key, format!("receipt: {e}")))
    }
}
