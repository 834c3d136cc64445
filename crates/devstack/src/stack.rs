//! Starting and stopping the whole stack, in dependency order: bind the vendor's and the
//! gatekeeper's loopback ports (so every origin is known), start S3, seed if asked, start the
//! gatekeeper, then the vendor.
//!
//! This module must never bind anything but 127.0.0.1, and never leave the audit log without its
//! final checkpoint on an orderly shutdown.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::service;
use s3gk_gatekeeper::viewer::{Integrity, CLIENT_MODULE};
use s3gk_protocol::{GatekeeperId, KeyId};
use s3gk_s3_local::{LocalS3, LocalS3Config};
use tokio::net::TcpListener;

use crate::error::DevStackError;
use crate::gatekeeper::{self as gk_config, Plan, ViewerPlan, BUCKET, GATEKEEPER_ID, GATEKEEPER_KEY_ID, VENDOR_KEY_ID};
use crate::keys::DevKeys;
use crate::seed::{SeedError, SeedReport, Seeder};
use crate::server::Server;
use crate::{DemoLogin, DevStackConfig, StackInfo, DEMO_USERS};
use s3_gatekeeper_client::handshake::PinnedKey;
use s3gk_demo_vendor::{self as vendor, PagePolicy, Site, VendorState, MAX_LIFETIME_SECS};

/// A running dev stack.
pub struct DevStack {
    info: StackInfo,
    vendor_key: SigningKey,
    s3: LocalS3,
    gk: Arc<Gatekeeper>,
    gatekeeper: Server,
    vendor: Server,
    seeded: Option<SeedReport>,
}

impl fmt::Debug for DevStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevStack").field("info", &self.info).finish_non_exhaustive()
    }
}

async fn bind(port: u16, what: &str) -> Result<TcpListener, DevStackError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr).await.map_err(|e| DevStackError::Io(format!("{what}: bind {addr}"), e))
}

/// An origin exactly as a browser sends it, on loopback: `http://127.0.0.1:PORT`,
/// `http://localhost:PORT` or `http://[::1]:PORT` (https too).
fn check_origin(origin: &str) -> Result<(), DevStackError> {
    let bad =
        || DevStackError::Option(format!("origin {origin:?}: expected e.g. http://127.0.0.1:8123 (exact, loopback)"));
    let url = url::Url::parse(origin).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let exact = url.origin().ascii_serialization() == origin && matches!(url.scheme(), "http" | "https");
    if loopback && exact {
        Ok(())
    } else {
        Err(bad())
    }
}

