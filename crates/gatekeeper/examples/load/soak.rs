//! The soak (`load soak`, run by `scripts/soak.sh`): open-loop load at a constant rate against a
//! fresh gatekeeper process per rate, with the SQLite store.
//!
//! Request `i` is due at `start + i / rate` whatever happened to the ones before it (open loop),
//! and its latency is measured from that intended time to the end of its answer, so a stall
//! counts against every request it delayed (no coordinated omission). An error is an answer other
//! than its kind's ([`Kind::expected_refusal`]; a grant must also pass the client's check), a 5xx,
//! or a transport error. At most 64 requests are in flight, over at most 64 connections per
//! client address, as through a proxy's connection pool; a request waiting for one waits inside
//! its measured latency. (Unbounded, a stall of a fraction of a second made the client open
//! hundreds of connections, and the gatekeeper's RSS kept that high-water mark.) At the end the
//! gatekeeper is stopped and `gatekeeper audit verify` must pass.
//!
//! The gatekeeper's RSS is read from `/proc/PID/status` after the warm-up and at the end, and
//! traced at every tenth of the run. The warm-up lasts [`WARMUP_REQUESTS`] requests (at most half
//! the run): the in-memory replay cache holds each nonce until `expires_at + max_skew` (15 s
//! here) but purges each of its 16 shards only every 4,096 inserts, so it grows until about
//! 65,536 nonces have been spent. A shorter warm-up would count that first growth as drift (at
//! 500/s it takes about three minutes). Its shards are rebuilt at each purge, so their tables do
//! not grow again afterwards (`docs/benchmarks.md`, "Soak", has the run before that fix).

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::client::{post, Answer, Post, Signer};
use crate::mix::{produce, Job, Kind};
use crate::procs::{rss_kib, Keys, Site, Store, S3};
use crate::traffic::seeded_prefix;
use crate::{Context as _, Fallible, Programs};

/// Rates and duration.
pub(crate) struct Plan {
    pub(crate) duration_secs: u64,
    pub(crate) rates: Vec<u32>,
    pub(crate) fail_on_drift: bool,
}

/// How long a granted body stays a candidate for a replay.
const REPLAY_WITHIN: Duration = Duration::from_secs(2);
/// Requests before the RSS drift's first sample: about 80,000 spent nonces with this mix (73 in
/// 100 requests spend one), past the replay cache's first purge of every shard (16 × 4,096).
const WARMUP_REQUESTS: u64 = 110_000;
/// Requests in flight at most (and so connections per client address).
const CONNECTIONS: usize = 64;
/// How many recent grants are kept as replay candidates.
const RECENT_GRANTS: usize = 256;

/// What the sending tasks record.
#[derive(Default)]
struct Stats {
    latencies_us: Vec<u32>,
    by_kind: BTreeMap<Kind, (u64, u64)>,
    errors: u64,
    first_errors: Vec<String>,
    recent_grants: VecDeque<(Instant, Vec<u8>)>,
}

pub(crate) async fn run(programs: &Programs, plan: Plan) -> Fallible<()> {
    crate::in_work_folder("s3gk-soak-", programs.keep, |work| async move { run_in(programs, &plan, &work).await }).await
}

