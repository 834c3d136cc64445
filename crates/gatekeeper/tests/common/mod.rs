//! A real stack for the integration tests: an S3-compatible server that checks SigV4 (s3s-fs) and
//! the gatekeeper, both served over HTTP on loopback, plus a client that signs like a browser would.
//! `postgres`: a real PostgreSQL server for stacks whose audit log and replay cache live there.
#![allow(dead_code, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

pub mod postgres;
pub mod viewer;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde_json::Value;

use s3_gatekeeper_client::handshake::{authorize_body, Prepared};
use s3_gatekeeper_client::native::cosign_locally;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::config::Settings;
use s3gk_gatekeeper::{http, service};
use s3gk_protocol::{AccessRequest, KeyId, Operation};
use s3gk_s3_local::{LocalS3, LocalS3Config};

pub const BUCKET: &str = "reports";
pub const GATEKEEPER_ID: &str = "test-gk";
pub const VENDOR_KEY_ID: &str = "vendor-1";
pub const ADMIN_TOKEN: &str = "admin-token-for-integration-tests-0123456789";
pub const ORIGIN: &str = "http://localhost:8000";

/// What differs between test stacks.
pub struct Options {
    /// ACL tables, appended to the config as TOML.
    pub acl: String,
    /// TOML array of trusted proxy CIDRs.
    pub trusted_proxies: &'static str,
    /// `[audit] max_db_pages`, to make the audit database fill up for real.
    pub max_db_pages: Option<u32>,
    /// `[limits] max_list_objects`.
    pub max_list_objects: usize,
    /// Reuse this folder (to restart a gatekeeper on the same audit log).
    pub dir: Option<Arc<tempfile::TempDir>>,
    /// Keep the audit log and the replay cache in the PostgreSQL database at this URL
    /// (`[audit] store = "postgres"`, TLS off: loopback) instead of SQLite and memory.
    pub postgres: Option<String>,
    /// `[limits] request_timeout_ms`.
    pub request_timeout_ms: u64,
    /// Configure `[audit] admin_token` (without it the admin API answers 403 `admin_disabled`).
    pub admin_token: bool,
    /// The service's clock (the system clock if None).
    pub clock: Option<Arc<dyn s3gk_gatekeeper::clock::Clock>>,
    /// A `[viewer]` section, appended to the config as TOML.
    pub viewer: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            acl: String::new(),
            trusted_proxies: "[]",
            max_db_pages: None,
            max_list_objects: 1000,
            dir: None,
            postgres: None,
            request_timeout_ms: 10_000,
            admin_token: true,
            clock: None,
            viewer: String::new(),
        }
    }
}

