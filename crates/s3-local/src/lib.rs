//! An S3-compatible server that runs in-process, for tests and the demo.
//!
//! [`LocalS3::start`] serves `s3s` (request parsing and SigV4 checks) over `s3s-fs` (buckets are
//! directories under a root, objects are files) on a loopback port, wrapped in an exact-origin CORS
//! layer. Requests are authenticated like Amazon S3 authenticates them — one access key and secret;
//! header-signed and presigned SigV4; tampered, wrong-key and expired URLs get `403`; an `x-amz-*`
//! header the signature does not cover gets `403 AccessDenied` with `HeadersNotSigned`, before
//! anything is stored (see `signed_headers`) — and PutObject follows S3's documented semantics for
//! `If-None-Match: *` and signed payload hashes (see `store`).
//!
//! A signature for another region than the configured one is refused with `400`, as S3 does (see
//! `access`). Differences from Amazon S3 that a test could notice: `x-amz-server-side-encryption` is
//! parsed but neither stored nor echoed (data at rest is whatever the file system gives); there are
//! no bucket policies; multipart uploads and CopyObject do not get PutObject's conditional-write lock;
//! a wrong `x-amz-checksum-*` gets `400 BadDigest` only after `s3s-fs` has stored the object (a wrong
//! `x-amz-content-sha256` is caught before anything is stored — presigned PUTs should sign both).
//!
//! Some keys Amazon S3 stores cannot be files in a directory tree (see `keys`); writing one gets a
//! `400` where S3 would answer `200`, and reading or deleting one finds no object (`404 NoSuchKey`,
//! `204`), never a `5xx`: a key with an empty, `.` or `..` segment, a leading or trailing `/`, or a
//! NUL byte (`400 InvalidArgument`); a segment over 255 bytes, or a key too long for `s3s-fs`'s
//! metadata file name — over 161 bytes in a bucket named `reports`, where S3 allows 1024
//! (`400 KeyTooLongError`); a key below an existing object (`a.png/child.bin`) or naming the folder
//! of existing keys (`a` when `a/b` exists) (`400 InvalidArgument`).
//!
//! It must never accept an unsigned or wrongly signed request, and never be exposed beyond the
//! machine it runs on: it is a test double, not a storage service.

#![forbid(unsafe_code)]

mod access;
mod cors;
mod keys;
mod signed_headers;
mod store;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer;
use tower_http::cors::Cors;

use crate::signed_headers::RequireSignedHeaders;

/// How long [`LocalS3::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The access key [`LocalS3Config::loopback`] uses. Not a secret: for tests and the demo only.
pub const TEST_ACCESS_KEY: &str = "AKIAS3LOCALTEST";
/// The secret key [`LocalS3Config::loopback`] uses. Not a secret: for tests and the demo only.
pub const TEST_SECRET_KEY: &str = "s3-local-test-secret-key-not-for-production";

/// How to start a [`LocalS3`].
#[derive(Clone, Debug)]
pub struct LocalS3Config {
    /// The directory holding the buckets (created if missing).
    pub root: PathBuf,
    /// Where to listen; `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The only access key id accepted.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// The region clients must sign for; a signature for any other region gets `400`.
    pub region: String,
    /// Origins a browser may fetch and upload from, compared exactly (`https://app.example`).
    pub cors_origins: Vec<String>,
    /// Buckets to create at start (each a directory under `root`).
    pub buckets: Vec<String>,
}

impl LocalS3Config {
    /// A loopback server on a free port with the test credentials, region `us-east-1`, no CORS
    /// origins and no buckets.
    pub fn loopback(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            access_key: TEST_ACCESS_KEY.to_owned(),
            secret_key: TEST_SECRET_KEY.to_owned(),
            region: "us-east-1".to_owned(),
            cors_origins: Vec::new(),
            buckets: Vec::new(),
        }
    }
}

/// A running server. Dropping it stops accepting connections; [`LocalS3::shutdown`] also waits.
#[derive(Debug)]
pub struct LocalS3 {
    addr: SocketAddr,
    endpoint: String,
    root: PathBuf,
    access_key: String,
    secret_key: String,
    region: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl LocalS3 {
    /// Creates the root and buckets, binds, and serves in a background task of the current Tokio runtime.
    pub async fn start(config: LocalS3Config) -> io::Result<Self> {
        std::fs::create_dir_all(&config.root)?;
        for bucket in &config.buckets {
            create_bucket_dir(&config.root, bucket)?;
        }
        let root = config.root.canonicalize()?;
        let fs = s3s_fs::FileSystem::new(&root).map_err(|e| io::Error::other(format!("s3s-fs: {e:?}")))?;
        let mut builder = S3ServiceBuilder::new(store::Store::new(fs, root));
        builder.set_auth(SimpleAuth::from_single(config.access_key.clone(), config.secret_key.clone()));
        builder.set_access(access::RegionCheck { region: config.region.clone() });
        let service = cors::layer(&config.cors_origins)?.layer(RequireSignedHeaders::new(builder.build()));

        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, service, stopped));
        Ok(Self {
            addr,
            endpoint: format!("http://{addr}"),
            root: config.root,
            access_key: config.access_key,
            secret_key: config.secret_key,
            region: config.region,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The endpoint clients use, `http://127.0.0.1:PORT` (path-style: `endpoint/bucket/key`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The directory holding the buckets.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The access key id accepted.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key accepted.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The region clients should sign for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Creates a bucket (a directory under the root); succeeds if it exists already.
    pub fn create_bucket(&self, name: &str) -> io::Result<()> {
        create_bucket_dir(&self.root, name)
    }

    /// Stops accepting connections and waits (a few seconds at most) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Checks `name` against S3's bucket naming rules (so it is also a safe directory name) and creates it.
fn create_bucket_dir(root: &Path, name: &str) -> io::Result<()> {
    let bytes = name.as_bytes();
    let edges_ok = matches!((bytes.first(), bytes.last()), (Some(a), Some(z)) if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    let valid = (3..=63).contains(&bytes.len())
        && edges_ok
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && !name.contains("..");
    if !valid {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid bucket name {name:?}")));
    }
    std::fs::create_dir_all(root.join(name))
}

/// Accepts connections until `stop` fires (or its sender is dropped), then drains them.
async fn serve(listener: TcpListener, service: Cors<RequireSignedHeaders<S3Service>>, mut stop: oneshot::Receiver<()>) {
    let http = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    // Small responses go out at once instead of waiting for Nagle's timer (about
                    // 40 ms per small GET on loopback otherwise).
                    let _ = socket.set_nodelay(true);
                    socket
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            _ = &mut stop => break,
        };
        let conn = http.serve_connection(TokioIo::new(socket), TowerToHyperService::new(service.clone()));
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
