//! The crash-consistency rounds (`load crash`, run by `scripts/crash-test.sh`).
//!
//! For each store (SQLite, then PostgreSQL), one gatekeeper process at a time: load, SIGKILL at a
//! random moment, start again, check. With PostgreSQL, one round in three also SIGKILLs the
//! postmaster during the load and starts it again while the gatekeeper runs on, and one in three
//! SIGKILLs it together with the gatekeeper. After every restart: `audit verify` passes (with the
//! receipts kept so far, when the binary takes `--receipts`); every grant of the round is in the
//! log as received; a sample of the round's granted bodies sent again is refused `replayed_nonce`,
//! and each refusal is in the log. At the end: a clean stop, verify, and every grant of the run
//! compared with the whole log; no seq given twice. Any grant lost fails the run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::{OsRng, RngCore as _};

use crate::check::{self, Log};
use crate::client::{self, json, post, Answer, GrantRecord, Post, Signer};
use crate::pg::Postgres;
use crate::procs::{Keys, Site, Store, S3};
use crate::traffic::{self, seeded_prefix};
use crate::{Context as _, Fallible, Programs};

/// How many rounds, and how many requests in flight.
pub(crate) struct Plan {
    pub(crate) sqlite_rounds: u32,
    pub(crate) postgres_rounds: u32,
    pub(crate) concurrency: usize,
}

/// Granted bodies sent again after each restart.
const REPLAY_SAMPLE: usize = 20;

/// Sums over the run.
#[derive(Default)]
struct Totals {
    rounds: u32,
    database_kills: u32,
    grants: u64,
    objects: u64,
    lost: u64,
    reused: u64,
    replays: u64,
}

/// What happens to the database in a PostgreSQL round.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outage {
    None,
    /// The postmaster is killed during the load and started again; the gatekeeper runs on.
    DuringLoad,
    /// The postmaster is killed just before the gatekeeper, and started again before it.
    WithGatekeeper,
}

/// A uniformly random duration in `[low, high)` milliseconds.
fn random_ms(low: u64, high: u64) -> Duration {
    Duration::from_millis(low + OsRng.next_u64() % (high - low))
}

pub(crate) async fn run(programs: &Programs, plan: Plan) -> Fallible<()> {
    crate::in_work_folder("s3gk-crash-", programs.keep, |work| async move { run_in(programs, &plan, &work).await })
        .await
}

async fn run_in(programs: &Programs, plan: &Plan, work: &Path) -> Fallible<()> {
    let keys = Keys::generate(programs, work)?;
    let s3 = S3::start(programs, work).await?;
    let signer = Arc::new(Signer::new(&keys, 60)?);
    let mut totals = Totals::default();
    let site =
        |store: Store, dir: PathBuf| Site { programs, keys: &keys, s3: &s3, store, dir, max_skew_secs: 60, starts: 0 };
    if plan.sqlite_rounds > 0 {
        let dir = work.join("sqlite");
        std::fs::create_dir(&dir).context("sqlite folder")?;
        let mut site = site(Store::Sqlite(dir.join("audit.db")), dir);
        store_rounds(&mut site, None, plan, &signer, &mut totals).await?;
    }
    if plan.postgres_rounds > 0 {
        let dir = work.join("postgres");
        std::fs::create_dir(&dir).context("postgres folder")?;
        let pg = Postgres::start(&dir).await?;
        let mut site = site(Store::Postgres(pg.url_file.clone()), dir);
        store_rounds(&mut site, Some(&pg), plan, &signer, &mut totals).await?;
    }
    println!(
        "crash test: {} rounds ({} sqlite, {} postgres; the database killed too in {})",
        totals.rounds, plan.sqlite_rounds, plan.postgres_rounds, totals.database_kills
    );
    println!(
        "grants checked: {} (+{} prefix-read objects); grants lost: {}; seqs used twice: {}; replays refused and audited: {}",
        totals.grants, totals.objects, totals.lost, totals.reused, totals.replays
    );
    if totals.lost > 0 || totals.reused > 0 {
        return Err(format!("{} grants lost, {} seqs used twice", totals.lost, totals.reused));
    }
    Ok(())
}