pub struct Stack {
    pub s3: LocalS3,
    pub gk: Arc<Gatekeeper>,
    pub base: String,
    pub dir: Arc<tempfile::TempDir>,
    pub vendor: SigningKey,
    pub gatekeeper_key: SigningKey,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How the gatekeeper reaches its S3 server.
pub struct S3Endpoint {
    pub url: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl S3Endpoint {
    /// An endpoint at `url` with made-up credentials: enough to presign, and to fail listing.
    pub fn unchecked(url: &str) -> Self {
        let text = |s: &str| s.to_owned();
        Self { url: text(url), region: text("us-east-1"), access_key: text("AKIDTEST"), secret_key: text("secret") }
    }
}

/// A gatekeeper (its state only, no HTTP server) with the test configuration, its audit log in
/// `dir`, its bucket at `s3`.
pub async fn gatekeeper(opts: &Options, dir: &tempfile::TempDir, s3: &S3Endpoint) -> Arc<Gatekeeper> {
    let store = match &opts.postgres {
        Some(_) => "store = \"postgres\"\npostgres_url = \"env:GK_PG_URL\"\npostgres_tls = \"disable\"".to_owned(),
        None => {
            let max_pages = opts.max_db_pages.map(|p| format!("max_db_pages = {p}")).unwrap_or_default();
            format!("path = \"{}\"\n{max_pages}", dir.path().join("audit.db").display())
        }
    };
    let toml = format!(
        r#"
gatekeeper_id = "{GATEKEEPER_ID}"
listen = "127.0.0.1:0"
signing_key = "env:GK_SIGNING_KEY"
signing_key_id = "gk-test-1"

[limits]
max_list_objects = {max_list}
max_body_bytes = 16384
max_header_bytes = 4096
request_timeout_ms = {timeout}

[[vendor_keys]]
id = "{VENDOR_KEY_ID}"
public_key = "{vendor_pub}"

[[master_keys]]
id = "mk-2"
key = "env:GK_MASTER_KEY_2"

[[master_keys]]
id = "mk-1"
key = "env:GK_MASTER_KEY_1"

[s3]
endpoint = "{endpoint}"
region = "{region}"
bucket = "{BUCKET}"
path_style = true
root_prefix = "tickets/"
access_key_id = "{access_key}"
secret_access_key = "env:S3_SECRET"

[network]
trusted_proxies = {trusted}
cors_origins = ["{ORIGIN}"]

[geo]
loopback_country = "US"

[audit]
{admin_token}
checkpoint_every = 10
{store}

{acl}

{viewer}
"#,
        max_list = opts.max_list_objects,
        timeout = opts.request_timeout_ms,
        admin_token = if opts.admin_token { "admin_token = \"env:GK_ADMIN_TOKEN\"" } else { "" },
        vendor_pub = hex::encode(SigningKey::from_bytes(&seed(1)).verifying_key().as_bytes()),
        endpoint = s3.url,
        region = s3.region,
        access_key = s3.access_key,
        trusted = opts.trusted_proxies,
        acl = opts.acl,
        viewer = opts.viewer,
    );
    let secret_key = s3.secret_key.clone();
    let pg_url = opts.postgres.clone();
    let env = move |name: &str| match name {
        "GK_PG_URL" => pg_url.clone(),
        "GK_SIGNING_KEY" => Some(hex::encode(seed(2))),
        "GK_MASTER_KEY_1" => Some(hex::encode(seed(3))),
        "GK_MASTER_KEY_2" => Some(hex::encode(seed(4))),
        "S3_SECRET" => Some(secret_key.clone()),
        "GK_ADMIN_TOKEN" => Some(ADMIN_TOKEN.to_owned()),
        "S3GK_GEO_DB" => std::env::var("S3GK_GEO_DB").ok(),
        _ => None,
    };
    let settings = Settings::from_toml_str(&toml, &env).unwrap_or_else(|e| panic!("test config: {e}"));
    let clock = opts.clock.clone().unwrap_or_else(|| Arc::new(s3gk_gatekeeper::clock::SystemClock));
    service::start_with_clock(settings, clock).await.unwrap_or_else(|e| panic!("start: {e}"))
}

pub fn seed(n: u8) -> [u8; 32] {
    [n; 32]
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

impl Stack {
    pub async fn start(opts: Options) -> Stack {
        let dir = opts.dir.clone().unwrap_or_else(|| Arc::new(tempfile::tempdir().unwrap()));
        let mut s3_config = LocalS3Config::loopback(dir.path().join("s3"));
        s3_config.buckets = vec![BUCKET.to_owned()];
        s3_config.cors_origins = vec![ORIGIN.to_owned()];
        let s3 = LocalS3::start(s3_config).await.unwrap();
        let endpoint = S3Endpoint {
            url: s3.endpoint().to_string(),
            region: s3.region().to_owned(),
            access_key: s3.access_key().to_owned(),
            secret_key: s3.secret_key().to_owned(),
        };
        let gk = gatekeeper(&opts, &dir, &endpoint).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(http::serve_gatekeeper(listener, gk.clone(), async move {
            let _ = stopped.await;
        }));
        let (vendor, gatekeeper_key) = (SigningKey::from_bytes(&seed(1)), SigningKey::from_bytes(&seed(2)));
        Stack { s3, gk, base, dir, vendor, gatekeeper_key, stop: Some(stop), server: Some(server) }
    }

    /// Stops the gatekeeper and the S3 server (the folder stays while `dir` is held).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        // As `gatekeeper serve` does on shutdown.
        let _ = self.gk.audit.checkpoint().await;
        self.gk.audit.close().await;
        self.s3.shutdown().await;
    }

    /// A browser-like client with a fresh session key, connecting from `local` (127.0.0.1 if None).
    pub fn client(&self, local: Option<IpAddr>) -> Client {
        let mut builder = reqwest::Client::builder().no_proxy();
        if let Some(ip) = local {
            builder = builder.local_address(ip);
        }
        Client {
            http: builder.build().unwrap(),
            base: self.base.clone(),
            vendor: self.vendor.clone(),
            session: SigningKey::from_bytes(&rand_seed()),
        }
    }

    pub fn audit_db(&self) -> std::path::PathBuf {
        self.dir.path().join("audit.db")
    }
}

fn rand_seed() -> [u8; 32] {
    use rand_core::RngCore;
    let mut s = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut s);
    s
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub vendor: SigningKey,
    pub session: SigningKey,
}

impl Client {
    /// A client that only builds and signs requests (for tests that call the router directly).
    pub fn signer() -> Client {
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: String::new(),
            vendor: SigningKey::from_bytes(&seed(1)),
            session: SigningKey::from_bytes(&rand_seed()),
        }
    }

