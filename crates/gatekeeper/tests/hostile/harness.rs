//! The case table's types and the runner: a [`Case`] is one row (name, threat, how to build the
//! input, expected status, expected code, audited or not); [`run_group`] runs a table on one real
//! stack, one case at a time, and after each case reads the audit entries the case added.
//!
//! Cases of one group run in order on their own stack, so "the entries added since the previous
//! case" are exactly this case's entries. Groups run concurrently on separate stacks. The runner
//! never retries a case and never sleeps: a case that needs time to pass polls or fails.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use s3gk_protocol::{AccessRequest, Operation};

use super::report::{judge, Report};
use super::wire::{self, Answer, BodyMode, Raw};
use crate::common::{Client, Options, Stack, ADMIN_TOKEN};

/// The decision must be in the audit log.
pub const AUDITED: bool = true;
/// Not audited by design (S3 itself, the admin API, CORS preflights, unknown paths): the case
/// asserts what must happen instead, and that no denial was recorded.
pub const NOT_AUDITED: bool = false;
/// Expected status for S3 refusals whose exact status S3 does not document for the double: any
/// 4xx passes, a 2xx or 5xx fails.
pub const ANY_4XX: u16 = 4;
/// Expected code when S3 does not document one for the case: any code passes.
pub const ANY_CODE: &str = "*";

/// What a case attacks (the threat model's headings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threat {
    Signature,
    Encoding,
    Time,
    Replay,
    Key,
    S3,
    Proxy,
    Cors,
    Admin,
    Transport,
}

pub type Build = Box<dyn Fn(&Fresh) -> Attempt + Send + Sync>;
pub type Steps = Box<dyn Fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

/// How a case builds its input.
pub enum How {
    /// One request to the gatekeeper, built from a fresh, validly signed get request.
    Send(Build),
    /// Several steps (setup, replays, S3); the closure reports the decisive answer.
    Steps(Steps),
}

/// One row of a case table.
pub struct Case {
    pub name: String,
    pub threat: Threat,
    pub how: How,
    pub status: u16,
    pub code: &'static str,
    pub audited: bool,
}

/// A row: name, threat, how to build the input, expected status, expected code, audited.
pub fn row(name: impl Into<String>, threat: Threat, how: How, status: u16, code: &'static str, audited: bool) -> Case {
    Case { name: name.into(), threat, how, status, code, audited }
}

/// A one-request case.
pub fn send(build: impl Fn(&Fresh) -> Attempt + Send + Sync + 'static) -> How {
    How::Send(Box::new(build))
}

/// A multi-step case.
pub fn steps<F, Fut>(f: F) -> How
where
    F: Fn(Arc<Ctx>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    How::Steps(Box::new(move |ctx| Box::pin(f(ctx))))
}

/// A fresh signed get request from one address, for a case to spoil.
pub struct Fresh {
    pub client: Client,
    pub req: AccessRequest,
    pub from: IpAddr,
}

impl Fresh {
    /// The valid body for `req`.
    pub fn body(&self) -> Value {
        self.client.signed(&self.req)
    }

    /// A POST of `body`, expected to be audited with this request's nonce and key.
    pub fn post(&self, body: &Value) -> Attempt {
        Attempt::authorize(self.from, body.to_string().into_bytes(), Some(self.req.clone()))
    }

    /// The valid request, unchanged.
    pub fn ok(&self) -> Attempt {
        self.post(&self.body())
    }

    /// `req` edited, then validly signed.
    pub fn with(&self, edit: impl FnOnce(&mut AccessRequest)) -> Attempt {
        let mut req = self.req.clone();
        edit(&mut req);
        Attempt::authorize(self.from, self.client.signed(&req).to_string().into_bytes(), Some(req))
    }

    /// A put of `content_length` bytes on this request's key.
    pub fn put(&self, content_length: u64) -> Attempt {
        self.with(|r| r.operation = Operation::Put { content_length, sha256: None, content_type: None })
    }
}

/// One HTTP request and what its audit entry must show.
pub struct Attempt {
    pub raw: Raw,
    /// The client address the entry must name.
    pub audit_ip: String,
    /// The request the entry must name (nonce and key), when the request decodes.
    pub decoded: Option<AccessRequest>,
}

impl Attempt {
    /// `POST /v1/authorize` with a JSON body.
    pub fn authorize(from: IpAddr, body: Vec<u8>, decoded: Option<AccessRequest>) -> Self {
        let headers = vec![
            ("Content-Type".to_owned(), b"application/json".to_vec()),
            ("User-Agent".to_owned(), b"s3gk-hostile-suite".to_vec()),
        ];
        let raw =
            Raw { from, method: "POST".into(), target: "/v1/authorize".into(), headers, body, mode: BodyMode::Plain };
        Attempt { raw, audit_ip: from.to_string(), decoded }
    }

    /// Adds a header line (several lines of one name are kept apart).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.raw.headers.push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Replaces every line of header `name` (none: removes them).
    pub fn set_header(mut self, name: &str, value: Option<&[u8]>) -> Self {
        self.raw.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        match value {
            Some(v) => self.header(name, v),
            None => self,
        }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.raw.method = method.to_owned();
        self
    }

    pub fn target(mut self, target: &str) -> Self {
        self.raw.target = target.to_owned();
        self
    }

