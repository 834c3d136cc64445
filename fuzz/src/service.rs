//! The gatekeeper `authorize_http` calls, assembled by `service::start_with_clock` as `gatekeeper
//! serve` does: configured like the signature vectors' policy, its clock standing at their `now`,
//! the sample country database, an audit log in a temporary folder (under `/dev/shm` when there is
//! one), and S3 at a closed loopback port, so presigning works and a listing fails with a code. Dropping it closes the log and
//! removes the folder; the folders of fuzzer processes that ended are removed at the next start.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::clock::Clock;
use s3gk_gatekeeper::config::Settings;
use s3gk_gatekeeper::service;

use crate::{GATEKEEPER_ID, VENDOR_KEY_ID, VENDOR_KEY_ID_2};

/// The signing seed (the bytes of [`crate::gatekeeper_key`]), in hex.
pub const SIGNING_SEED: &str = "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d";
/// The master key `mk-1` (the object vectors'), in hex.
pub const MASTER_KEY: &str = "7807d330349e48cc8be8c8617570ebf4115231be15ae9ba0f437a8ecc6da2c9a";
/// The S3 secret access key.
pub const S3_SECRET: &str = "fuzz-s3-secret-0123456789abcdef";
/// The admin token.
pub const ADMIN_TOKEN: &str = "fuzz-admin-token-0123456789abcdef0123";

/// A clock that stands still at the signature vectors' `now`, so the vectors' requests are
/// current and every run of an input sees the same time.
#[derive(Debug)]
struct FixedClock(SystemTime);

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// A running gatekeeper without sockets, and the runtime its calls run on.
pub struct Service {
    /// The runtime (one thread) the router runs on.
    pub runtime: tokio::runtime::Runtime,
    /// The gatekeeper's state.
    pub gk: Arc<Gatekeeper>,
    dir: PathBuf,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// The configuration: the signature vectors' gatekeeper id, both vendor keys, the object vectors'
/// master key, a root prefix, a trusted proxy network and per-operation rules.
fn config(dir: &Path) -> String {
    let hex = |k: &SigningKey| k.verifying_key().as_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>();
    let geo = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/gatekeeper/tests/data/geolite2-country-sample.mmdb");
    format!(
        r#"gatekeeper_id = "{GATEKEEPER_ID}"
signing_key = "env:GK_SIGNING_KEY"
signing_key_id = "gk-2026-01"
[[vendor_keys]]
id = "{VENDOR_KEY_ID}"
public_key = "{}"
[[vendor_keys]]
id = "{VENDOR_KEY_ID_2}"
public_key = "{}"
[[master_keys]]
id = "mk-1"
key = "env:GK_MASTER_KEY_1"
[s3]
endpoint = "http://127.0.0.1:9"
region = "eu-west-1"
bucket = "acme-support-data"
path_style = true
root_prefix = "tickets/"
access_key_id = "AKIDFUZZ"
secret_access_key = "env:AWS_SECRET_ACCESS_KEY"
[network]
trusted_proxies = ["10.0.0.0/8"]
cors_origins = ["https://helpdesk.vendor.example"]
[geo]
database = "{}"
loopback_country = "NL"
private_country = "NL"
[acl.default]
deny_cidrs = ["198.51.100.128/25"]
allow_countries = "any"
[acl.put]
allow_cidrs = ["127.0.0.0/8", "10.0.0.0/8", "203.0.113.0/24"]
allow_countries = ["NL"]
[audit]
path = "{}"
checkpoint_every = 1000
admin_token = "env:GK_ADMIN_TOKEN"
"#,
        hex(&crate::vendor_key()),
        hex(&crate::vendor_key_2()),
        geo,
        dir.join("audit.db").display(),
    )
}

impl Service {
    /// Builds a gatekeeper with an empty audit log in a new temporary folder.
    pub fn new() -> Self {
        static GENERATION: AtomicU64 = AtomicU64::new(0);
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() { shm.to_owned() } else { std::env::temp_dir() };
        remove_stale(&base);
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("s3gk-fuzz-http-{}-{generation}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let env = |name: &str| match name {
            "GK_SIGNING_KEY" => Some(SIGNING_SEED.to_owned()),
            "GK_MASTER_KEY_1" => Some(MASTER_KEY.to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some(S3_SECRET.to_owned()),
            "GK_ADMIN_TOKEN" => Some(ADMIN_TOKEN.to_owned()),
            _ => None,
        };
        let settings = Settings::from_toml_str(&config(&dir), &env).expect("the fuzz configuration is valid");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let clock = Arc::new(FixedClock(UNIX_EPOCH + Duration::from_secs(crate::VECTOR_NOW)));
        let gk = runtime.block_on(service::start_with_clock(settings, clock)).expect("the gatekeeper starts");
        Self { runtime, gk, dir }
    }
}

/// Removes the folders of fuzzer processes that have ended: libFuzzer exits without dropping the
/// last [`Service`].
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("s3gk-fuzz-http-").and_then(|rest| rest.split('-').next()) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Default for Service {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let audit = self.gk.audit.clone();
        self.runtime.block_on(audit.close());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