    /// A fresh request for `operation` on `key`, valid for 60 s from now.
    pub fn request(&self, operation: Operation, key: &str) -> AccessRequest {
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&rand_seed()[..16]);
        AccessRequest {
            gatekeeper_id: GATEKEEPER_ID.into(),
            operation,
            key: key.into(),
            issued_at: now(),
            expires_at: now() + 60,
            nonce,
            session_key: self.session.verifying_key().to_bytes(),
        }
    }

    /// The JSON body for `req`, signed by the vendor and this client's session key.
    pub fn signed(&self, req: &AccessRequest) -> Value {
        // The client core builds the body, exactly as the browser client does.
        let prepared = Prepared::encode(req.clone()).unwrap();
        let vendor = cosign_locally(&self.vendor, &KeyId::new(VENDOR_KEY_ID).unwrap(), &prepared.bytes);
        serde_json::to_value(authorize_body(&prepared, &vendor, &self.session).unwrap()).unwrap()
    }

    /// POSTs a body to /v1/authorize with extra headers; returns the status and JSON.
    pub async fn post(&self, body: &Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/v1/authorize", self.base)).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Signs and sends `req`.
    pub async fn authorize(&self, req: &AccessRequest) -> (u16, Value) {
        self.post(&self.signed(req), &[]).await
    }
}

/// The error code of an error answer.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// Per-object keys from an object grant.
pub fn key_material(object: &Value) -> Vec<s3gk_protocol::object::ObjectKeyMaterial> {
    object["key_material"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let id = KeyId::new(m["master_key_id"].as_str().unwrap()).unwrap();
            let key: [u8; 32] = B64.decode(m["key"].as_str().unwrap()).unwrap().try_into().unwrap();
            s3gk_protocol::object::ObjectKeyMaterial::from_bytes(id, key)
        })
        .collect()
}

/// Uploads `plain` to `key` through the real put flow from `client`; returns the ciphertext.
/// The key id of new uploads is known in advance (the first master key, `mk-2`), so the length can
/// be bound before the gatekeeper releases the write key: bind the length, encrypt, upload.
pub async fn put_encrypted(client: &Client, key: &str, plain: &[u8]) -> Vec<u8> {
    use s3gk_protocol::object::{self, ciphertext_len, DEFAULT_CHUNK_SIZE};
    let len = ciphertext_len(plain.len() as u64, DEFAULT_CHUNK_SIZE, &KeyId::new("mk-2").unwrap()).unwrap();
    let put = Operation::Put { content_length: len, sha256: None, content_type: None };
    let (status, grant) = client.authorize(&client.request(put, key)).await;
    assert_eq!(status, 200, "{grant}");
    let object = &grant["objects"][0];
    assert_eq!(object["method"], "PUT");
    assert!(object.get("key_material").is_none(), "a put gets no per-object key: {object}");
    assert_eq!(object["write_key"]["master_key_id"], "mk-2", "a put gets the current master key's write key");
    let ciphertext = object::encrypt(write_key(object), DEFAULT_CHUNK_SIZE, plain).unwrap();
    assert_eq!(ciphertext.len() as u64, len);
    assert_eq!(send_presigned(&client.http, object, ciphertext.clone()).await, 200);
    ciphertext
}

/// The write key a put grant released (`write_key`: master key id, salt and PRK).
pub fn write_key(object: &Value) -> s3gk_protocol::object::WriteKey {
    let w = &object["write_key"];
    let id = KeyId::new(w["master_key_id"].as_str().unwrap()).unwrap();
    let bytes = |name: &str| -> [u8; 32] { B64.decode(w[name].as_str().unwrap()).unwrap().try_into().unwrap() };
    s3gk_protocol::object::WriteKey::from_bytes(id, bytes("salt"), bytes("key"))
}

/// Sends the presigned request of an object grant with `body`; returns the status.
pub async fn send_presigned(http: &reqwest::Client, object: &Value, body: Vec<u8>) -> u16 {
    let method = object["method"].as_str().unwrap();
    let url = object["url"].as_str().unwrap();
    let mut req = match method {
        "PUT" => http.put(url).body(body),
        _ => http.get(url),
    };
    for pair in object["headers"].as_array().unwrap() {
        let name = pair[0].as_str().unwrap();
        if name.eq_ignore_ascii_case("content-length") {
            continue; // reqwest sets it from the body
        }
        req = req.header(name, pair[1].as_str().unwrap());
    }
    req.send().await.unwrap().status().as_u16()
}

pub fn socket(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 0)
}
