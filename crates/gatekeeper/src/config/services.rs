//! The configuration of what the gatekeeper talks to: `[s3]`, `[geo]` and `[audit]` (SQLite, or a
//! shared PostgreSQL database whose URL is a secret reference).
//!
//! Credentials are references resolved through [`crate::secret::resolve`] (the access key id may
//! also be written literally: it is not secret). Paths given relative are taken relative to the
//! configuration file's folder when the file was loaded with [`super::Settings::load`]. Nothing
//! here connects to anything: reachability is checked when the service starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use s3gk_protocol::policy::object_key::RootPrefix;
use toml::Table;
use url::Url;

use super::policy::is_loopback;
use super::reader::{Field, Problems, Section};
use super::Env;
use crate::audit::{AuditSettings, AuditStore, PostgresSettings, PostgresTls};
use crate::geo::GeoSettings;
use crate::postgres::SettingsProblem;
use crate::s3::S3Settings;
use crate::secret::{self, Secret};

/// The shortest admin token accepted.
pub const MIN_ADMIN_TOKEN_LEN: usize = 32;

/// The largest `audit.checkpoint_every`.
const MAX_CHECKPOINT_EVERY: u64 = 1_000_000;
/// The largest `audit.checkpoint_seconds`: an hour. The timer cannot be turned off, so the bound
/// on an unprotected tail always holds.
const MAX_CHECKPOINT_SECONDS: u64 = 3600;

/// `path` joined to `base` if relative and a base is known.
pub(super) fn relative_to(base: Option<&Path>, path: &str) -> PathBuf {
    match base {
        Some(base) if Path::new(path).is_relative() => base.join(path),
        _ => PathBuf::from(path),
    }
}

fn resolve_secret(f: &Field<&str>, env: Env<'_>, p: &mut Problems) -> Option<Secret<String>> {
    let secret = secret::resolve(f.value, env).map_err(|e| p.push(&f.path, e.to_string())).ok()?;
    if secret.expose().is_empty() {
        p.push(&f.path, "the referenced secret is empty");
        return None;
    }
    Some(secret)
}

/// `[s3]`, with the presigned URL lifetime from `[limits]`. Also returns `root_prefix`.
pub(super) fn s3(
    root: &Section<'_>,
    env: Env<'_>,
    presign_expiry_secs: u64,
    p: &mut Problems,
) -> Option<(S3Settings, RootPrefix)> {
    const KEYS: &[&str] = &[
        "endpoint",
        "region",
        "bucket",
        "path_style",
        "root_prefix",
        "access_key_id",
        "secret_access_key",
        "session_token",
    ];
    let Some(s) = root.section("s3", KEYS, p) else {
        if !root.has("s3") {
            p.push("s3", "missing (required)");
        }
        return None;
    };
    let endpoint = s.required_str("endpoint", p).and_then(|f| endpoint(&f, p));
    let region = s
        .required_str("region", p)
        .filter(|f| check(f, valid_region(f.value), "expected an AWS region name like eu-west-1", p));
    let path_style = s.bool("path_style", false, p);
    let bucket =
        s.required_str("bucket", p).filter(|f| check(f, valid_bucket(f.value), "not a valid S3 bucket name", p));
    if let (Some(b), Some(e)) = (&bucket, &endpoint) {
        if !path_style && e.scheme() == "https" && b.value.contains('.') {
            p.push(&b.path, "a bucket name with dots breaks TLS for virtual-hosted URLs: set s3.path_style = true");
        }
    }
    let root_prefix = match s.str("root_prefix", p) {
        None => Some(RootPrefix::default()),
        Some(f) => RootPrefix::new(f.value).map_err(|e| p.push(&f.path, e.to_string())).ok(),
    };
    let access_key_id = s.required_str("access_key_id", p).and_then(|f| access_key_id(&f, env, p));
    let secret_access_key = s.required_str("secret_access_key", p).and_then(|f| resolve_secret(&f, env, p));
    let session_token = match s.str("session_token", p) {
        None => Some(None),
        Some(f) => resolve_secret(&f, env, p).map(Some),
    };
    let settings = S3Settings {
        endpoint: endpoint?,
        region: region?.value.to_owned(),
        bucket: bucket?.value.to_owned(),
        path_style,
        access_key_id: access_key_id?,
        secret_access_key: secret_access_key?,
        session_token: session_token?,
        presign_expiry_secs,
    };
    Some((settings, root_prefix?))
}

