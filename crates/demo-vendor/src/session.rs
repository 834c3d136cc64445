//! The demo login: `POST /api/login`, `POST /api/logout`, `GET /api/session`, and the in-memory
//! session store behind the cookie.
//!
//! A session id is 32 random bytes (hex in the cookie); the store keeps only its SHA-256, so a
//! lookup's timing says nothing useful about stored ids. The cookie is `HttpOnly; SameSite=Lax;
//! Path=/` (no `Secure`: the dev stack is plain http on loopback). Sessions expire after
//! [`SESSION_TTL`]. This module must never log a session id or a password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::VendorError;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand_core::{OsRng, RngCore as _};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::users::{self, DemoUser};
use crate::VendorState;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "s3gk_demo_session";
/// How long a session lasts after login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 60 * 60);
/// The most sessions kept at once; the oldest go first.
const MAX_SESSIONS: usize = 10_000;

/// Logged-in sessions, by the SHA-256 of their id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    user: &'static DemoUser,
    expires: Instant,
}

impl Sessions {
    /// Starts a session for `user`; returns its id (64 hex digits) for the cookie.
    fn create(&self, user: &'static DemoUser) -> String {
        let mut id = [0u8; 32];
        OsRng.fill_bytes(&mut id);
        let now = Instant::now();
        let mut map = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        map.insert(Sha256::digest(id).into(), Session { user, expires: now + SESSION_TTL });
        hex::encode(id)
    }

    /// The logged-in user of the request's session cookie, if the session is live.
    pub(crate) fn user(&self, headers: &HeaderMap) -> Option<&'static DemoUser> {
        let hash = session_hash(headers)?;
        let mut map = self.by_hash.lock().unwrap_or_else(|p| p.into_inner());
        let session = *map.get(&hash)?;
        if session.expires <= Instant::now() {
            map.remove(&hash);
            return None;
        }
        Some(session.user)
    }

    /// Ends the request's session, if any.
    fn end(&self, headers: &HeaderMap) {
        if let Some(hash) = session_hash(headers) {
            self.by_hash.lock().unwrap_or_else(|p| p.into_inner()).remove(&hash);
        }
    }
}

/// The SHA-256 of the session id in the request's cookie, if there is a well-formed one.
fn session_hash(headers: &HeaderMap) -> Option<[u8; 32]> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE_NAME)?.strip_prefix('='))?;
    let mut id = [0u8; 32];
    hex::decode_to_slice(value, &mut id).ok()?;
    Some(Sha256::digest(id).into())
}

/// The error answer for a request without a live session.
pub(crate) fn not_logged_in() -> VendorError {
    VendorError::new(StatusCode::UNAUTHORIZED, "not_logged_in", "log in first")
}

/// The body of `POST /api/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    username: String,
    password: String,
}

fn who(user: &DemoUser) -> serde_json::Value {
    json!({ "user": user.username, "prefixes": user.prefixes })
}

/// `POST /api/login {username, password}`: sets the session cookie, answers `{user, prefixes}`.
pub(crate) async fn login(State(state): State<Arc<VendorState>>, body: Result<Json<Login>, JsonRejection>) -> Response {
    let Ok(Json(login)) = body else {
        return VendorError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "body must be JSON with username and password",
        )
        .into_response();
    };
    let Some(user) = users::authenticate(&login.username, &login.password) else {
        tracing::info!("demo login refused");
        return VendorError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong username or password")
            .into_response();
    };
    let id = state.sessions.create(user);
    let cookie = format!("{COOKIE_NAME}={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}", SESSION_TTL.as_secs());
    tracing::info!(user = user.username, "demo login");
    match HeaderValue::from_str(&cookie) {
        Ok(value) => ([(header::SET_COOKIE, value)], Json(who(user))).into_response(),
        Err(_) => VendorError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response(),
    }
}

/// `POST /api/logout`: ends the session and clears the cookie.
pub(crate) async fn logout(State(state): State<Arc<VendorState>>, headers: HeaderMap) -> Response {
    state.sessions.end(&headers);
    let clear = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    let mut response = Json(json!({ "status": "logged_out" })).into_response();
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /api/session`: `{user, prefixes}`, or 401 `not_logged_in`.
pub(crate) async fn session(State(state): State<Arc<VendorState>>, headers: HeaderMap) -> Response {
    match state.sessions.user(&headers) {
        Some(user) => Json(who(user)).into_response(),
        None => not_logged_in().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trip_and_expiry() {
        let sessions = Sessions::default();
        let alice = users::by_name("alice").unwrap();
        let id = sessions.create(alice);
        assert_eq!(id.len(), 64);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={id}")).unwrap());
        assert_eq!(sessions.user(&headers).unwrap().username, "alice");

        let mut wrong = HeaderMap::new();
        wrong.insert(header::COOKIE, HeaderValue::from_str(&format!("{COOKIE_NAME}={}", "00".repeat(32))).unwrap());
        assert!(sessions.user(&wrong).is_none());
        assert!(sessions.user(&HeaderMap::new()).is_none());

        sessions.end(&headers);
        assert!(sessions.user(&headers).is_none());

        let id = sessions.create(alice);
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("{COOKIE_NAME}={id}")).unwrap());
        for s in sessions.by_hash.lock().unwrap().values_mut() {
            s.expires = Instant::now();
        }
        assert!(sessions.user(&headers).is_none(), "expired");
    }
}