    /// Replaces the body; the audit entry can then name no request.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.raw.body = body.into();
        self.decoded = None;
        self
    }

    pub fn mode(mut self, mode: BodyMode) -> Self {
        self.raw.mode = mode;
        self
    }

    /// Sends from `ip` instead, and expects the entry to name it.
    pub fn via(mut self, ip: &str) -> Self {
        self.raw.from = ip.parse().expect("test addresses are literals");
        self.audit_ip = ip.to_owned();
        self
    }

    pub fn audit_ip(mut self, ip: &str) -> Self {
        self.audit_ip = ip.to_owned();
        self
    }

    /// The request's bytes are not a request the audit can decode.
    pub fn undecoded(mut self) -> Self {
        self.decoded = None;
        self
    }
}

/// What a case ended with.
#[derive(Debug, Default)]
pub struct Outcome {
    pub status: u16,
    pub code: String,
    /// The hostile goal was reached (a 2xx where a refusal was due, data decrypted, …).
    pub accepted: bool,
    /// Grants the steps made on purpose (setup uploads, the first of two identical requests).
    pub grants: usize,
    pub audit_ip: Option<String>,
    pub decoded: Option<AccessRequest>,
    /// Intermediate steps that did not go as they must.
    pub problems: Vec<String>,
}

impl Outcome {
    /// The outcome of one gatekeeper answer to `attempt`.
    pub fn of(answer: &Answer, attempt: &Attempt) -> Self {
        Outcome {
            status: answer.status,
            code: if (200..300).contains(&answer.status) { String::new() } else { answer.code() },
            accepted: (200..300).contains(&answer.status),
            audit_ip: Some(attempt.audit_ip.clone()),
            decoded: attempt.decoded.clone(),
            ..Outcome::default()
        }
    }

    /// A step that could not even be carried out.
    pub fn broken(problem: impl Into<String>) -> Self {
        Outcome { code: "<broken>".into(), problems: vec![problem.into()], ..Outcome::default() }
    }

    pub fn grants(mut self, n: usize) -> Self {
        self.grants = n;
        self
    }

    pub fn problem(mut self, problem: impl Into<String>) -> Self {
        self.problems.push(problem.into());
        self
    }
}

/// A running stack with the state one group's cases share.
pub struct Ctx {
    pub stack: Stack,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    unique: AtomicU64,
    last_seq: Mutex<Option<u64>>,
    pub group: &'static str,
}

impl Ctx {
    pub async fn start(group: &'static str, opts: Options) -> Arc<Ctx> {
        let stack = Stack::start(opts).await;
        let addr = stack.base.trim_start_matches("http://").parse().expect("the stack listens on an address");
        let http = reqwest::Client::builder().no_proxy().build().expect("a plain client builds");
        Arc::new(Ctx { stack, addr, http, unique: AtomicU64::new(0), last_seq: Mutex::new(None), group })
    }

    /// A key no other case of this group uses, under the root prefix.
    pub fn unique_key(&self, name: &str) -> String {
        format!("tickets/{}/{}-{name}", self.group, self.unique.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh client (new session key) and a valid get request for a fresh key, sent from `from`.
    pub fn fresh(&self, from: &str) -> Fresh {
        let from: IpAddr = from.parse().expect("test addresses are literals");
        let client = self.stack.client(Some(from));
        let req = client.request(Operation::Get, &self.unique_key("obj.bin"));
        Fresh { client, req, from }
    }

    /// Sends one request to the gatekeeper.
    pub async fn send(&self, attempt: &Attempt) -> Result<Answer, String> {
        wire::send(self.addr, &attempt.raw).await
    }

    /// Sends and turns the answer into an outcome.
    pub async fn outcome(&self, attempt: &Attempt) -> Outcome {
        match self.send(attempt).await {
            Ok(answer) => Outcome::of(&answer, attempt),
            Err(e) => Outcome::broken(e),
        }
    }

    /// Every audit entry after `after`, in order, through the admin API.
    pub async fn entries_after(&self, after: Option<u64>) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        let mut after = after;
        loop {
            let mut url = format!("{}/v1/audit?limit=1000", self.stack.base);
            if let Some(seq) = after {
                url.push_str(&format!("&after_seq={seq}"));
            }
            let resp = self.http.get(&url).bearer_auth(ADMIN_TOKEN).send().await.map_err(|e| e.to_string())?;
            let page: Value = resp.json().await.map_err(|e| e.to_string())?;
            let entries = page["entries"].as_array().ok_or_else(|| format!("audit search answered {page}"))?.clone();
            let done = entries.len() < 1000;
            after = entries.last().and_then(|e| e["seq"].as_u64()).or(after);
            out.extend(entries);
            if done {
                return Ok(out);
            }
        }
    }
}

/// Runs `cases` in order on `ctx`; checks each against its row and the audit log.
pub async fn run_group(ctx: Arc<Ctx>, cases: Vec<Case>) -> Vec<Report> {
    let mut reports = Vec::with_capacity(cases.len());
    for case in cases {
        let mark = *ctx.last_seq.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = match &case.how {
            How::Send(build) => {
                let attempt = build(&ctx.fresh("127.0.0.1"));
                ctx.outcome(&attempt).await
            }
            How::Steps(run) => run(ctx.clone()).await,
        };
        let entries = match ctx.entries_after(mark).await {
            Ok(entries) => entries,
            Err(e) => vec![serde_json::json!({ "unreadable": e })],
        };
        if let Some(seq) = entries.iter().filter_map(|e| e["seq"].as_u64()).max() {
            *ctx.last_seq.lock().unwrap_or_else(|p| p.into_inner()) = Some(seq);
        }
        reports.push(judge(ctx.group, &case, outcome, &entries));
    }
    reports
}