/// Reports `message` at `f` unless `ok`; returns `ok`.
fn check(f: &Field<&str>, ok: bool, message: &str, p: &mut Problems) -> bool {
    if !ok {
        p.push(&f.path, message);
    }
    ok
}

/// An `http(s)://host[:port]` URL with nothing else; `http` only for loopback (browsers refuse
/// plain-http fetches from an https page, and presigned URLs must not travel in clear).
fn endpoint(f: &Field<&str>, p: &mut Problems) -> Option<Url> {
    let Ok(url) = Url::parse(f.value) else {
        p.push(&f.path, "not a URL: expected https://host[:port]");
        return None;
    };
    let problem = if !matches!(url.scheme(), "https" | "http") {
        Some("the scheme must be https (or http for a loopback test server)")
    } else if url.scheme() == "http" && !is_loopback(url.host()) {
        Some("http is allowed only for a loopback endpoint; use https")
    } else if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
        Some("expected https://host[:port] with no credentials")
    } else if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        Some("expected https://host[:port] with no path, query or fragment")
    } else {
        None
    };
    match problem {
        Some(why) => {
            p.push(&f.path, why);
            None
        }
        None => Some(url),
    }
}

fn valid_region(r: &str) -> bool {
    (1..=64).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// S3's general-purpose bucket naming rules.
fn valid_bucket(b: &str) -> bool {
    let edge_ok = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&b.len())
        && b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && edge_ok(b.bytes().next())
        && edge_ok(b.bytes().last())
        && !b.contains("..")
        && b.parse::<std::net::Ipv4Addr>().is_err()
}

/// A literal access key id, or a reference to one.
fn access_key_id(f: &Field<&str>, env: Env<'_>, p: &mut Problems) -> Option<String> {
    let value = if f.value.starts_with("env:") || f.value.starts_with("file:") {
        resolve_secret(f, env, p)?.expose().clone()
    } else {
        f.value.to_owned()
    };
    let ok = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
    check(f, ok, "expected 1-128 printable ASCII characters", p).then_some(value)
}

/// `[geo]`. The database path is resolved now (configured, else `$S3GK_GEO_DB`, else the
/// development default) so that `check-config` reports a missing file.
pub(super) fn geo(root: &Section<'_>, env: Env<'_>, base: Option<&Path>, p: &mut Problems) -> GeoSettings {
    let empty = Table::new();
    let s = root.section_or_empty("geo", &["database", "loopback_country", "private_country"], &empty, p);
    let country = |key: &str, p: &mut Problems| {
        s.str(key, p)
            .and_then(|f| f.value.parse().map_err(|e: s3gk_protocol::ConfigError| p.push(&f.path, e.to_string())).ok())
    };
    let mut settings = GeoSettings {
        database: s.str("database", p).map(|f| relative_to(base, f.value)),
        loopback_country: country("loopback_country", p),
        private_country: country("private_country", p),
    };
    match settings.database_path(env) {
        Ok(path) if path.is_file() => settings.database = Some(path),
        Ok(path) => p.push(s.field_path("database"), format!("no such file: {}", path.display())),
        Err(e) => p.push(s.field_path("database"), e.to_string()),
    }
    settings
}

