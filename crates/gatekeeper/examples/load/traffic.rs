//! The crash test's load: clients in a closed loop (each sends its next request once its last one
//! is answered), a mix of gets (75%), puts (15%) and prefix reads of the seeded objects (10%),
//! until told that the gatekeeper is about to be killed.
//!
//! Every grant is checked by the client core before it is kept. The only other answers a running
//! gatekeeper may give here are 503s while its database is down (`audit_unavailable`,
//! `replay_unavailable`, `timeout`); anything else fails the run. A transport error (no complete
//! answer) is expected only once the kill has been announced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand_core::{OsRng, RngCore as _};
use s3gk_protocol::Operation;
use tokio::task::JoinHandle;

use crate::client::{json, post, Answer, GrantRecord, Post, Signer};
use crate::{Context as _, Fallible};

/// The prefix the seeded objects of a store's rounds live under.
pub(crate) fn seeded_prefix(store: &str) -> String {
    format!("tickets/seeded-{store}/")
}

/// What the clients saw in one round.
#[derive(Default)]
pub(crate) struct Tally {
    /// Grants received and checked.
    pub(crate) grants: Vec<GrantRecord>,
    /// 503 answers (the database was down).
    pub(crate) unavailable: u64,
    /// Requests without a complete answer (cut by the kill).
    pub(crate) cut: u64,
}

/// Clients sending until [`Traffic::finish`].
pub(crate) struct Traffic {
    killing: Arc<AtomicBool>,
    clients: Vec<JoinHandle<Fallible<Tally>>>,
}

/// Starts `concurrency` clients against the gatekeeper at `url`.
/// `seeded` is the prefix the prefix reads ask for.
pub(crate) fn start(signer: Arc<Signer>, url: String, seeded: String, concurrency: usize) -> Fallible<Traffic> {
    let killing = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let clients = (0..concurrency)
        .map(|_| tokio::spawn(client(signer.clone(), http.clone(), url.clone(), seeded.clone(), killing.clone())))
        .collect();
    Ok(Traffic { killing, clients })
}

impl Traffic {
    /// Tells the clients the gatekeeper is about to be killed: they stop after their current
    /// request, and a request cut from now on is no error.
    pub(crate) fn announce_kill(&self) {
        self.killing.store(true, Ordering::SeqCst);
    }

    /// Waits for every client; their tallies summed.
    pub(crate) async fn finish(self) -> Fallible<Tally> {
        self.announce_kill();
        let mut total = Tally::default();
        for client in self.clients {
            let tally = client.await.context("a client task")??;
            total.grants.extend(tally.grants);
            total.unavailable += tally.unavailable;
            total.cut += tally.cut;
        }
        Ok(total)
    }
}

/// One client: a session key of its own, requests until the kill is announced.
async fn client(
    signer: Arc<Signer>,
    http: reqwest::Client,
    url: String,
    seeded: String,
    killing: Arc<AtomicBool>,
) -> Fallible<Tally> {
    let session = Signer::session();
    let mut tally = Tally::default();
    while !killing.load(Ordering::SeqCst) {
        let pick = OsRng.next_u32() % 100;
        let (operation, key) = match pick {
            0..75 => (Operation::Get, format!("tickets/load/{}/report.json", OsRng.next_u32() % 500)),
            75..90 => {
                let put = Operation::Put { content_length: 1200, sha256: None, content_type: None };
                (put, format!("tickets/load/upload-{:016x}.bin", OsRng.next_u64()))
            }
            _ => (Operation::ListPrefix, seeded.clone()),
        };
        let signed = signer.sign(&session, operation, &key)?;
        let body = json(&signed.body);
        match post(&http, Post { url: &url, content_type: "application/json", body }).await {
            Answer::Granted(grant) => tally.grants.push(GrantRecord::of(&signer, signed, grant)?),
            Answer::Refused(503, code)
                if matches!(code.as_str(), "audit_unavailable" | "replay_unavailable" | "timeout") =>
            {
                tally.unavailable += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Answer::Refused(status, code) => {
                return Err(format!("unexpected answer to a valid request: {status} {code}"))
            }
            Answer::Transport if killing.load(Ordering::SeqCst) => tally.cut += 1,
            Answer::Transport => {
                return Err("no complete answer from a gatekeeper that was not being killed".to_owned())
            }
        }
    }
    Ok(tally)
}
