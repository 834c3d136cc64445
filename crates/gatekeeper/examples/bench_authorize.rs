//! Benchmark of the authorize path, with the durable SQLite audit log (WAL, synchronous=FULL).
//!
//! `cargo run --profile bench -p s3gk-gatekeeper --example bench_authorize [REQUESTS]`
//!
//! Prints, from one run on one machine:
//! 1. the per-request crypto floor: two `verify_strict` plus one receipt signature;
//! 2. in-process: `authorize()` called directly by 64 concurrent tasks (no HTTP);
//! 3. HTTP: 64 keep-alive connections from this process to the server on loopback, with p50/p99.
//!
//! All request bodies are signed before timing starts, so the load generator's signing is not
//! counted. Figures go to docs/benchmarks.md by hand, with the command line.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use s3gk_gatekeeper::authorize::{authorize, Caller};
use s3gk_protocol::sign::{Authorization, Keyring, VerifyPolicy};
use s3gk_protocol::{GatekeeperId, Operation};
use s3gk_wire::AuthorizeRequest;

const CONNECTIONS: usize = 64;

fn bodies(client: &Client, n: usize) -> Vec<serde_json::Value> {
    (0..n).map(|i| client.signed(&client.request(Operation::Get, &format!("tickets/{}/report.json", i % 97)))).collect()
}

fn crypto_floor(client: &Client, gk_key: &ed25519_dalek::SigningKey) -> Duration {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a"));
    let auth = Authorization {
        request: b64.decode(body["request"].as_str().unwrap()).unwrap(),
        vendor_key_id: VENDOR_KEY_ID.into(),
        vendor_signature: b64.decode(body["vendor_signature"].as_str().unwrap()).unwrap().try_into().unwrap(),
        client_signature: b64.decode(body["client_signature"].as_str().unwrap()).unwrap().try_into().unwrap(),
    };
    let mut keys = Keyring::new();
    keys.insert(s3gk_protocol::KeyId::new(VENDOR_KEY_ID).unwrap(), client.vendor.verifying_key().as_bytes()).unwrap();
    let policy = VerifyPolicy {
        gatekeeper_id: GatekeeperId::new(GATEKEEPER_ID).unwrap(),
        root: s3gk_protocol::policy::object_key::RootPrefix::new("tickets/").unwrap(),
        time: Default::default(),
        vendor_keys: keys,
    };
    let acl = s3gk_protocol::policy::acl::Acl::default();
    let key_id = s3gk_protocol::KeyId::new("gk").unwrap();
    let rounds = 5000;
    let start = Instant::now();
    for i in 0..rounds {
        let verified = auth.verify(&policy, now()).unwrap();
        let grant = verified.check_acl(&acl, "127.0.0.1".parse().unwrap(), "US".parse().ok()).unwrap();
        std::hint::black_box(grant.receipt(i, now()).sign(gk_key, &key_id));
    }
    start.elapsed() / u32::try_from(rounds).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    println!("machine: {} cores; {} requests per phase; {} concurrent", num_cpus(), n, CONNECTIONS);

    let floor = crypto_floor(&client, &stack.gatekeeper_key);
    println!(
        "crypto floor (2 x verify_strict + 1 sign): {:.1} us/request = {:.0} req/s on one core",
        micros(floor),
        1e6 / micros(floor)
    );

    // In-process: the whole pipeline including presigning and the durable audit append.
    let work: Vec<AuthorizeRequest> =
        bodies(&client, n).into_iter().map(|b| serde_json::from_value(b).unwrap()).collect();
    let work = Arc::new(std::sync::Mutex::new(work));
    let caller = Caller {
        peer: "127.0.0.1".parse().unwrap(),
        forwarded_for: vec![],
        user_agent: "bench".into(),
        origin: String::new(),
    };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (gk, work, caller) = (stack.gk.clone(), work.clone(), caller.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = work.lock().unwrap().pop() else { break };
                authorize(&gk, &caller, &body, SystemTime::now()).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed();
    let in_process_rps = n as f64 / elapsed.as_secs_f64();
    println!(
        "in-process authorize: {in_process_rps:.0} req/s ({:.1} us/request of wall time); ratio to crypto floor: {:.2}",
        micros(elapsed) / n as f64,
        (micros(elapsed) / n as f64) / micros(floor)
    );

    // HTTP over loopback, 64 keep-alive connections.
    let work = Arc::new(std::sync::Mutex::new(bodies(&client, n)));
    let url = format!("{}/v1/authorize", stack.base);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (work, url) = (work.clone(), url.clone());
        let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1).build().unwrap();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = work.lock().unwrap().pop() else { break };
                let sent = Instant::now();
                let resp = http.post(&url).json(&body).send().await.unwrap();
                assert_eq!(resp.status(), 200);
                resp.bytes().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    println!(
        "HTTP authorize: {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        millis(percentile(&latencies, 0.5)),
        millis(percentile(&latencies, 0.99)),
        millis(*latencies.last().unwrap())
    );
    let (seq, _) = stack.gk.audit.head();
    println!("audit entries committed: {seq}");
    stack.stop().await;
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