async fn run_in(programs: &Programs, plan: &Plan, work: &Path) -> Fallible<()> {
    let keys = Keys::generate(programs, work)?;
    let s3 = S3::start(programs, work).await?;
    let signer = Arc::new(Signer::new(&keys, 10)?);
    let mut failures = Vec::new();
    for &rate in &plan.rates {
        let dir = work.join(format!("rate-{rate}"));
        std::fs::create_dir(&dir).context("rate folder")?;
        let store = Store::Sqlite(dir.join("audit.db"));
        let mut site = Site { programs, keys: &keys, s3: &s3, store, dir, max_skew_secs: 5, starts: 0 };
        if let Err(e) = one_rate(&mut site, &signer, rate, plan).await {
            println!("rate {rate}/s: FAILED: {e}");
            failures.push(format!("{rate}/s: {e}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let index = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    f64::from(sorted.get(index).copied().unwrap_or(0)) / 1000.0
}

async fn one_rate(site: &mut Site<'_>, signer: &Arc<Signer>, rate: u32, plan: &Plan) -> Fallible<()> {
    let mut gk = site.start().await?;
    let pid = gk.process.pid().context("gatekeeper pid")?;
    let http = reqwest::Client::builder().no_proxy().build().context("HTTP client")?;
    let seeded = seeded_prefix(&format!("soak-{rate}"));
    for i in 0..2 {
        let key = format!("{seeded}object-{i}.bin");
        crate::client::upload(signer, &http, &gk.url, &key, b"an object for the prefix reads").await?;
    }
    let clients = Arc::new(Clients::new()?);
    let total = u64::from(rate) * plan.duration_secs;
    let warmup_secs = WARMUP_REQUESTS.div_ceil(u64::from(rate)).min(plan.duration_secs / 2).max(2);
    let warmup = Duration::from_secs(warmup_secs);
    let mut jobs = produce(signer.clone(), total, (rate as usize / 2).max(64), seeded);
    let stats = Arc::new(Mutex::new(Stats::default()));
    // Let the producer fill its queue before the clock starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Instant::now();
    let mut rss_start = None;
    let mut rss_peak = 0;
    // RSS read every second; kept at every tenth of the run, to tell a plateau from a climb.
    let mut next_rss = start + Duration::from_secs(1);
    let trace_every = Duration::from_secs((plan.duration_secs / 10).max(1));
    let mut next_trace = start + trace_every;
    let mut trace: Vec<(u64, u64, usize)> = Vec::new();
    let mut tasks = JoinSet::new();
    for i in 0..total {
        let intended = start + Duration::from_secs_f64(i as f64 / f64::from(rate));
        let Some(job) = jobs.recv().await else { return Err("the request producer stopped early".to_owned()) };
        tokio::time::sleep_until(intended.into()).await;
        let job = take_replay(job, &stats);
        tasks.spawn(send(job, intended, clients.clone(), gk.url.clone(), signer.clone(), stats.clone()));
        while tasks.try_join_next().is_some() {}
        if Instant::now() >= next_rss {
            let rss = rss_kib(pid)?;
            if start.elapsed() >= warmup {
                rss_start.get_or_insert(rss);
            }
            rss_peak = rss_peak.max(rss);
            next_rss += Duration::from_secs(1);
            if Instant::now() >= next_trace {
                trace.push((start.elapsed().as_secs(), rss, open_files(pid)));
                next_trace += trace_every;
            }
        }
    }
    let sent_for = start.elapsed();
    while tasks.join_next().await.is_some() {}
    let rss_end = rss_kib(pid)?;
    rss_peak = rss_peak.max(rss_end);
    let rss_start = rss_start.unwrap_or(rss_end);
    gk.process.terminate(Duration::from_secs(30)).await.context("stop the gatekeeper")?;
    let verified = site.verify(None);

    let mut stats = std::mem::take(&mut *stats.lock().unwrap_or_else(|p| p.into_inner()));
    stats.latencies_us.sort_unstable();
    let l = &stats.latencies_us;
    let drift = (rss_end as f64 - rss_start as f64) / rss_start as f64 * 100.0;
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "rate {rate}/s for {} s: sent {} in {:.1} s ({:.1}/s); errors {}",
        plan.duration_secs,
        l.len(),
        sent_for.as_secs_f64(),
        l.len() as f64 / sent_for.as_secs_f64(),
        stats.errors
    );
    let mix: Vec<String> = stats.by_kind.iter().map(|(k, (n, e))| format!("{} {n} ({e} errors)", k.name())).collect();
    println!("  mix: {}", mix.join(", "));
    println!(
        "  latency from the intended send time: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        percentile(l, 0.5),
        percentile(l, 0.99),
        percentile(l, 0.999),
        percentile(l, 1.0)
    );
    println!(
        "  gatekeeper RSS: {:.1} MiB after the {} s warm-up, {:.1} MiB at the end ({drift:+.1}%), peak {:.1} MiB",
        mib(rss_start),
        warmup.as_secs(),
        mib(rss_end),
        mib(rss_peak)
    );
    let trace: Vec<String> = trace.iter().map(|(t, kib, fds)| format!("{t} s {:.1} ({fds})", mib(*kib))).collect();
    println!("  RSS in MiB (open files) by time: {}", trace.join(", "));
    match &verified {
        Ok(line) => println!("  audit verify: {line}"),
        Err(e) => println!("  audit verify FAILED: {e}"),
    }
    for e in &stats.first_errors {
        println!("  error: {e}");
    }
    verified?;
    if stats.errors > 0 {
        return Err(format!("{} errors", stats.errors));
    }
    if plan.fail_on_drift && drift >= 10.0 {
        return Err(format!("RSS drift {drift:+.1}% (limit +10%)"));
    }
    Ok(())
}

/// How many files process `pid` has open (its sockets among them).
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// The two HTTP clients: from 127.0.0.1, and from 127.0.0.2 (refused by the ACL).
/// At most [`CONNECTIONS`] requests are in flight, so at most that many connections are open per
/// client address, as through a proxy's connection pool.
struct Clients {
    main: reqwest::Client,
    denied: reqwest::Client,
    in_flight: tokio::sync::Semaphore,
}

impl Clients {
    fn new() -> Fallible<Clients> {
        let build = |from: &str| {
            let local = from.parse().ok();
            let builder = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(CONNECTIONS);
            builder.local_address(local).timeout(Duration::from_secs(30)).build().context("HTTP client")
        };
        let in_flight = tokio::sync::Semaphore::new(CONNECTIONS);
        Ok(Clients { main: build("127.0.0.1")?, denied: build("127.0.0.2")?, in_flight })
    }
}

/// A replay slot takes the body of a recent grant; with none at hand it goes out as its get.
fn take_replay(mut job: Job, stats: &Mutex<Stats>) -> Job {
    if job.kind != Kind::Replay {
        return job;
    }
    let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
    while let Some((granted_at, body)) = stats.recent_grants.pop_front() {
        if granted_at.elapsed() < REPLAY_WITHIN {
            job.body = body;
            job.signed = None;
            return job;
        }
    }
    job.kind = Kind::Get;
    job
}

async fn send(
    job: Job,
    intended: Instant,
    clients: Arc<Clients>,
    url: String,
    signer: Arc<Signer>,
    stats: Arc<Mutex<Stats>>,
) {
    // A request waiting for a connection waits inside its measured latency.
    let Ok(_permit) = clients.in_flight.acquire().await else { return };
    let http = if job.from_denied_address { &clients.denied } else { &clients.main };
    let body = job.body;
    let answer = post(http, Post { url: &url, content_type: job.content_type, body: body.clone() }).await;
    let latency = intended.elapsed();
    let verdict = match (job.kind.expected_refusal(), answer) {
        (None, Answer::Granted(grant)) => match &job.signed {
            Some(signed) => signer.check(grant, &signed.prepared).map(|_| ()),
            None => Err("a grant for a request the harness did not sign".to_owned()),
        },
        (Some((status, code)), Answer::Refused(s, c)) if s == status && c == code => Ok(()),
        (_, Answer::Granted(_)) => Err("granted".to_owned()),
        (_, Answer::Refused(s, c)) => Err(format!("answered {s} {c}")),
        (_, Answer::Transport) => Err("transport error".to_owned()),
    };
    let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
    stats.latencies_us.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    let failed = verdict.is_err();
    let counts = stats.by_kind.entry(job.kind).or_default();
    counts.0 += 1;
    counts.1 += u64::from(failed);
    match verdict {
        Ok(()) if job.kind == Kind::Get => {
            if stats.recent_grants.len() >= RECENT_GRANTS {
                stats.recent_grants.pop_front();
            }
            stats.recent_grants.push_back((Instant::now(), body));
        }
        Ok(()) => {}
        Err(e) => {
            stats.errors += 1;
            if stats.first_errors.len() < 10 {
                stats.first_errors.push(format!("{}: {e}", job.kind.name()));
            }
        }
    }
}
