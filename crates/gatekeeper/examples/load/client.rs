//! Requests as a browser client makes them, through the client core: `handshake::prepare`, the
//! vendor's co-signature (this harness holds the vendor key, as a vendor backend would), the
//! session key's signature; and grants checked with `handshake::verify_grant` under the pinned
//! gatekeeper key before anything in them counts.
//!
//! What a client keeps of a grant ([`GrantRecord`]) is what the crash test compares with the audit
//! log. Nothing here logs a body, a signature, key material or a presigned URL.

use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore as _};
use s3_gatekeeper_client::handshake::{self, PinnedKey, Prepared, VerifiedGrant};
use s3_gatekeeper_client::native::cosign_locally;
use s3gk_protocol::{KeyId, Operation};
use s3gk_wire::{AuthorizeRequest, ErrorAnswer, Grant, ReceiptJson};

use crate::procs::{Keys, GATEKEEPER_ID, GATEKEEPER_KEY_ID, VENDOR_KEY_ID};
use crate::{Context as _, Fallible};

/// Signs requests for one gatekeeper and checks its grants.
pub(crate) struct Signer {
    vendor: SigningKey,
    vendor_key_id: KeyId,
    pinned: PinnedKey,
    /// How long each request is valid, in seconds (at most the client core's 60).
    lifetime: u64,
}

/// A signed request: what was encoded, and the body to send.
pub(crate) struct Signed {
    pub(crate) prepared: Prepared,
    pub(crate) body: AuthorizeRequest,
}

impl Signer {
    /// A signer with the run's vendor key, pinning the gatekeeper's public key.
    pub(crate) fn new(keys: &Keys, lifetime: u64) -> Fallible<Signer> {
        let public: [u8; 32] = hex::decode(&keys.gatekeeper_public)
            .ok()
            .and_then(|b| b.try_into().ok())
            .context("the gatekeeper public key is not 32 bytes of hex")?;
        let key_id = KeyId::new(GATEKEEPER_KEY_ID).context("key id")?;
        Ok(Signer {
            vendor: keys.vendor.clone(),
            vendor_key_id: KeyId::new(VENDOR_KEY_ID).context("key id")?,
            pinned: PinnedKey::new(public, key_id).context("a weak gatekeeper public key")?,
            lifetime,
        })
    }

    /// A fresh session key, as a browser tab makes one.
    pub(crate) fn session() -> SigningKey {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        SigningKey::from_bytes(&seed)
    }

    /// `operation` on `key`, valid from now, with a fresh nonce, co-signed and signed.
    pub(crate) fn sign(&self, session: &SigningKey, operation: Operation, key: &str) -> Fallible<Signed> {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let session_key = session.verifying_key().to_bytes();
        let prepared = handshake::prepare(GATEKEEPER_ID, operation, key, now, Some(self.lifetime), nonce, &session_key)
            .context("prepare a request")?;
        let vendor = cosign_locally(&self.vendor, &self.vendor_key_id, &prepared.bytes);
        let body = handshake::authorize_body(&prepared, &vendor, session).context("sign a request")?;
        Ok(Signed { prepared, body })
    }

    /// The client's check of a grant: the receipt under the pinned key, for the bytes sent.
    pub(crate) fn check(&self, grant: Grant, prepared: &Prepared) -> Fallible<VerifiedGrant> {
        handshake::verify_grant(grant, &self.pinned, prepared)
            .map_err(|e| format!("a grant failed the client's check: {e}"))
    }
}

/// What the gatekeeper answered.
pub(crate) enum Answer {
    /// 200 with a grant.
    Granted(Grant),
    /// Any other status, with the error code (`<none>` if the body had none).
    Refused(u16, String),
    /// No complete answer: connection refused or cut, or a 200 whose body was not a grant.
    Transport,
}

/// How a body is sent.
pub(crate) struct Post<'a> {
    pub(crate) url: &'a str,
    pub(crate) content_type: &'a str,
    pub(crate) body: Vec<u8>,
}

