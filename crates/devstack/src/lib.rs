//! The dev stack: one process, one Tokio runtime, everything on loopback, for the demo and the
//! browser tests.
//!
//! 1. **S3**: [`s3gk_s3_local::LocalS3`] with one bucket, CORS for the page's origins;
//! 2. **the gatekeeper**: the real one, from a TOML configuration checked like a customer's
//!    ([`gatekeeper`]), SQLite audit log, loopback clients placed in the US;
//! 3. **the vendor**: a demo login, the co-signer and the report page ([`s3gk_demo_vendor`]),
//!    which embeds the gatekeeper's isolated viewer (`/v1/viewer/`) when `pkg` holds the web build;
//! 4. **persistence**: everything under one data folder, keys in `keys.json` ([`keys`]);
//! 5. **seeding**: sample tickets uploaded encrypted through the real put flow ([`seed`]).
//!
//! [`DevStack::start`] brings it up, [`DevStack::info`] says where, [`DevStack::shutdown`] stops
//! it. It is for development only: the demo passwords are public, and the vendor proxies the
//! customer's audit log (see [`s3gk_demo_vendor`]). It must never listen on anything but loopback.

#![forbid(unsafe_code)]

mod error;
pub mod gatekeeper;
pub mod keys;
pub mod seed;
mod server;
mod stack;

use std::path::PathBuf;

use serde::Serialize;

pub use error::DevStackError;
pub use s3gk_demo_vendor::users::{DemoUser, DEMO_USERS};
pub use seed::{SeedError, SeedReport};
pub use stack::DevStack;

/// How to start a [`DevStack`].
#[derive(Clone, Debug)]
pub struct DevStackConfig {
    /// The folder holding S3 objects, the audit log and `keys.json` (created if missing).
    pub data_dir: PathBuf,
    /// The vendor and page listen on this port, the gatekeeper on the next, S3 on the one after;
    /// 0: three free ports.
    pub port_base: u16,
    /// More browser origins (exact `http://127.0.0.1:PORT` form) allowed to call the vendor with
    /// credentials, the gatekeeper and S3: a browser test runner's page, for example.
    pub extra_origins: Vec<String>,
    /// The report page's folder, served at `/`.
    pub www: Option<PathBuf>,
    /// The built npm package's folder, served at `/pkg/`.
    pub pkg: Option<PathBuf>,
    /// Make the gatekeeper's ACL deny loopback clients (127.0.0.0/8 and ::1) for every operation,
    /// to show a denial. Seeding still works: it runs before the denying gatekeeper starts.
    pub deny_local: bool,
    /// Upload the sample tickets that are not there yet.
    pub seed: bool,
    /// The country database; `None`: the gatekeeper's default lookup (`$S3GK_GEO_DB`, then the
    /// checkout's `node_modules` copy).
    pub geo_database: Option<PathBuf>,
    /// Vendor renderers for the isolated viewer, `(name, file)`: the vendor serves each at
    /// `/renderers/{name}.js`, and the gatekeeper pins the digest the file has at start (the stack
    /// plays the customer who reviewed it).
    pub renderers: Vec<(String, PathBuf)>,
}

impl DevStackConfig {
    /// Defaults: data in `data_dir`, port base 8080, nothing served but the API, no seeding.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            port_base: 8080,
            extra_origins: Vec::new(),
            www: None,
            pkg: None,
            deny_local: false,
            seed: false,
            geo_database: None,
            renderers: Vec::new(),
        }
    }
}

/// Where everything is, and what a page or script needs that is not secret. Its JSON form is the
/// line `devstack --json` prints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StackInfo {
    /// The report page, `http://127.0.0.1:PORT/`.
    pub page: String,
    /// The vendor's base URL (login, co-signer, audit proxy), no trailing slash.
    pub vendor: String,
    /// The gatekeeper's base URL.
    pub gatekeeper: String,
    /// The gatekeeper's isolated viewer (`…/v1/viewer/`), when the npm package's web build was
    /// given (`pkg`); `None` otherwise.
    pub viewer: Option<String>,
    /// The S3 endpoint (path-style).
    pub s3: String,
    /// The bucket.
    pub bucket: String,
    /// The gatekeeper's id, the audience of every request.
    pub gatekeeper_id: String,
    /// The gatekeeper's receipt-signing key id.
    pub gatekeeper_key_id: String,
    /// The gatekeeper's public key, base64 (what a client pins).
    pub gatekeeper_public_key: String,
    /// The vendor's co-signing key id.
    pub vendor_key_id: String,
    /// The vendor's public key, base64.
    pub vendor_public_key: String,
    /// Whether the gatekeeper denies loopback clients.
    pub deny_local: bool,
    /// The data folder.
    pub data_dir: String,
    /// The demo logins (public demo values).
    pub users: Vec<DemoLogin>,
}

/// A demo login as printed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DemoLogin {
    /// The login name.
    pub username: String,
    /// The demo password.
    pub password: String,
    /// The prefixes the user may read and write.
    pub prefixes: Vec<String>,
}
