//! The gatekeeper's configuration: one TOML file, checked completely, turned into [`Settings`].
//!
//! `gatekeeper.example.toml` documents every field and its default. Secrets (the signing seed,
//! master keys, AWS secret key and session token, admin token, PostgreSQL URL) are only ever
//! *references*, `env:NAME` or `file:/path`, resolved by [`crate::secret::resolve`]; a literal
//! secret is refused.
//! Loading never stops at the first problem: [`ConfigErrors`] lists every one with the path of its
//! field (`acl.put.allow_cidrs[2]`), so `gatekeeper check-config` can print them all.
//!
//! This module must never log, print or put into an error message a secret or key material, and
//! never fill in a value it could not read: a configuration with any problem yields no [`Settings`].

mod keys;
mod policy;
mod reader;
mod services;
mod viewer;

use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use s3gk_protocol::object::MasterKey;
use s3gk_protocol::policy::acl::{Acl, Cidr};
use s3gk_protocol::policy::time::{TimePolicy, MAX_LIFETIME_CAP, MAX_SKEW_CAP};
use s3gk_protocol::sign::VerifyPolicy;
use s3gk_protocol::{GatekeeperId, KeyId};
use toml::Table;

use crate::audit::AuditSettings;
use crate::geo::GeoSettings;
use crate::s3::S3Settings;
use crate::secret::Secret;
use crate::viewer::{Identity, Viewer};
use reader::{Problems, Section};

pub use keys::decode_key32;
pub use services::MIN_ADMIN_TOKEN_LEN;

/// The environment secrets are read from (injected so tests need not touch the process's).
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Everything the gatekeeper needs to run, checked. `Debug` prints no secret.
#[derive(Debug)]
pub struct Settings {
    /// This gatekeeper's id, the audience of every request (also in [`VerifyPolicy`]).
    pub gatekeeper_id: String,
    /// Where the HTTP server listens (ignored under Lambda).
    pub listen: SocketAddr,
    /// The receipt-signing key. (`ed25519_dalek`'s `Debug` prints only the public half.)
    pub signing_key: Arc<SigningKey>,
    /// The signing key's id, sent with every receipt.
    pub signing_key_id: KeyId,
    /// Audience, root prefix, time policy and vendor keys.
    pub verify: VerifyPolicy,
    /// The per-operation IP and country rules.
    pub acl: Acl,
    /// Master data keys, at least one, ids distinct. The first encrypts new uploads.
    pub master_keys: Vec<MasterKey>,
    /// The bucket and how to sign for it.
    pub s3: S3Settings,
    /// Proxies whose `X-Forwarded-For` is believed (see [`crate::client_ip`]).
    pub trusted_proxies: Vec<Cidr>,
    /// Browser origins allowed to call the API, in exact `scheme://host[:port]` form.
    pub cors_origins: Vec<String>,
    /// The country database (its path already resolved and present) and special-range mapping.
    pub geo: GeoSettings,
    /// Where the audit log is kept.
    pub audit: AuditSettings,
    /// The bearer token of the admin API; `None`: no admin API.
    pub admin_token: Option<Secret<String>>,
    /// Request size and time limits.
    pub limits: Limits,
    /// The isolated viewer (`[viewer]`), if enabled: its page, policy and files, built at load.
    pub viewer: Option<Arc<Viewer>>,
}

/// Request size and time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body, in bytes (8 KiB..=1 MiB; default 16 KiB).
    pub max_body_bytes: usize,
    /// The largest total of request header bytes (1 KiB..=64 KiB; default 16 KiB).
    pub max_header_bytes: usize,
    /// The most request header lines (32..=1000; default 100).
    pub max_headers: usize,
    /// How long one request may take (100 ms..=120 s; default 10 s). The body of an authorize
    /// request must arrive within half of it.
    pub request_timeout: Duration,
    /// The most objects one prefix grant lists (1..=10000; default 1000).
    pub max_list_objects: usize,
}

/// One problem: the field's dotted path (empty for the whole file) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The field, e.g. `acl.put.allow_cidrs[2]` or `vendor_keys[1].public_key`.
    pub path: String,
    /// What is wrong, short and lower case. Never contains a secret.
    pub message: String,
}

/// Every problem found in a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigErrors {
    problems: Vec<ConfigProblem>,
}

impl ConfigErrors {
    /// The problems, in the order the file was checked.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    fn whole_file(message: String) -> Self {
        Self { problems: vec![ConfigProblem { path: String::new(), message }] }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            let sep = if i == 0 { "" } else { "\n" };
            if p.path.is_empty() {
                write!(f, "{sep}{}", p.message)?;
            } else {
                write!(f, "{sep}{}: {}", p.path, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

const TOP_KEYS: &[&str] = &[
    "gatekeeper_id",
    "listen",
    "signing_key",
    "signing_key_id",
    "time",
    "limits",
    "vendor_keys",
    "master_keys",
    "s3",
    "network",
    "geo",
    "acl",
    "audit",
    "viewer",
];

impl Settings {
    /// Reads and checks the file at `path`, with secrets from the process environment. Relative
    /// paths inside it (audit log, geo database) are taken relative to the file's folder.
    pub fn load(path: &Path) -> Result<Settings, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors::whole_file(format!("cannot read {}: {e}", path.display())))?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty());
        build(&text, &|k| std::env::var(k).ok(), base)
    }

