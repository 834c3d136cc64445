//! S3 that is silent, unreachable or gone (`docs/api.md`, "Faults"): a prefix read, the one call
//! that asks S3, is refused with `s3_unavailable` within half the request timeout, and audited
//! before the answer leaves. Reads and uploads are presigned locally and do not depend on S3 being
//! up. The faults are real sockets: a listener that accepts and never answers, a port nobody
//! listens on, and the test S3 server shut down.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use s3gk_gatekeeper::audit::SearchQuery;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_protocol::Operation;

use common::*;

/// A 2 s request timeout: S3 gets 1 s of it.
const TIMEOUT_MS: u64 = 2000;

/// A gatekeeper served on loopback whose S3 is at `s3_url`; its client, and a way to stop it.
struct Served {
    gk: Arc<Gatekeeper>,
    client: Client,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn serve(s3_url: &str) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { request_timeout_ms: TIMEOUT_MS, ..Options::default() };
    let gk = gatekeeper(&opts, &dir, &S3Endpoint::unchecked(s3_url)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = Client::signer();
    client.base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(s3gk_gatekeeper::http::serve_gatekeeper(listener, gk.clone(), async move {
        let _ = stopped.await;
    }));
    Served { gk, client, stop, served, _dir: dir }
}

impl Served {
    /// The decisions in the log so far, newest last.
    async fn reasons(&self) -> Vec<String> {
        let audit = self.gk.audit.clone();
        let entries = tokio::task::spawn_blocking(move || audit.search(&SearchQuery::default())).await.unwrap();
        entries.unwrap().into_iter().map(|e| e.entry.reason().to_owned()).collect()
    }

    async fn shut(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
        self.gk.audit.close().await;
    }
}

/// Asks for a prefix read; checks the coded refusal, that it came within the request timeout, and
/// that its decision was durable when the answer arrived.
async fn prefix_read_is_refused(served: &Served) {
    let started = Instant::now();
    let (status, answer) = served.client.authorize(&served.client.request(Operation::ListPrefix, "tickets/1/")).await;
    let took = started.elapsed();
    assert_eq!((status, code(&answer)), (502, "s3_unavailable"), "{answer}");
    // Not a timing assertion: the request timeout would have answered `timeout` instead.
    assert!(took < Duration::from_millis(TIMEOUT_MS), "answered by the S3 deadline, not the request timeout");
    assert_eq!(served.reasons().await.last().map(String::as_str), Some("s3_unavailable"));
}

#[tokio::test]
async fn a_silent_s3_is_refused_within_the_deadline_and_audited() {
    // Accepts every connection and never answers.
    let s3 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s3_url = format!("http://{}", s3.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = s3.accept().await {
            open.push(conn);
        }
    });
    let served = serve(&s3_url).await;
    prefix_read_is_refused(&served).await;
    // Presigning needs no S3: a read is still granted.
    let (status, answer) = served.client.authorize(&served.client.request(Operation::Get, "tickets/1/a.txt")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(served.reasons().await, ["s3_unavailable", "granted"]);
    served.shut().await;
    held.abort();
}

#[tokio::test]
async fn an_unreachable_s3_is_refused_and_audited() {
    // A port that was just free: nothing listens there, so connections are refused.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let served = serve(&format!("http://127.0.0.1:{port}")).await;
    prefix_read_is_refused(&served).await;
    served.shut().await;
}

#[tokio::test]
async fn s3_going_away_mid_service_turns_reads_of_prefixes_into_coded_refusals() {
    let stack = Stack::start(Options { request_timeout_ms: TIMEOUT_MS, ..Options::default() }).await;
    let client = stack.client(None);
    put_encrypted(&client, "tickets/3/a.txt", b"kept").await;
    let (status, answer) = client.authorize(&client.request(Operation::ListPrefix, "tickets/3/")).await;
    assert_eq!((status, answer["objects"].as_array().map(Vec::len)), (200, Some(1)), "{answer}");
    stack.s3.shutdown().await;
    let (status, answer) = client.authorize(&client.request(Operation::ListPrefix, "tickets/3/")).await;
    assert_eq!((status, code(&answer)), (502, "s3_unavailable"), "{answer}");
    let audit = stack.gk.audit.clone();
    let last = tokio::task::spawn_blocking(move || audit.search(&SearchQuery::default())).await.unwrap().unwrap();
    assert_eq!(last.last().map(|e| e.entry.reason().to_owned()).as_deref(), Some("s3_unavailable"));
    stack.gk.audit.close().await;
}