/// POSTs to `/v1/authorize` and reads the whole answer.
pub(crate) async fn post(http: &reqwest::Client, post: Post<'_>) -> Answer {
    let sent = http
        .post(format!("{}/v1/authorize", post.url))
        .header(reqwest::header::CONTENT_TYPE, post.content_type)
        .body(post.body)
        .send()
        .await;
    let Ok(response) = sent else { return Answer::Transport };
    let status = response.status().as_u16();
    let Ok(bytes) = response.bytes().await else { return Answer::Transport };
    if status == 200 {
        return serde_json::from_slice(&bytes).map_or(Answer::Transport, Answer::Granted);
    }
    let code = serde_json::from_slice::<ErrorAnswer>(&bytes).map_or_else(|_| "<none>".to_owned(), |e| e.error.code);
    Answer::Refused(status, code)
}

/// The JSON bytes of an authorize body.
pub(crate) fn json(body: &AuthorizeRequest) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// What a client keeps of a grant it received and checked.
#[derive(Clone)]
pub(crate) struct GrantRecord {
    /// The receipt exactly as received (the receipts file's line).
    pub(crate) receipt: ReceiptJson,
    /// The body sent (re-sent after a restart to check the nonce is refused).
    pub(crate) body: AuthorizeRequest,
    /// The request bytes the receipt names.
    pub(crate) request: Vec<u8>,
    /// The object key or prefix.
    pub(crate) key: String,
    /// For a prefix read: each object's key and audit seq.
    pub(crate) objects: Vec<(String, u64)>,
}

impl GrantRecord {
    /// Records `grant` after the client's check passed.
    pub(crate) fn of(signer: &Signer, signed: Signed, grant: Grant) -> Fallible<GrantRecord> {
        let receipt = grant.receipt.clone();
        let verified = signer.check(grant, &signed.prepared)?;
        let prefix = signed.prepared.request.operation == Operation::ListPrefix;
        let objects =
            if prefix { verified.objects.iter().map(|o| (o.key.clone(), o.sequence)).collect() } else { vec![] };
        if !prefix && verified.objects.iter().any(|o| o.sequence != receipt.sequence) {
            return Err("a get or put grant whose object seq differs from the receipt's".to_owned());
        }
        Ok(GrantRecord {
            receipt,
            request: signed.prepared.bytes,
            key: signed.prepared.request.key,
            body: signed.body,
            objects,
        })
    }

    /// The line of the receipts file (`docs/audit.md` 6.1).
    pub(crate) fn receipt_line(&self) -> String {
        serde_json::to_string(&self.receipt).unwrap_or_default()
    }
}

/// Uploads `plaintext` to `key` through a put grant, as the browser client does: the ciphertext
/// length bound in the request, the released write key, the presigned PUT with its headers.
pub(crate) async fn upload(
    signer: &Signer,
    http: &reqwest::Client,
    url: &str,
    key: &str,
    plaintext: &[u8],
) -> Fallible<GrantRecord> {
    let master = KeyId::new(crate::procs::MASTER_KEY_ID).context("key id")?;
    let length = handshake::upload_length(plaintext.len(), &master).context("upload length")?;
    let session = Signer::session();
    let operation = Operation::Put { content_length: length, sha256: None, content_type: None };
    let signed = signer.sign(&session, operation, key)?;
    let grant = match post(http, Post { url, content_type: "application/json", body: json(&signed.body) }).await {
        Answer::Granted(grant) => grant,
        Answer::Refused(status, code) => return Err(format!("seeding put refused: {status} {code}")),
        Answer::Transport => return Err("seeding put: no answer".to_owned()),
    };
    let receipt = grant.receipt.clone();
    let prepared = signed.prepared.clone();
    let verified = signer.check(grant, &prepared)?;
    let object = verified.objects.into_iter().next().context("a put grant without its object")?;
    let plan = handshake::upload_plan(object, &master, length).context("upload plan")?;
    let chunk = s3gk_protocol::object::DEFAULT_CHUNK_SIZE;
    let ciphertext = s3gk_protocol::object::encrypt(plan.write_key, chunk, plaintext).context("encrypt")?;
    let mut put = http.put(&plan.url).body(ciphertext);
    for (name, value) in &plan.headers {
        put = put.header(name, value);
    }
    let status = put.send().await.context("presigned PUT")?.status();
    if !status.is_success() {
        return Err(format!("presigned PUT answered {status}"));
    }
    Ok(GrantRecord { receipt, request: prepared.bytes, key: key.to_owned(), body: signed.body, objects: vec![] })
}