    /// Checks configuration text, with `env` as the environment for `env:` references. Relative
    /// paths are left relative to the working directory.
    pub fn from_toml_str(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigErrors> {
        build(text, env, None)
    }

    /// The gatekeeper's public key, for clients to pin.
    pub fn gatekeeper_public_key(&self) -> [u8; 32] {
        self.signing_key.verifying_key().to_bytes()
    }
}

/// The line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn build(text: &str, env: Env<'_>, base: Option<&Path>) -> Result<Settings, ConfigErrors> {
    // The parser's own Display quotes the offending line, which could hold a pasted secret:
    // report only its message and position.
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|s| line_col(text, s.start))
            .map_or(String::new(), |(l, c)| format!(" at line {l}, column {c}"));
        ConfigErrors::whole_file(format!("not valid TOML{at}: {}", e.message().trim_end()))
    })?;
    let mut p = Problems::default();
    let root = Section::root(&table, TOP_KEYS, &mut p);

    let gatekeeper_id = root.required_str("gatekeeper_id", &mut p).and_then(|f| {
        GatekeeperId::new(f.value).map_err(|_| p.push(&f.path, "expected 1-128 characters of A-Z a-z 0-9 . _ - :")).ok()
    });
    let listen = match root.str("listen", &mut p) {
        None => Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
        Some(f) => f.value.parse().map_err(|_| p.push(&f.path, "expected ip:port, e.g. 127.0.0.1:8080")).ok(),
    };
    let signing = keys::signing_key(&root, env, &mut p);
    let (time, limits, presign_expiry_secs) = time_and_limits(&root, &mut p);
    let vendor_keys = keys::vendor_keys(&root, &mut p);
    let seed = signing.as_ref().map(|(k, _)| zeroize::Zeroizing::new(k.to_bytes()));
    let master_keys = keys::master_keys(&root, env, seed.as_deref(), &mut p);
    let s3 = services::s3(&root, env, presign_expiry_secs, &mut p);
    let (trusted_proxies, cors_origins) = policy::network(&root, &mut p);
    let geo = services::geo(&root, env, base, &mut p);
    let acl = policy::acl(&root, &mut p);
    let (audit, admin_token) = services::audit(&root, env, base, &mut p);
    let public_key = signing.as_ref().map(|(k, _)| B64.encode(k.verifying_key().as_bytes()));
    let identity = match (&gatekeeper_id, &signing, &public_key) {
        (Some(id), Some((_, key_id)), Some(public_key)) => {
            Some(Identity { gatekeeper_id: id.as_str(), key_id: key_id.as_str(), public_key })
        }
        _ => None,
    };
    let viewer = viewer::viewer(&root, s3.as_ref().map(|(s3, _)| s3), base, identity, &mut p);

    let (Some(gatekeeper_id), Some(listen), Some((signing_key, signing_key_id)), Some((s3, root_prefix)), true) =
        (gatekeeper_id, listen, signing, s3, p.is_empty())
    else {
        if p.is_empty() {
            p.push("", "incomplete configuration");
        }
        return Err(p.into_errors());
    };
    let verify = VerifyPolicy { gatekeeper_id: gatekeeper_id.clone(), root: root_prefix, time, vendor_keys };
    Ok(Settings {
        gatekeeper_id: gatekeeper_id.to_string(),
        listen,
        signing_key: Arc::new(signing_key),
        signing_key_id,
        verify,
        acl,
        master_keys,
        s3,
        trusted_proxies,
        cors_origins,
        geo,
        audit,
        admin_token,
        limits,
        viewer,
    })
}

/// `[time]` and `[limits]`; also returns `limits.presign_expiry_secs`.
fn time_and_limits(root: &Section<'_>, p: &mut Problems) -> (TimePolicy, Limits, u64) {
    let empty = Table::new();
    let t = root.section_or_empty("time", &["max_lifetime_secs", "max_skew_secs"], &empty, p);
    let lifetime = t.u64_in("max_lifetime_secs", 300, 1..=MAX_LIFETIME_CAP, p);
    let skew = t.u64_in("max_skew_secs", 60, 0..=MAX_SKEW_CAP, p);
    let time = TimePolicy::new(lifetime, skew).unwrap_or_else(|e| {
        p.push("time", e.to_string());
        TimePolicy::default()
    });
    const LIMIT_KEYS: &[&str] = &[
        "max_body_bytes",
        "max_header_bytes",
        "max_headers",
        "request_timeout_ms",
        "presign_expiry_secs",
        "max_list_objects",
    ];
    let l = root.section_or_empty("limits", LIMIT_KEYS, &empty, p);
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let limits = Limits {
        max_body_bytes: size(l.u64_in("max_body_bytes", 16 * 1024, 8 * 1024..=1024 * 1024, p)),
        max_header_bytes: size(l.u64_in("max_header_bytes", 16 * 1024, 1024..=64 * 1024, p)),
        max_headers: size(l.u64_in("max_headers", 100, 32..=1000, p)),
        request_timeout: Duration::from_millis(l.u64_in("request_timeout_ms", 10_000, 100..=120_000, p)),
        max_list_objects: size(l.u64_in("max_list_objects", 1000, 1..=10_000, p)),
    };
    let presign_expiry_secs = l.u64_in("presign_expiry_secs", 60, 1..=3600, p);
    (time, limits, presign_expiry_secs)
}

#[cfg(test)]
mod tests;
