//! Check 10 and 11 for a grant: list (for a prefix), presign, append the decision durably with
//! the receipt signed as its entry is numbered, and release key material — a [`Granted`], in the
//! service's own types. The HTTP edge turns it into the wire JSON.
//!
//! Key release: a read gets the per-object key under every master key the object may use; a put
//! gets only the write key of a salt drawn here, under the current (first) master key, which seals
//! the new object and opens nothing stored before (`docs/protocol.md` 7.1). This module must never
//! release a per-object key for a put, never answer before the entries are durable, and never
//! fail a grant after its entry is durable.

use std::time::SystemTime;

use s3gk_protocol::error::{DecodeError, DecodeProblem, Field};
use s3gk_protocol::object::{ObjectKeyMaterial, WriteKey, SALT_LEN};
use s3gk_protocol::policy::object_key::{CheckedKey, ObjectKey};
use s3gk_protocol::sign::{Grant, SignedReceipt};
use s3gk_protocol::{Denial, Operation};

use super::entries::{granted_entry, Facts};
use super::{Gatekeeper, Refusal};
use crate::audit::{AuditError, Queued};
use crate::s3::{PresignedRequest, S3Error};

/// A durable grant: the signed receipt and what each object's client may do with it.
#[derive(Debug)]
pub struct Granted {
    /// The receipt, signed by the gatekeeper.
    pub receipt: SignedReceipt,
    /// The audit sequence number of the decision (also inside the receipt).
    pub receipt_seq: u64,
    /// The objects: one for a get or put, every listed object for a prefix read.
    pub objects: Vec<GrantedObject>,
}

/// Access to one object.
#[derive(Debug)]
pub struct GrantedObject {
    /// The object key.
    pub key: ObjectKey,
    /// The stored size, for listed objects.
    pub size: Option<u64>,
    /// This object's audit sequence number (the receipt's, for a get or put).
    pub sequence: u64,
    /// The presigned request.
    pub presigned: PresignedRequest,
    /// The key material released.
    pub release: KeyRelease,
}

/// What a grant releases for one object.
#[derive(Debug)]
pub enum KeyRelease {
    /// A read: the per-object key under every master key that may have encrypted the object.
    Read(Vec<ObjectKeyMaterial>),
    /// A put: the write key of the salt drawn for the new object.
    Write(WriteKey),
}

/// Presigns, audits and releases for `grant` at `now`.
pub(super) async fn answer(gk: &Gatekeeper, facts: &Facts, grant: &Grant, now: SystemTime) -> Result<Granted, Refusal> {
    let req = grant.verified().request();
    // Drawn before anything is audited, so a grant never fails after its entry is durable.
    let upload_salt = match req.operation {
        Operation::Put { .. } => Some(draw_salt()?),
        _ => None,
    };
    let objects = presign(gk, grant, now).await?;

    // The receipt is signed as its entry is numbered (it names the seq) and comes back with it.
    let receipt = {
        let grant = grant.clone();
        let key = gk.settings.signing_key.clone();
        let key_id = gk.settings.signing_key_id.clone();
        let decided_at = facts.time_ms / 1000;
        let mut entry = granted_entry(facts, grant.verified().authorization(), req, &req.key);
        gk.audit
            .queue(move |seq| {
                let receipt = grant.receipt(seq, decided_at).sign(&key, &key_id);
                entry.gatekeeper_signature = Some(receipt.signature);
                (entry, receipt)
            })
            .await
    };
    // A prefix read audits each object too; all entries are queued before any is awaited, so
    // they share commits.
    let mut per_object = Vec::new();
    if req.operation == Operation::ListPrefix {
        for (key, _, _) in &objects {
            let entry = granted_entry(facts, grant.verified().authorization(), req, key.as_str());
            per_object.push(gk.audit.queue(move |_| (entry, ())).await);
        }
    }
    let (receipt_seq, receipt) = durable(receipt).await?;
    let mut sequences = Vec::with_capacity(objects.len());
    for append in per_object {
        sequences.push(durable(append).await?.0);
    }
    sequences.resize(objects.len(), receipt_seq);

    let bucket = &gk.settings.s3.bucket;
    let objects = objects
        .into_iter()
        .zip(sequences)
        .map(|((key, size, presigned), sequence)| {
            let release = match (upload_salt, gk.settings.master_keys.first()) {
                (Some(salt), Some(current)) => KeyRelease::Write(current.write_key(bucket, &key, salt)),
                _ => KeyRelease::Read(gk.settings.master_keys.iter().map(|mk| mk.object_key(bucket, &key)).collect()),
            };
            GrantedObject { key, size, sequence, presigned, release }
        })
        .collect();
    Ok(Granted { receipt, receipt_seq, objects })
}

/// The objects of a grant with their presigned requests: the key of a get or put, or every object
/// listed under a prefix.
async fn presign(
    gk: &Gatekeeper,
    grant: &Grant,
    now: SystemTime,
) -> Result<Vec<(ObjectKey, Option<u64>, PresignedRequest)>, Refusal> {
    let req = grant.verified().request();
    let mut objects = Vec::new();
    match (&req.operation, grant.verified().key()) {
        (Operation::Get, CheckedKey::Object(key)) => {
            objects.push((key.clone(), None, gk.s3.presign_get(key, now).map_err(Refusal::S3)?))
        }
        (Operation::Put { content_length, sha256, content_type }, CheckedKey::Object(key)) => {
            let put =
                gk.s3.presign_put(key, *content_length, *sha256, content_type.as_deref(), now).map_err(Refusal::S3)?;
            objects.push((key.clone(), None, put));
        }
        (Operation::ListPrefix, CheckedKey::Prefix(prefix)) => {
            // S3 gets half of the request's time: a slow or silent S3 is refused with its own
            // code and audited before the request timeout could answer instead.
            let deadline = gk.settings.limits.request_timeout / 2;
            let listing = gk.s3.list_objects(prefix, gk.settings.limits.max_list_objects);
            let listed = tokio::time::timeout(deadline, listing)
                .await
                .unwrap_or(Err(S3Error::Unavailable("no answer within the deadline")))
                .map_err(Refusal::S3)?;
            for object in listed {
                let url = gk.s3.presign_get(&object.key, now).map_err(Refusal::S3)?;
                objects.push((object.key, Some(object.size), url));
            }
        }
        _ => {
            let malformed = DecodeError::new(Field::Operation, DecodeProblem::InvalidValue);
            return Err(Refusal::Denied(Denial::Malformed(malformed)));
        }
    }
    Ok(objects)
}

/// 32 fresh bytes from the operating system for a put's header salt. A failing source refuses
/// the request: a guessable or repeated salt would repeat data keys.
fn draw_salt() -> Result<[u8; SALT_LEN], Refusal> {
    let mut salt = [0u8; SALT_LEN];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut salt).map_err(|_| Refusal::EntropyUnavailable)?;
    Ok(salt)
}

/// Waits for a queued append; any failure refuses the request (fail closed).
async fn durable<T>(append: Result<Queued<T>, AuditError>) -> Result<(u64, T), Refusal> {
    let committed = match append {
        Ok(queued) => queued.durable().await,
        Err(e) => Err(e),
    };
    committed.map_err(|e| {
        tracing::error!(code = e.code(), "audit append failed; refusing the request");
        Refusal::AuditUnavailable
    })
}
