//! What the fuzz targets share: the keys of the test vectors, the policy the signature vectors
//! assume, a small cursor over the fuzzer's bytes, the audit log `audit_chain` tampers with
//! ([`audit_log`]) and the gatekeeper `authorize_http` calls ([`service`]).
//!
//! The keys are the vectors' fixed seeds (`vectors/signature-*.txt`, `vectors/object-*.txt`), so a
//! seed input built from a vector (`s3gk-vectors fuzz-seeds`) passes the same checks here as in the
//! vector. Nothing in this crate is secret. It must never read a clock or draw randomness: every
//! run of a target on one input does the same thing, so a crash reproduces.

pub mod audit_log;
pub mod service;

use ed25519_dalek::SigningKey;
use s3gk_protocol::object::{MasterKey, ObjectKeyMaterial};
use s3gk_protocol::policy::object_key::RootPrefix;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::sign::{self, Keyring, VerifyPolicy};
use s3gk_protocol::{AccessRequest, GatekeeperId, KeyId, ObjectKey};

/// The gatekeeper id of the signature and cosign vectors.
pub const GATEKEEPER_ID: &str = "acme-gk.example:eu-1";
/// The vendor key id the signature vectors configure.
pub const VENDOR_KEY_ID: &str = "vendor-2026-01";
/// A second configured vendor key id (a key rotation).
pub const VENDOR_KEY_ID_2: &str = "vendor-2026-02";
/// The clock of the signature vectors.
pub const VECTOR_NOW: u64 = 1_800_000_030;
/// The bucket of the object vectors.
pub const BUCKET: &str = "acme-support-data";

const VENDOR_SEED: &str = "d28526b2149968612499a5dd2121fa0970944042411c96bbf7c87667d0a31cd9";
const SESSION_SEED: &str = "6ae057ac9664616b9e572675d932ee805a418e9a9e5aef492d9d515f5ca45413";
const MASTER_KEY: &str = "7807d330349e48cc8be8c8617570ebf4115231be15ae9ba0f437a8ecc6da2c9a";

fn key32(hex_text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = hex_text.get(2 * i..2 * i + 2).expect("the constants are 64 hex digits");
        *byte = u8::from_str_radix(pair, 16).expect("the constants are hex");
    }
    out
}

/// The vendor key of the signature vectors (`vendor_seed`).
pub fn vendor_key() -> SigningKey {
    SigningKey::from_bytes(&key32(VENDOR_SEED))
}

/// The second configured vendor key.
pub fn vendor_key_2() -> SigningKey {
    SigningKey::from_bytes(&[0x2b; 32])
}

/// The client session key of the signature vectors (`session_seed`).
pub fn session_key() -> SigningKey {
    SigningKey::from_bytes(&key32(SESSION_SEED))
}

/// The gatekeeper's receipt key.
pub fn gatekeeper_key() -> SigningKey {
    SigningKey::from_bytes(&[0x4d; 32])
}

/// The policy of the signature vectors, with a second vendor key configured.
pub fn verify_policy() -> VerifyPolicy {
    let mut vendor_keys = Keyring::new();
    for (id, key) in [(VENDOR_KEY_ID, vendor_key()), (VENDOR_KEY_ID_2, vendor_key_2())] {
        let id = KeyId::new(id).expect("a valid key id");
        vendor_keys.insert(id, key.verifying_key().as_bytes()).expect("real keys are accepted");
    }
    VerifyPolicy {
        gatekeeper_id: gatekeeper_id(),
        root: RootPrefix::new("tickets/").expect("a valid root"),
        time: TimePolicy::new(300, 60).expect("valid bounds"),
        vendor_keys,
    }
}

/// [`GATEKEEPER_ID`], checked.
pub fn gatekeeper_id() -> GatekeeperId {
    GatekeeperId::new(GATEKEEPER_ID).expect("a valid gatekeeper id")
}

/// True when `vendor_signature` and `client_signature` are exactly what a configured vendor key
/// (named `vendor_key_id`) and the session key produce for `request`, and the request names the
/// session key: Ed25519 signing is deterministic, so anything else that verified would be a forgery.
pub fn honestly_signed(
    request: &[u8],
    vendor_key_id: &str,
    vendor_signature: &[u8; 64],
    client_signature: &[u8; 64],
) -> bool {
    let vendor = match vendor_key_id {
        VENDOR_KEY_ID => vendor_key(),
        VENDOR_KEY_ID_2 => vendor_key_2(),
        _ => return false,
    };
    let id = KeyId::new(vendor_key_id).expect("a configured id is valid");
    let session = session_key();
    let names_session =
        AccessRequest::decode(request).is_ok_and(|r| r.session_key == session.verifying_key().to_bytes());
    names_session
        && *vendor_signature == sign::vendor_sign(&vendor, &id, request)
        && *client_signature == sign::client_sign(&session, request, &id, vendor_signature)
}

/// The master key of the object vectors (`mk-1`).
pub fn master_key() -> MasterKey {
    MasterKey::from_bytes(KeyId::new("mk-1").expect("a valid key id"), key32(MASTER_KEY))
}

/// The bytes of the object vectors' master key (to check that no answer ever carries them).
pub fn master_key_bytes() -> [u8; 32] {
    key32(MASTER_KEY)
}

/// The per-object keys a reader of `name` holds: `mk-1`'s, and one of another master key. A name
/// that is not a valid object key (which no grant could name) gets the keys of `fuzz/not-a-key`.
pub fn object_keys(name: &str) -> Vec<ObjectKeyMaterial> {
    let key = ObjectKey::parse(name).unwrap_or_else(|_| ObjectKey::parse("fuzz/not-a-key").expect("a valid key"));
    let other = MasterKey::from_bytes(KeyId::new("mk-2").expect("a valid key id"), [0x5e; 32]);
    vec![master_key().object_key(BUCKET, &key), other.object_key(BUCKET, &key)]
}

/// A cursor over fuzzer bytes that never fails: past the end it yields zeros and empty slices.
#[derive(Debug)]
pub struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    /// The next byte, or 0.
    pub fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// The next two bytes as a big-endian number (zeros past the end).
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = tail;
        head
    }

    /// A byte giving a length, then that many bytes (fewer at the end).
    pub fn short(&mut self) -> &'a [u8] {
        let n = usize::from(self.u8());
        self.take(n)
    }

    /// Exactly `N` bytes, zero-padded at the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let got = self.take(N);
        out.get_mut(..got.len()).expect("take returns at most N bytes").copy_from_slice(got);
        out
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }
}