impl DevStack {
    /// Starts everything; see the crate documentation.
    pub async fn start(config: DevStackConfig) -> Result<DevStack, DevStackError> {
        for origin in &config.extra_origins {
            check_origin(origin)?;
        }
        let [vendor_port, gatekeeper_port, s3_port] = ports(config.port_base)?;
        let data_dir = data_dir(&config.data_dir)?;
        let (keys, _created) = DevKeys::load_or_create(&data_dir).map_err(DevStackError::Keys)?;
        let vendor_key = SigningKey::from_bytes(&keys.vendor_seed);

        let vendor_listener = bind(vendor_port, "vendor").await?;
        let vendor_addr = local_addr(&vendor_listener)?;
        let gatekeeper_listener = bind(gatekeeper_port, "gatekeeper").await?;
        let gatekeeper_addr = local_addr(&gatekeeper_listener)?;
        let page_port = vendor_addr.port();
        let mut page_origins = vec![format!("http://127.0.0.1:{page_port}"), format!("http://localhost:{page_port}")];
        for origin in &config.extra_origins {
            if !page_origins.contains(origin) {
                page_origins.push(origin.clone());
            }
        }

        let viewer = viewer_plan(&config, page_port)?;
        let mut s3_config = LocalS3Config::loopback(data_dir.join("s3"));
        s3_config.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, s3_port));
        s3_config.buckets = vec![BUCKET.to_owned()];
        s3_config.cors_origins = page_origins.clone();
        let gatekeeper_origin = format!("http://{gatekeeper_addr}");
        if viewer.is_some() {
            // The viewer fetches objects from the gatekeeper's origin.
            s3_config.cors_origins.push(gatekeeper_origin.clone());
        }
        let s3 = LocalS3::start(s3_config).await.map_err(|e| DevStackError::Io("s3".into(), e))?;

        let audit_path = data_dir.join("audit.db");
        let plan = |listen, deny_local| Plan {
            keys: &keys,
            vendor_public_key: vendor_key.verifying_key().to_bytes(),
            s3: &s3,
            listen,
            cors_origins: &page_origins,
            audit_path: &audit_path,
            geo_database: config.geo_database.as_deref(),
            deny_local,
            viewer: viewer.as_ref(),
        };
        let mut seeded = None;
        if config.seed && config.deny_local {
            // A gatekeeper that denies loopback would refuse the seeder too: seed through one that
            // does not, on the same audit log, then start the denying one.
            let listener = bind(0, "seeding gatekeeper").await?;
            let listen = local_addr(&listener)?;
            let (gk, server) = start_gatekeeper(&plan(listen, false), listener).await?;
            let report = seed_with(&gk, &server, &vendor_key).await;
            stop_gatekeeper(&gk, server).await;
            seeded = Some(report.map_err(DevStackError::Seed)?);
        }
        let (gk, gatekeeper) = start_gatekeeper(&plan(gatekeeper_addr, config.deny_local), gatekeeper_listener).await?;
        if config.seed && !config.deny_local {
            match seed_with(&gk, &gatekeeper, &vendor_key).await {
                Ok(report) => seeded = Some(report),
                Err(e) => {
                    stop_gatekeeper(&gk, gatekeeper).await;
                    s3.shutdown().await;
                    return Err(DevStackError::Seed(e));
                }
            }
        }

        let vendor_url = format!("http://{vendor_addr}");
        let info = StackInfo {
            page: format!("{vendor_url}/"),
            vendor: vendor_url,
            gatekeeper: gatekeeper.url().to_owned(),
            viewer: viewer.as_ref().map(|_| format!("{}/v1/viewer/", gatekeeper.url())),
            s3: s3.endpoint().to_owned(),
            bucket: BUCKET.to_owned(),
            gatekeeper_id: GATEKEEPER_ID.to_owned(),
            gatekeeper_key_id: GATEKEEPER_KEY_ID.to_owned(),
            gatekeeper_public_key: B64.encode(gk.settings.gatekeeper_public_key()),
            vendor_key_id: VENDOR_KEY_ID.to_owned(),
            vendor_public_key: B64.encode(vendor_key.verifying_key().as_bytes()),
            deny_local: config.deny_local,
            data_dir: data_dir.display().to_string(),
            users: DEMO_USERS
                .iter()
                .map(|u| DemoLogin {
                    username: u.username.to_owned(),
                    password: u.password.to_owned(),
                    prefixes: u.prefixes.iter().map(|p| (*p).to_owned()).collect(),
                })
                .collect(),
        };
        let state = VendorState {
            sessions: vendor::session::Sessions::default(),
            signer: vendor_key.clone(),
            signer_key_id: KeyId::new(VENDOR_KEY_ID).map_err(|e| DevStackError::Option(e.to_string()))?,
            gatekeeper_id: GatekeeperId::new(GATEKEEPER_ID).map_err(|e| DevStackError::Option(e.to_string()))?,
            gatekeeper_url: info.gatekeeper.clone(),
            admin_token: keys.admin_token.clone(),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| DevStackError::Io("http client".into(), std::io::Error::other(e)))?,
            post_origins: page_origins.clone(),
            page_config: page_config(&info, GATEKEEPER_KEY_ID, &vendor_key.verifying_key().to_bytes()),
            // The page talks to this gatekeeper and fetches from this S3 (its presigned URLs'
            // endpoint), and to nothing else.
            page_policy: PagePolicy::new(&info.gatekeeper, &info.s3, info.viewer.as_deref())
                .map_err(|e| DevStackError::Option(format!("page policy: {e}")))?,
        };
        let site = Site {
            www: config.www.clone(),
            pkg: config.pkg.clone(),
            cors_origins: config.extra_origins.clone(),
            renderers: config.renderers.clone(),
            viewer_origin: Some(gatekeeper_origin),
        };
        let vendor = Server::spawn(vendor_listener, vendor::app(Arc::new(state), &site))
            .map_err(|e| DevStackError::Io("vendor".into(), e))?;
        Ok(DevStack { info, vendor_key, s3, gk, gatekeeper, vendor, seeded })
    }

    /// Where everything is.
    pub fn info(&self) -> &StackInfo {
        &self.info
    }

    /// What seeding at start did, if it was asked for.
    pub fn seeded(&self) -> Option<&SeedReport> {
        self.seeded.as_ref()
    }

    /// Seeds now (idempotent: objects already there are skipped). Fails under `deny_local`, whose
    /// gatekeeper refuses the local seeder like any loopback client.
    pub async fn seed(&self) -> Result<SeedReport, SeedError> {
        seed_with(&self.gk, &self.gatekeeper, &self.vendor_key).await
    }

    /// Stops the vendor and the gatekeeper (open requests finish), checkpoints and closes the
    /// audit log, then stops S3.
    pub async fn shutdown(self) {
        self.vendor.stop().await;
        stop_gatekeeper(&self.gk, self.gatekeeper).await;
        self.s3.shutdown().await;
    }
}

