//! The isolated viewer (`GET /v1/viewer/…`, `[viewer]` in the configuration): a page on the
//! customer's own origin, embedded by the vendor's page in an iframe, in which a report is fetched
//! and decrypted. Plaintext and per-object keys exist only there; the vendor's page gets nothing
//! but co-signature requests, the frame's height and error codes (`viewer/parent.js`).
//!
//! The page runs only code the customer pinned, by SHA-384: this release's frame code and
//! renderer (compiled in, `viewer/files.rs`), the WebAssembly client read from the configured folder
//! at start (optionally pinned in the configuration too), and the vendor renderers the customer
//! listed with their digests. The pinned gatekeeper key is this gatekeeper's own, rendered into
//! the page: the trust root is the customer's origin, never the vendor's.
//!
//! This module must never serve a script whose digest the policy does not list, never take a
//! pin, a key or an origin from a request, and never put a secret into the page.

mod files;
mod page;
mod sri;

use std::fmt;

use axum::body::Bytes;
use axum::http::HeaderValue;

pub use files::{ClientFile, ClientFiles, CLIENT_MODULE, CLIENT_WASM};
pub use sri::{sha256_hex, Integrity, IntegrityError};

/// The name of this release's own renderer.
pub const BUILT_IN_RENDERER: &str = "report";

/// A renderer supplied by the vendor, which the customer approved by pinning its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RendererPin {
    /// The name the vendor's page asks for (`mountViewer(…, { renderer })`).
    pub name: String,
    /// Where the browser fetches it (the vendor's server; it must allow the gatekeeper's origin
    /// by CORS).
    pub url: String,
    /// The only digest its bytes may have.
    pub integrity: Integrity,
}

/// The checked `[viewer]` section.
#[derive(Clone, Debug)]
pub struct ViewerSettings {
    /// The vendor page origins allowed to embed the viewer and to receive its messages.
    pub vendor_origins: Vec<String>,
    /// The origin of the bucket's presigned URLs, the only one besides the gatekeeper's that the
    /// page may connect to.
    pub bucket_origin: String,
    /// The WebAssembly client.
    pub client: ClientFiles,
    /// The vendor renderers the customer pinned.
    pub renderers: Vec<RendererPin>,
}

/// The gatekeeper's identity, as the frame pins it.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    /// The gatekeeper's id (the audience).
    pub gatekeeper_id: &'a str,
    /// The receipt-signing key's id.
    pub key_id: &'a str,
    /// The receipt-signing public key, base64.
    pub public_key: &'a str,
}

/// A file the viewer serves, with its media type.
#[derive(Clone, Debug)]
pub struct Asset {
    /// The bytes.
    pub bytes: Bytes,
    /// The `Content-Type`.
    pub content_type: &'static str,
}

/// Everything the viewer serves, built once.
pub struct Viewer {
    page: Bytes,
    policy: HeaderValue,
    pins: Vec<(String, Integrity)>,
    files: Vec<(String, Asset)>,
}

impl fmt::Debug for Viewer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Viewer").field("pins", &self.pins).finish_non_exhaustive()
    }
}

fn content_type(path: &str) -> &'static str {
    if path.ends_with(".wasm") {
        "application/wasm"
    } else if path.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    }
}

impl Viewer {
    /// Builds the page, the policy and the file table. Fails only if the policy is not a valid
    /// header value (the configuration checks make that impossible for checked origins).
    pub fn new(settings: &ViewerSettings, identity: Identity<'_>) -> Result<Self, &'static str> {
        let built = page::build(settings, &identity);
        let policy = HeaderValue::from_str(&built.policy).map_err(|_| "the viewer's policy is not a header value")?;
        let own = [("frame.js", files::FRAME_JS), ("report.js", files::REPORT_JS), ("viewer.css", files::VIEWER_CSS)];
        let mut served: Vec<(String, Asset)> = own
            .iter()
            .map(|(path, text)| {
                let asset = Asset { bytes: Bytes::from_static(text.as_bytes()), content_type: content_type(path) };
                ((*path).to_owned(), asset)
            })
            .collect();
        for file in settings.client.files() {
            let asset = Asset { bytes: file.bytes.clone(), content_type: content_type(&file.path) };
            served.push((format!("client/{}", file.path), asset));
        }
        let mut pins: Vec<(String, Integrity)> =
            served.iter().map(|(path, asset)| (path.clone(), Integrity::of(&asset.bytes))).collect();
        pins.extend(settings.renderers.iter().map(|r| (format!("renderer {} ({})", r.name, r.url), r.integrity)));
        Ok(Self { page: Bytes::from(built.page), policy, pins, files: served })
    }

    /// The HTML shell.
    pub fn page(&self) -> Bytes {
        self.page.clone()
    }

    /// The Content-Security-Policy of every viewer answer.
    pub fn policy(&self) -> &HeaderValue {
        &self.policy
    }

    /// The file at `path` below `/v1/viewer/` (`frame.js`, `client/…`), if there is one.
    pub fn file(&self, path: &str) -> Option<&Asset> {
        self.files.iter().find(|(p, _)| p == path).map(|(_, asset)| asset)
    }

    /// Every file the page may run or load, and every pinned renderer, with its digest: what
    /// `check-config` prints for the customer to compare with a build from source.
    pub fn pins(&self) -> &[(String, Integrity)] {
        &self.pins
    }
}