/// The rounds on one store, then the final checks of the whole log.
async fn store_rounds(
    site: &mut Site<'_>,
    pg: Option<&Postgres>,
    plan: &Plan,
    signer: &Arc<Signer>,
    totals: &mut Totals,
) -> Fallible<()> {
    let name = site.store.name();
    let rounds = if pg.is_some() { plan.postgres_rounds } else { plan.sqlite_rounds };
    let receipts_path = site.dir.join("receipts.jsonl");
    let mut receipts = std::fs::File::create(&receipts_path).context("receipts file")?;
    let with_receipts = site.verify_takes_receipts().then_some(receipts_path.as_path());
    let http = reqwest::Client::builder().no_proxy().build().context("HTTP client")?;
    let mut gk = site.start().await?;

    // Objects for the prefix reads, uploaded as a browser client would.
    let seeded = seeded_prefix(name);
    let mut all: Vec<GrantRecord> = Vec::new();
    for i in 0..3 {
        let key = format!("{seeded}object-{i}.bin");
        all.push(client::upload(signer, &http, &gk.url, &key, format!("seeded object {i}").as_bytes()).await?);
    }
    let mut pending = all.len();
    let mut all_replays: Vec<usize> = Vec::new();
    let mut head: Option<u64> = None;
    let mut lost_in_rounds = 0;

    for round in 1..=rounds {
        let outage = match (pg.is_some(), round % 3) {
            (true, 1) => Outage::DuringLoad,
            (true, 2) => Outage::WithGatekeeper,
            _ => Outage::None,
        };
        let load = traffic::start(signer.clone(), gk.url.clone(), seeded.clone(), plan.concurrency)?;
        let started = Instant::now();
        let mut note = String::new();
        if let (Some(pg), Outage::DuringLoad) = (pg, outage) {
            tokio::time::sleep(random_ms(200, 800)).await;
            pg.kill_postmaster();
            tokio::time::sleep(random_ms(100, 500)).await;
            let took = pg.start_again().await?;
            note = format!("; database killed during the load, up again in {:.1} s", took.as_secs_f64());
            tokio::time::sleep(random_ms(300, 1200)).await;
        } else {
            tokio::time::sleep(random_ms(300, 1500)).await;
        }
        if let (Some(pg), Outage::WithGatekeeper) = (pg, outage) {
            pg.kill_postmaster();
            note = "; database killed with it".to_owned();
        }
        load.announce_kill();
        gk.process.kill();
        let killed_at = started.elapsed();
        let tally = load.finish().await?;
        if let (Some(pg), Outage::WithGatekeeper) = (pg, outage) {
            pg.start_again().await?;
        }
        if outage != Outage::None {
            totals.database_kills += 1;
        }
        gk = site.start().await?;

        // This round's grants (the first round's include the seeding puts), receipts kept.
        let base = all.len() - pending;
        all.extend(tally.grants);
        pending = 0;
        for g in all.get(base..).context("round grants")? {
            writeln!(receipts, "{}", g.receipt_line()).context("receipts file")?;
        }
        receipts.flush().context("receipts file")?;
        let verified = site.verify(with_receipts)?;

        // Bodies granted before the kill, sent again: each must be refused as a replay.
        let round_grants = all.len() - base;
        let mut sample: Vec<usize> = Vec::new();
        while sample.len() < REPLAY_SAMPLE.min(round_grants) {
            let index = base + (OsRng.next_u64() as usize % round_grants);
            if !sample.contains(&index) {
                sample.push(index);
            }
        }
        for &index in &sample {
            let g = all.get(index).context("a sampled grant")?;
            let answer =
                post(&http, Post { url: &gk.url, content_type: "application/json", body: json(&g.body) }).await;
            match answer {
                Answer::Refused(403, code) if code == "replayed_nonce" => {}
                Answer::Refused(status, code) => {
                    return Err(format!(
                        "seq {}: re-sent after the restart, answered {status} {code}",
                        g.receipt.sequence
                    ))
                }
                Answer::Granted(_) => {
                    return Err(format!("seq {}: re-sent after the restart, granted again", g.receipt.sequence))
                }
                Answer::Transport => return Err("no answer to a re-sent body".to_owned()),
            }
        }

        let export = site.dir.join(format!("export-round-{round:02}.jsonl"));
        site.export(head, &export)?;
        let log = Log::read(&export)?;
        let _ = std::fs::remove_file(&export);
        let replays: Vec<usize> = sample.iter().map(|i| i - base).collect();
        let found = check::compare(&log, all.get(base..).context("round grants")?, &replays);
        head = log.head().or(head);
        all_replays.extend(&sample);
        for problem in &found.problems {
            println!("  LOST: {problem}");
        }
        totals.rounds += 1;
        lost_in_rounds += found.lost;
        println!(
            "{name} round {round:2}/{rounds}: killed at {:.2} s{note}; {} grants (+{} objects) checked, {} lost; \
             {} answered 503, {} cut; {}/{} re-sent bodies refused as replays and audited; verify {}",
            killed_at.as_secs_f64(),
            found.grants,
            found.objects,
            found.lost,
            tally.unavailable,
            tally.cut,
            found.replays_audited,
            sample.len(),
            verified.trim_start_matches("ok: ").split(',').next().unwrap_or_default(),
        );
    }

    // A clean stop (final checkpoint), then the whole log against every grant of the run.
    gk.process.terminate(Duration::from_secs(20)).await.context("stop the gatekeeper")?;
    let verified = site.verify(with_receipts)?;
    let export = site.dir.join("export-all.jsonl");
    site.export(None, &export)?;
    let log = Log::read(&export)?;
    let _ = std::fs::remove_file(&export);
    let found = check::compare(&log, &all, &all_replays);
    let reused = check::reused_seqs(&all);
    check::canary(log, &all)?;
    for problem in &found.problems {
        println!("  LOST: {problem}");
    }
    println!(
        "{name}: {} grants (+{} objects) compared with the whole log, {} lost; seqs used twice: {}; {} replays audited; \
         receipts {}; verify {verified}",
        found.grants,
        found.objects,
        found.lost,
        reused.len(),
        found.replays_audited,
        if with_receipts.is_some() { "checked by audit verify --receipts" } else { "kept (this binary has no --receipts)" },
    );
    totals.grants += found.grants;
    totals.objects += found.objects;
    totals.lost += lost_in_rounds.max(found.lost);
    totals.reused += reused.len() as u64;
    totals.replays += found.replays_audited;
    Ok(())
}
