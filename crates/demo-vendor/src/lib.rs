//! The demo vendor's backend: its login, its co-signer, and the report page it serves (the page is
//! the vendor's code, so co-signing is same-origin for it).
//!
//! It shows what a vendor integrating s3-gatekeeper runs, and it needs only the protocol crate
//! (and the shared JSON of [`s3gk_wire`]): the co-signer is `s3gk_protocol::cosign::CosignPolicy`'s
//! checks, the vendor's own permission check, and a signature. The dev stack wires it to a real
//! gatekeeper; a vendor would run its own equivalent next to its website.
//!
//! | route | what |
//! |---|---|
//! | `POST /api/login`, `POST /api/logout`, `GET /api/session` | demo login ([`session`]) |
//! | `POST /api/cosign` | the vendor co-signature (`cosign.rs`) |
//! | `GET /api/audit?prefix=` | audit trail of a prefix the user may read: a **demo stand-in** (`audit.rs`); in production the audit log is the customer's and a vendor cannot read it |
//! | `GET /api/config` | what the page needs: gatekeeper URL, id and pinned public key, the viewer's URL |
//! | `GET /renderers/{name}.js` | the vendor's report renderers for the customer's isolated viewer (`renderers.rs`) |
//! | `/pkg/…` | the built npm package (`--pkg`) |
//! | `/…` | the page (`--www`), or a short placeholder |
//!
//! Every answer carries the security headers and the page's Content-Security-Policy
//! ([`PagePolicy`], `headers.rs`); the API's answers are `Cache-Control: no-store`.
//!
//! CORS with credentials is granted to the exactly listed extra origins only (a browser test
//! runner on another port); a POST whose `Origin` is neither the page's nor one of those is
//! refused (403 `bad_origin`). This module must never answer with `*` origins or echo an origin
//! it was not given.

mod audit;
mod cosign;
mod error;
mod headers;
mod renderers;
pub mod session;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use ed25519_dalek::SigningKey;
use s3gk_protocol::{GatekeeperId, KeyId};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use zeroize::Zeroizing;

pub use cosign::MAX_LIFETIME_SECS;
pub use error::VendorError;
pub use headers::{PagePolicy, PolicyError};

/// Everything the vendor's handlers share.
pub struct VendorState {
    /// Logged-in sessions.
    pub sessions: session::Sessions,
    /// The vendor's co-signing key.
    pub signer: SigningKey,
    /// Its id.
    pub signer_key_id: KeyId,
    /// The gatekeeper's id (the audience requests must name).
    pub gatekeeper_id: GatekeeperId,
    /// The gatekeeper's base URL.
    pub gatekeeper_url: String,
    /// The admin token, only for the demo audit proxy.
    pub admin_token: Zeroizing<String>,
    /// Calls the gatekeeper (audit proxy).
    pub http: reqwest::Client,
    /// Origins whose POSTs are accepted: the page's own and the extra ones.
    pub post_origins: Vec<String>,
    /// What `GET /api/config` answers.
    pub page_config: serde_json::Value,
    /// The page's Content-Security-Policy, sent on every answer.
    pub page_policy: PagePolicy,
}

/// Where the static files come from, and who else may call the API.
#[derive(Clone, Debug, Default)]
pub struct Site {
    /// The page's folder, served at `/`.
    pub www: Option<PathBuf>,
    /// The npm package's folder, served at `/pkg/`.
    pub pkg: Option<PathBuf>,
    /// Extra origins granted CORS with credentials (exact match).
    pub cors_origins: Vec<String>,
    /// The vendor's renderers for the isolated viewer, `(name, file)`: served at
    /// `/renderers/{name}.js`, read on every request.
    pub renderers: Vec<(String, PathBuf)>,
    /// The isolated viewer's origin, the only one allowed to load the renderers (CORS).
    pub viewer_origin: Option<String>,
}

/// The vendor's router.
pub fn app(state: Arc<VendorState>, site: &Site) -> Router {
    let origins: Vec<HeaderValue> = site.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    let api = Router::new()
        .route("/api/login", post(session::login))
        .route("/api/logout", post(session::logout))
        .route("/api/session", get(session::session))
        .route("/api/cosign", post(cosign::cosign))
        .route("/api/audit", get(audit::audit))
        .route("/api/config", get(config))
        .route(
            "/api/{*rest}",
            any(|| async { VendorError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") }),
        )
        .layer(middleware::from_fn_with_state(state.clone(), check_origin));
    let policy = state.page_policy.clone();
    let renderers = renderers::Renderers {
        files: site.renderers.clone(),
        viewer_origin: site.viewer_origin.as_deref().and_then(|o| HeaderValue::from_str(o).ok()),
    };
    let mut router = api
        .with_state(state)
        .merge(Router::new().route("/renderers/{file}", get(renderers::renderer)).with_state(Arc::new(renderers)));
    if let Some(pkg) = &site.pkg {
        router = router.nest_service("/pkg", ServeDir::new(pkg));
    }
    router = match &site.www {
        Some(www) => router.fallback_service(ServeDir::new(www)),
        None => router.route("/", get(placeholder)),
    };
    // Static files change while developing: revalidate every time.
    // The security headers and `Cache-Control` go on outermost, so CORS preflights and every
    // error answer get them.
    router.layer(cors).layer(middleware::from_fn_with_state(policy, headers::secure))
}

/// Refuses state-changing requests from origins that are neither the page's nor allowed.
async fn check_origin(State(state): State<Arc<VendorState>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let origin = req.headers().get(header::ORIGIN).map(|o| o.to_str().unwrap_or("\u{fffd}"));
    if let (false, Some(origin)) = (safe, origin) {
        if !state.post_origins.iter().any(|o| o == origin) {
            return VendorError::new(StatusCode::FORBIDDEN, "bad_origin", "requests from this origin are not accepted")
                .into_response();
        }
    }
    next.run(req).await
}

/// `GET /api/config`: what the page needs to talk to the gatekeeper. The public key is the one a
/// vendor would pin in its page's configuration.
async fn config(State(state): State<Arc<VendorState>>) -> Json<serde_json::Value> {
    Json(state.page_config.clone())
}

async fn placeholder() -> Html<&'static str> {
    Html(
        "<!doctype html><meta charset=utf-8><title>s3-gatekeeper dev stack</title>\
         <h1>s3-gatekeeper dev stack</h1>\
         <p>No page folder was given: start with <code>--www www --pkg pkg</code> to serve the report page.</p>\
         <p>API: <code>POST /api/login</code>, <code>GET /api/session</code>, <code>POST /api/cosign</code>, \
         <code>GET /api/audit?prefix=tickets/1001/</code>, <code>GET /api/config</code>.</p>",
    )
}
