//! A dev stack in a temporary folder on free ports, and a browser-like client: a cookie jar of
//! one cookie, a session key, the vendor co-signature, then the gatekeeper.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};

use s3gk_devstack::{DevStack, DevStackConfig};
use s3gk_protocol::object::ObjectKeyMaterial;
use s3gk_protocol::sign::client_sign;
use s3gk_protocol::{AccessRequest, KeyId, Operation};

/// The objects `--seed` uploads.
pub const SEEDED: usize = 11;

pub fn config(dir: &std::path::Path) -> DevStackConfig {
    let mut config = DevStackConfig::new(dir);
    config.port_base = 0;
    config
}

pub async fn start(dir: &std::path::Path, seed: bool) -> DevStack {
    let mut config = config(dir);
    config.seed = seed;
    DevStack::start(config).await.unwrap_or_else(|e| panic!("start: {e}"))
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

pub fn b64_key(text: &str) -> VerifyingKey {
    VerifyingKey::from_bytes(&B64.decode(text).unwrap().try_into().unwrap()).unwrap()
}

/// A browser on the page: one session cookie, one session key.
pub struct Browser {
    pub http: reqwest::Client,
    pub vendor: String,
    pub gatekeeper: String,
    pub gatekeeper_id: String,
    pub cookie: Option<String>,
    pub session: SigningKey,
}

impl Browser {
    pub fn new(stack: &DevStack) -> Browser {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        Browser {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            vendor: stack.info().vendor.clone(),
            gatekeeper: stack.info().gatekeeper.clone(),
            gatekeeper_id: stack.info().gatekeeper_id.clone(),
            cookie: None,
            session: SigningKey::from_bytes(&seed),
        }
    }

    async fn answer(resp: reqwest::Response) -> (u16, Value) {
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    fn with_cookie(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let req = self.with_cookie(self.http.post(format!("{}{path}", self.vendor)).json(body));
        Self::answer(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let req = self.with_cookie(self.http.get(format!("{}{path}", self.vendor)));
        Self::answer(req.send().await.unwrap()).await
    }

    /// Logs in; keeps the cookie on success.
    pub async fn login(&mut self, username: &str, password: &str) -> (u16, Value) {
        let body = json!({ "username": username, "password": password });
        let resp = self.http.post(format!("{}/api/login", self.vendor)).json(&body).send().await.unwrap();
        if let Some(set) = resp.headers().get("set-cookie") {
            let set = set.to_str().unwrap().to_owned();
            assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
        Self::answer(resp).await
    }

    /// A request for `operation` on `key`, valid for `lifetime` seconds from now.
    pub fn request(&self, operation: Operation, key: &str, lifetime: u64) -> AccessRequest {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        AccessRequest {
            gatekeeper_id: self.gatekeeper_id.clone(),
            operation,
            key: key.into(),
            issued_at: now(),
            expires_at: now() + lifetime,
            nonce,
            session_key: self.session.verifying_key().to_bytes(),
        }
    }

    /// Asks the vendor to co-sign `bytes`.
    pub async fn cosign(&self, bytes: &[u8]) -> (u16, Value) {
        self.post("/api/cosign", &json!({ "request": B64.encode(bytes) })).await
    }

    /// Adds the client signature to a vendor co-signature and asks the gatekeeper.
    pub async fn authorize(&self, bytes: &[u8], cosigned: &Value) -> (u16, Value) {
        let vendor_key_id = cosigned["vendor_key_id"].as_str().unwrap();
        let vendor_signature: [u8; 64] =
            B64.decode(cosigned["vendor_signature"].as_str().unwrap()).unwrap().try_into().unwrap();
        let client_signature =
            client_sign(&self.session, bytes, &KeyId::new(vendor_key_id).unwrap(), &vendor_signature);
        let body = json!({
            "request": B64.encode(bytes),
            "vendor_key_id": vendor_key_id,
            "vendor_signature": B64.encode(vendor_signature),
            "client_signature": B64.encode(client_signature),
        });
        let resp = self.http.post(format!("{}/v1/authorize", self.gatekeeper)).json(&body).send().await.unwrap();
        Self::answer(resp).await
    }

    /// Co-signs and authorizes a prefix read; returns the gatekeeper's status and answer.
    pub async fn list(&self, prefix: &str) -> (u16, Value) {
        let bytes = self.request(Operation::ListPrefix, prefix, 60).encode().unwrap();
        let (status, cosigned) = self.cosign(&bytes).await;
        assert_eq!(status, 200, "{cosigned}");
        self.authorize(&bytes, &cosigned).await
    }
}

/// Per-object keys from an object grant.
pub fn key_material(object: &Value) -> Vec<ObjectKeyMaterial> {
    object["key_material"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let id = KeyId::new(m["master_key_id"].as_str().unwrap()).unwrap();
            let key: [u8; 32] = B64.decode(m["key"].as_str().unwrap()).unwrap().try_into().unwrap();
            ObjectKeyMaterial::from_bytes(id, key)
        })
        .collect()
}

/// The keys of a grant's objects, sorted.
pub fn keys(grant: &Value) -> Vec<String> {
    let mut keys: Vec<String> =
        grant["objects"].as_array().unwrap().iter().map(|o| o["key"].as_str().unwrap().to_owned()).collect();
    keys.sort();
    keys
}
