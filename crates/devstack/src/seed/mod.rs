//! Seeding: sample tickets uploaded encrypted through the real put flow, as a vendor backend acting
//! for itself would: the client core's handshake ([`handshake::access`]) with a fresh session key,
//! the vendor key co-signing locally, `/v1/authorize` over HTTP, the receipt checked against the
//! pinned gatekeeper key; the plaintext encrypted with the released write key (default chunk
//! size); the ciphertext PUT to the presigned URL with the headers it requires.
//!
//! Idempotent: objects already in the bucket (listed directly from S3 with the operator's
//! credentials, which adds nothing to the audit log) are skipped, and a `412` from S3 (the object
//! appeared meanwhile; presigned PUTs never overwrite) counts as skipped too. This module must
//! never write an object except through a gatekeeper grant, and never upload plaintext.

mod content;
mod png;

use std::collections::BTreeSet;
use std::fmt;

use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore as _};
use s3_gatekeeper_client::handshake::{self, upload_length, upload_plan, Access, PinnedKey};
use s3_gatekeeper_client::native::{Cosigner, HttpTransport};
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::clock::unix_secs;
use s3gk_protocol::object::{self, DEFAULT_CHUNK_SIZE};
use s3gk_protocol::{KeyId, KeyPrefix, Operation};
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
    /// The key receipts must verify under (pinned, not fetched), and its id.
    pub(crate) pinned: PinnedKey,
    /// The vendor's co-signing key.
    pub(crate) vendor_key: &'a SigningKey,
}

impl Seeder<'_> {
    /// Uploads every sample object that is not in the bucket yet.
    pub(crate) async fn run(&self) -> Result<SeedReport, SeedError> {
        let objects = content::sample_objects().map_err(|e| SeedError(format!("sample content: {e}")))?;
        let prefixes: BTreeSet<&str> =
            objects.iter().filter_map(|o| o.key.rfind('/').and_then(|i| o.key.get(..=i))).collect();
        let mut existing = BTreeSet::new();
        for prefix in prefixes {
            let checked = KeyPrefix::parse(prefix).map_err(|p| fail(prefix, p.code()))?;
            let listed =
                self.gk.s3.list_objects(&checked, 10_000).await.map_err(|e| fail(prefix, format!("list: {e}")))?;
            existing.extend(listed.into_iter().map(|o| String::from(o.key)));
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .user_agent("s3gk-devstack seeder")
            .build()
            .map_err(|e| SeedError(e.to_string()))?;
        let vendor_key_id = KeyId::new(VENDOR_KEY_ID).map_err(|e| SeedError(e.to_string()))?;
        let transport = HttpTransport {
            http,
            gatekeeper_url: self.gatekeeper_url.to_owned(),
            cosigner: Cosigner::Local { key: Box::new(self.vendor_key.clone()), key_id: vendor_key_id },
        };
        let mut report = SeedReport::default();
        for o in objects {
            if existing.contains(&o.key) || !self.upload(&transport, &o.key, &o.plaintext).await? {
                report.skipped.push(o.key);
            } else {
                report.uploaded.push(o.key);
            }
        }
        Ok(report)
    }

    /// The put flow for one object, through the client core's handshake. `Ok(false)` if S3 says
    /// it exists already.
    async fn upload(&self, transport: &HttpTransport, key: &str, plaintext: &[u8]) -> Result<bool, SeedError> {
        let master_key_id = KeyId::new(MASTER_KEY_ID).map_err(|e| fail(key, e))?;
        // The first master key encrypts uploads and its id is known, so the ciphertext length
        // can be bound into the request before the write key is released.
        let length = upload_length(plaintext.len(), &master_key_id).map_err(|e| fail(key, e))?;
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut_slice());
        let session = SigningKey::from_bytes(&seed);
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let who = Access {
            gatekeeper_id: GATEKEEPER_ID,
            pinned: &self.pinned,
            session: &session,
            now: unix_secs(self.gk.clock.now()),
            max_lifetime: None,
            nonce,
        };
        let put = Operation::Put { content_length: length, sha256: None, content_type: None };
        let grant =
            handshake::access(transport, &who, put, key).await.map_err(|e| fail(key, format!("authorize: {e}")))?;
        let object = grant.objects.into_iter().next().ok_or_else(|| fail(key, "expected one object"))?;
        let plan = upload_plan(object, &master_key_id, length).map_err(|e| fail(key, e))?;
        let ciphertext = object::encrypt(plan.write_key, DEFAULT_CHUNK_SIZE, plaintext).map_err(|e| fail(key, e))?;
        if u64::try_from(ciphertext.len()).ok() != Some(length) {
            return Err(fail(key, "ciphertext length differs from the bound length"));
        }
        // reqwest sets Content-Length from the body (the same value, bound by the grant).
        let mut request = transport.http.put(&plan.url).body(ciphertext);
        for (name, value) in &plan.headers {
            request = request.header(name, value);
        }
        let sent = request.send().await.map_err(|e| fail(key, format!("upload: {e}")))?;
        match sent.status().as_u16() {
            200..=299 => Ok(true),
            412 => Ok(false),
            other => Err(fail(key, format!("upload refused by S3 ({other})"))),
        }
    }
}