/// `[audit]`, and the optional admin token (no admin API without one).
pub(super) fn audit(
    root: &Section<'_>,
    env: Env<'_>,
    base: Option<&Path>,
    p: &mut Problems,
) -> (AuditSettings, Option<Secret<String>>) {
    const KEYS: &[&str] = &[
        "store",
        "path",
        "checkpoint_every",
        "checkpoint_seconds",
        "max_db_pages",
        "admin_token",
        "postgres_url",
        "postgres_tls",
        "postgres_ca_file",
    ];
    let empty = Table::new();
    let s = root.section_or_empty("audit", KEYS, &empty, p);
    let store = audit_store(&s, env, base, p);
    let path = s.str("path", p).map_or("audit.db", |f| f.value);
    let checkpoint_every =
        s.u64_in("checkpoint_every", AuditSettings::DEFAULT_CHECKPOINT_EVERY, 0..=MAX_CHECKPOINT_EVERY, p);
    let default_seconds = AuditSettings::DEFAULT_CHECKPOINT_INTERVAL.as_secs();
    let checkpoint_interval =
        Duration::from_secs(s.u64_in("checkpoint_seconds", default_seconds, 1..=MAX_CHECKPOINT_SECONDS, p));
    let max_db_pages = s
        .has("max_db_pages")
        .then(|| s.u64_in("max_db_pages", 1, 1..=u64::from(u32::MAX), p))
        .and_then(|pages| u32::try_from(pages).ok());
    let admin_token = s.str("admin_token", p).and_then(|f| {
        let token = resolve_secret(&f, env, p)?;
        let long_enough = token.expose().chars().count() >= MIN_ADMIN_TOKEN_LEN;
        check(&f, long_enough, "the admin token must be at least 32 characters (e.g. 32 random bytes in hex)", p)
            .then_some(token)
    });
    let audit = AuditSettings {
        store,
        checkpoint_every,
        checkpoint_interval,
        max_db_pages,
        ..AuditSettings::new(relative_to(base, path))
    };
    (audit, admin_token)
}

/// `audit.store` and the fields of the store it names; a field of the other store is a problem.
fn audit_store(s: &Section<'_>, env: Env<'_>, base: Option<&Path>, p: &mut Problems) -> AuditStore {
    const SQLITE_ONLY: &[&str] = &["path", "max_db_pages"];
    const POSTGRES_ONLY: &[&str] = &["postgres_url", "postgres_tls", "postgres_ca_file"];
    let postgres = match s.str("store", p) {
        None => false,
        Some(f) if f.value == "sqlite" => false,
        Some(f) if f.value == "postgres" => true,
        Some(f) => {
            p.push(&f.path, "expected \"sqlite\" or \"postgres\"");
            false
        }
    };
    let (misplaced, only) = if postgres { (SQLITE_ONLY, "sqlite") } else { (POSTGRES_ONLY, "postgres") };
    for key in misplaced.iter().filter(|k| s.has(k)) {
        p.push(s.field_path(key), format!("used only with store = \"{only}\""));
    }
    if !postgres {
        return AuditStore::Sqlite;
    }
    let tls = match s.str("postgres_tls", p) {
        None => Some(PostgresTls::Require),
        Some(f) if f.value == "require" => Some(PostgresTls::Require),
        Some(f) if f.value == "disable" => Some(PostgresTls::Disable),
        Some(f) => {
            p.push(&f.path, "expected \"require\" or \"disable\"");
            None
        }
    };
    if !s.has("postgres_url") {
        p.push(s.field_path("postgres_url"), "missing (required with store = \"postgres\")");
    }
    let url = s.str("postgres_url", p).and_then(|f| resolve_secret(&f, env, p));
    let ca_file = s.str("postgres_ca_file", p).map(|f| relative_to(base, f.value));
    let (Some(url), Some(tls)) = (url, tls) else { return AuditStore::Sqlite };
    let settings = PostgresSettings { url, tls, ca_file };
    match settings.check() {
        Ok(()) => AuditStore::Postgres(settings),
        Err(problem) => {
            let key = match problem {
                SettingsProblem::Url(_) => "postgres_url",
                SettingsProblem::Tls(_) => "postgres_tls",
                SettingsProblem::CaFile(_) => "postgres_ca_file",
            };
            p.push(s.field_path(key), problem.to_string());
            AuditStore::Sqlite
        }
    }
}