/// The isolated viewer's `[viewer]` plan, when `pkg` holds the npm package's web build: embedded
/// by this stack's page, and each `--renderer` pinned at the digest its file has now.
fn viewer_plan(config: &DevStackConfig, page_port: u16) -> Result<Option<ViewerPlan>, DevStackError> {
    let client_dir = config.pkg.as_ref().map(|pkg| pkg.join("web")).filter(|dir| dir.join(CLIENT_MODULE).is_file());
    let Some(client_dir) = client_dir else {
        if let Some((name, _)) = config.renderers.first() {
            return Err(DevStackError::Option(format!("renderer {name}: the viewer needs --pkg with the web build")));
        }
        return Ok(None);
    };
    let client_dir = client_dir.canonicalize().map_err(|e| DevStackError::Io("viewer client folder".into(), e))?;
    let mut renderers = Vec::new();
    for (name, file) in &config.renderers {
        let bytes = std::fs::read(file).map_err(|e| DevStackError::Io(format!("renderer {name}"), e))?;
        let url = format!("http://127.0.0.1:{page_port}/renderers/{name}.js");
        renderers.push((name.clone(), url, Integrity::of(&bytes).to_string()));
    }
    let vendor_origins = vec![format!("http://127.0.0.1:{page_port}"), format!("http://localhost:{page_port}")];
    Ok(Some(ViewerPlan { vendor_origins, client_dir, renderers }))
}

/// The three ports for a base (0: three free ports).
fn ports(base: u16) -> Result<[u16; 3], DevStackError> {
    if base == 0 {
        return Ok([0; 3]);
    }
    match base.checked_add(2) {
        Some(_) => Ok([base, base.saturating_add(1), base.saturating_add(2)]),
        None => Err(DevStackError::Option(format!("port base {base}: the stack needs three ports from it"))),
    }
}

/// Creates the data folder (owner-only on Unix) and returns its absolute path.
fn data_dir(dir: &Path) -> Result<PathBuf, DevStackError> {
    let io = |e| DevStackError::Io(format!("data folder {}", dir.display()), e);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io)?;
    dir.canonicalize().map_err(io)
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, DevStackError> {
    listener.local_addr().map_err(|e| DevStackError::Io("local address".into(), e))
}

async fn start_gatekeeper(plan: &Plan<'_>, listener: TcpListener) -> Result<(Arc<Gatekeeper>, Server), DevStackError> {
    let settings = gk_config::settings(plan).map_err(DevStackError::Config)?;
    let gk = service::start(settings).await.map_err(DevStackError::Gatekeeper)?;
    let server =
        Server::spawn_gatekeeper(listener, gk.clone()).map_err(|e| DevStackError::Io("gatekeeper".into(), e))?;
    Ok((gk, server))
}

async fn stop_gatekeeper(gk: &Gatekeeper, server: Server) {
    server.stop().await;
    if let Err(e) = gk.audit.checkpoint().await {
        tracing::error!(code = e.code(), "final audit checkpoint failed");
    }
    gk.audit.close().await;
}

async fn seed_with(gk: &Gatekeeper, server: &Server, vendor_key: &SigningKey) -> Result<SeedReport, SeedError> {
    // Pinned from the stack's own configuration, as a client's configuration would pin it.
    let pinned = PinnedKey {
        key: gk.settings.signing_key.verifying_key().to_bytes(),
        key_id: gk.settings.signing_key_id.clone(),
    };
    Seeder { gk, gatekeeper_url: server.url(), pinned, vendor_key }.run().await
}

/// The page's configuration, as the demo vendor's `GET /api/config` answers it: in embedded mode
/// the page's pinned gatekeeper key comes from the vendor's origin (`docs/vendor-demo.md`); in
/// isolated mode the viewer at `viewer_url` pins the gatekeeper's own.
fn page_config(info: &StackInfo, gatekeeper_key_id: &str, vendor_public_key: &[u8; 32]) -> serde_json::Value {
    use base64::Engine as _;
    serde_json::json!({
        "gatekeeper_url": info.gatekeeper,
        "gatekeeper_id": info.gatekeeper_id,
        "gatekeeper_key_id": gatekeeper_key_id,
        "gatekeeper_public_key": info.gatekeeper_public_key,
        "cosign_url": format!("{}/api/cosign", info.vendor),
        "viewer_url": info.viewer,
        "vendor_key_id": info.vendor_key_id,
        "vendor_public_key": base64::engine::general_purpose::STANDARD.encode(vendor_public_key),
        "bucket": info.bucket,
        "root_prefix": crate::gatekeeper::ROOT_PREFIX,
        "max_lifetime_secs": MAX_LIFETIME_SECS,
    })
}
