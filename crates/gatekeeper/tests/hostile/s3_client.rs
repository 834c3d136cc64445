//! The S3 side of the cases: grants asked for over HTTP, uploads through them, presigned requests
//! that a case bends before sending, and reads of what S3 stored. Reading back goes around the
//! gatekeeper (presigned by its own S3 client, so nothing is granted or audited); nothing here
//! ever writes to the bucket except through a grant.

use std::time::SystemTime;

use serde_json::Value;

use s3gk_protocol::object::{self, ciphertext_len, DEFAULT_CHUNK_SIZE};
use s3gk_protocol::{KeyId, ObjectKey, Operation};

use super::harness::{Ctx, Outcome};
use crate::common::write_key;

/// Asks the gatekeeper for `op` on `key` from 127.0.0.1; returns the granted object.
pub async fn grant(ctx: &Ctx, op: Operation, key: &str) -> Result<Value, String> {
    let f = ctx.fresh("127.0.0.1");
    let attempt = f.with(|r| {
        r.operation = op;
        r.key = key.to_owned();
    });
    let answer = ctx.send(&attempt).await?;
    let body = answer.json().ok_or("grant is not JSON")?;
    match answer.status {
        200 => Ok(body["objects"][0].clone()),
        s => Err(format!("grant for {key} refused: {s} {body}")),
    }
}

/// Encrypts `plain` for `key` and uploads it through a real put grant (one grant); the ciphertext.
pub async fn upload(ctx: &Ctx, key: &str, plain: &[u8]) -> Result<Vec<u8>, String> {
    let id = KeyId::new("mk-2").map_err(|e| e.to_string())?;
    let len = ciphertext_len(plain.len() as u64, DEFAULT_CHUNK_SIZE, &id).ok_or("too long")?;
    let put = grant(ctx, Operation::Put { content_length: len, sha256: None, content_type: None }, key).await?;
    let ciphertext = object::encrypt(write_key(&put), DEFAULT_CHUNK_SIZE, plain).map_err(|e| e.to_string())?;
    let (status, code, _) = S3Req::of(&put).body(ciphertext.clone()).send(ctx).await?;
    if status != 200 {
        return Err(format!("upload of {key}: {status} {code}"));
    }
    Ok(ciphertext)
}

/// The stored bytes of `key`, read around the gatekeeper (no grant, nothing audited).
pub async fn stored(ctx: &Ctx, key: &str) -> Result<Option<Vec<u8>>, String> {
    let checked = ObjectKey::parse(key).map_err(|p| format!("{key}: {}", p.code()))?;
    let url = ctx.stack.gk.s3.presign_get(&checked, SystemTime::now()).map_err(|e| e.to_string())?.url;
    let resp = ctx.http.get(url).send().await.map_err(|e| e.to_string())?;
    match resp.status().as_u16() {
        200 => Ok(Some(resp.bytes().await.map_err(|e| e.to_string())?.to_vec())),
        404 => Ok(None),
        s => Err(format!("reading {key} back: {s}")),
    }
}

/// One request to S3, starting from a presigned one and bent by a case.
#[derive(Clone, Debug)]
pub struct S3Req {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl S3Req {
    /// The presigned request of a granted object, with every header it must send but
    /// `content-length` (which goes with the body).
    pub fn of(object: &Value) -> Self {
        let headers = object["headers"]
            .as_array()
            .map(|h| {
                h.iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
                    .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length"))
                    .collect()
            })
            .unwrap_or_default();
        let method = object["method"].as_str().unwrap_or("GET").to_owned();
        S3Req { method, url: object["url"].as_str().unwrap_or_default().to_owned(), headers, body: None }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = method.to_owned();
        self
    }

    pub fn url(mut self, edit: impl Fn(&str) -> String) -> Self {
        self.url = edit(&self.url);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends it; `(status, S3 error code or "", body)`.
    pub async fn send(&self, ctx: &Ctx) -> Result<(u16, String, Vec<u8>), String> {
        let method: reqwest::Method = self.method.parse().map_err(|_| "bad method")?;
        let mut req = ctx.http.request(method, &self.url);
        for (n, v) in &self.headers {
            req = req.header(n, v);
        }
        if let Some(body) = &self.body {
            req = req.body(body.clone());
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok((status, s3_code(&body), body))
    }
}

/// The `<Code>` of an S3 error document, or "" for none.
pub fn s3_code(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start = text.find("<Code>").map(|i| i + 6);
    let end = text.find("</Code>");
    match (start, end) {
        (Some(s), Some(e)) if s <= e => text[s..e].to_owned(),
        _ => String::new(),
    }
}

/// The outcome of S3's answer; `grants` the setup made.
pub fn answered(result: Result<(u16, String, Vec<u8>), String>, grants: usize) -> Outcome {
    match result {
        Ok((status, code, _)) => {
            Outcome { status, code, accepted: (200..300).contains(&status), grants, ..Outcome::default() }
        }
        Err(e) => Outcome::broken(e).grants(grants),
    }
}

/// Adds a problem unless `key` still holds exactly `bytes` (or, for `None`, holds nothing).
pub async fn still(ctx: &Ctx, key: &str, bytes: Option<&[u8]>, out: &mut Outcome) {
    match stored(ctx, key).await {
        Ok(now) if now.as_deref() == bytes => {}
        Ok(now) => out.problems.push(format!("{key} changed: now {:?} bytes", now.map(|b| b.len()))),
        Err(e) => out.problems.push(e),
    }
}
