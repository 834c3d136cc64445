//! PostgreSQL stopped under load (`docs/api.md`, "Faults"): two gatekeeper instances share one
//! database while eight clients send grants without pause; the database is stopped (fast
//! shutdown, every session cut) and started again. While it is down every request is refused with
//! `audit_unavailable` or `replay_unavailable` (fail closed, 503), never granted and never another
//! error; once it is back both instances grant again without a restart; and every grant a client
//! received is in the one chain, as its receipt says (`verify --receipts`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::postgres::PgServer;
use common::*;
use ed25519_dalek::SigningKey;
use s3gk_gatekeeper::audit::{read_receipts, verify_with_receipts, AuditSettings, PostgresSettings, PostgresTls};
use s3gk_gatekeeper::secret::Secret;
use s3gk_protocol::Operation;

/// When each answer came, relative to the outage.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Phase {
    Before,
    Down,
    After,
}

/// What the clients saw: (phase, status, code) per answer, and the receipts of the grants.
#[derive(Default)]
struct Seen {
    answers: Vec<(Phase, u16, String)>,
    receipts: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_stopped_under_load_refuses_then_recovers_and_loses_no_grant() {
    let pg = PgServer::start();
    let on = || Options { postgres: Some(pg.url()), ..Options::default() };
    let (a, b) = (Stack::start(on()).await, Stack::start(on()).await);
    let phase = Arc::new(std::sync::Mutex::new(Phase::Before));
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let mut load = Vec::new();
    for i in 0..8 {
        let client = if i % 2 == 0 { a.client(None) } else { b.client(None) };
        let (phase, stop, seen) = (phase.clone(), stop.clone(), seen.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let asked_in = *phase.lock().unwrap();
                let (status, answer) =
                    client.authorize(&client.request(Operation::Get, &format!("tickets/{i}/{n}"))).await;
                // An answer that spans a phase change counts in the later phase.
                let answered_in = (*phase.lock().unwrap()).max(asked_in);
                let mut seen = seen.lock().unwrap();
                if status == 200 {
                    seen.receipts.push(answer["receipt"].to_string());
                }
                seen.answers.push((answered_in, status, code(&answer).to_owned()));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    *phase.lock().unwrap() = Phase::Down;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    *phase.lock().unwrap() = Phase::After;
    let mut pg = pg;
    pg = tokio::task::spawn_blocking(move || {
        pg.start_again();
        pg
    })
    .await
    .unwrap();
    // Until each instance granted again after the restart (or a minute: a gatekeeper that never
    // reconnects fails below).
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if seen.lock().unwrap().answers.iter().filter(|(p, s, _)| *p == Phase::After && *s == 200).count() >= 16 {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    a.stop().await;
    b.stop().await;

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let count = |phase: Phase, status: u16| seen.answers.iter().filter(|(p, s, _)| *p == phase && *s == status).count();
    for (phase, status, code) in &seen.answers {
        let fail_closed = *status == 503 && matches!(code.as_str(), "audit_unavailable" | "replay_unavailable");
        assert!(*status == 200 || fail_closed, "{phase:?}: {status} {code}");
        assert!(*phase != Phase::Down || *status != 200, "granted while the database was down");
    }
    assert!(count(Phase::Before, 200) > 0 && count(Phase::After, 200) >= 16, "grants before and after");
    assert!(count(Phase::Down, 503) > 0, "refusals while down");
    println!(
        "answers: {} ({} granted before, {} refused while down, {} granted after)",
        seen.answers.len(),
        count(Phase::Before, 200),
        count(Phase::Down, 503),
        count(Phase::After, 200)
    );

    // Every grant received is in the one chain, with the request and signatures of its receipt.
    let key = SigningKey::from_bytes(&seed(2)).verifying_key();
    let held = read_receipts(&seen.receipts.join("\n"), &[key]).unwrap();
    let sequences: BTreeSet<u64> = held.iter().map(|r| r.sequence()).collect();
    assert_eq!(sequences.len(), held.len(), "no sequence number was handed out twice");
    let settings = AuditSettings::postgres(PostgresSettings::new(Secret::new(pg.url()), PostgresTls::Disable));
    let report = verify_with_receipts(&settings, &[key], held).await.unwrap();
    assert_eq!(usize::try_from(report.receipts).unwrap(), seen.receipts.len(), "{report}");
}
