//! The PostgreSQL audit store and shared replay cache, against a real server: several handles (as
//! several instances) appending into one chain, entries and hashes identical to SQLite's, every
//! kind of tampering named by verify, an outage failing closed, and the shared nonce table.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::postgres::PgServer;
use ed25519_dalek::SigningKey;
use s3gk_gatekeeper::audit::{
    self, AuditError, AuditLog, AuditSettings, AuditStore, Decision, NewEntry, PostgresSettings, PostgresTls,
    SearchQuery, VerifyFailure, VerifyProblem,
};
use s3gk_gatekeeper::replay::{ReplayCache, ReplayError};
use s3gk_gatekeeper::secret::Secret;
use s3gk_protocol::KeyId;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn store(url: &str) -> PostgresSettings {
    PostgresSettings::new(Secret::new(url.to_owned()), PostgresTls::Disable)
}

fn settings(url: &str) -> AuditSettings {
    AuditSettings { store: AuditStore::Postgres(store(url)), checkpoint_every: 10, ..AuditSettings::new("unused.db") }
}

async fn connect(s: &AuditSettings) -> Result<AuditLog, AuditError> {
    AuditLog::connect(s, Arc::new(key()), KeyId::new("gk-1").unwrap(), "gk.example:eu-1".to_owned()).await
}

/// A plausible entry whose fields vary with `i`.
fn sample(i: u64) -> NewEntry {
    let granted = !i.is_multiple_of(3);
    let time_ms = 1_700_000_000_000 + i * 1000;
    let mut e = if granted { NewEntry::granted(time_ms) } else { NewEntry::denied(time_ms, "acl_denied_ip") };
    e.operation = if i.is_multiple_of(2) { "get" } else { "put" }.to_owned();
    e.key = format!("reports/{}/r{i}.pdf", 2020 + i % 5);
    e.client_ip = format!("192.0.2.{}", i % 4);
    e.country = (i % 5 != 4).then(|| "DE".to_owned());
    e.user_agent = if i == 6 { "curl/8.5 O'Brien" } else { "Mozilla/5.0 (test)" }.to_owned();
    e.origin = "https://vendor.example".to_owned();
    e.vendor_key_id = "vendor-1".to_owned();
    e.nonce = Some([u8::try_from(i % 251).unwrap(); 16]);
    e.expires_at = Some(1_700_000_300 + i);
    e.request = vec![u8::try_from(i % 256).unwrap(); 40];
    e.vendor_signature = Some([1; 64]);
    e.client_signature = Some([2; 64]);
    e.gatekeeper_signature = granted.then_some([3; 64]);
    e
}

/// Appends `entry`, which needs no seq, and returns its seq.
async fn append(log: &AuditLog, entry: NewEntry) -> Result<u64, AuditError> {
    log.append(move |_| (entry, ())).await.map(|(seq, ())| seq)
}

async fn verify(url: &str) -> Result<audit::VerifyReport, VerifyFailure> {
    audit::verify(&AuditSettings::postgres(store(url)), &[key().verifying_key()]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_append_concurrently_into_one_chain() {
    let pg = PgServer::start();
    let s = settings(&pg.url());
    let (a, b) = (connect(&s).await.unwrap(), connect(&s).await.unwrap());
    let tasks: Vec<_> = (0..600u64)
        .map(|i| {
            let log = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let (seq, seen) = log.append(move |seq| (sample(i), seq)).await.unwrap();
                assert_eq!(seen, seq, "make saw the seq that append returned");
                seq
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for t in tasks {
        assert!(seqs.insert(t.await.unwrap()), "a seq was given twice");
    }
    assert_eq!(seqs, (1..=600).collect::<BTreeSet<u64>>());
    assert!(a.commit_count() + b.commit_count() < 600, "appends were not grouped");
    a.checkpoint().await.unwrap();
    let report = verify(&pg.url()).await.unwrap();
    assert_eq!((report.entries, report.unchecked_tail), (600, 0));
    assert_eq!(a.head(), (600, report.head_hash));

    // A restarted instance continues the chain where the database says it ends.
    a.close().await;
    assert_eq!(append(&a, sample(0)).await, Err(AuditError::Unavailable), "a closed log refuses");
    let c = connect(&s).await.unwrap();
    assert_eq!(c.head(), (600, report.head_hash));
    assert_eq!(append(&b, sample(601)).await, Ok(601));
    assert_eq!(append(&c, sample(602)).await, Ok(602));
    assert_eq!(verify(&pg.url()).await.unwrap().entries, 602);
}

#[tokio::test]
async fn entries_hashes_search_and_export_are_those_of_sqlite() {
    let pg = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let lite = AuditLog::open(
        &AuditSettings { checkpoint_every: 10, ..AuditSettings::new(dir.path().join("audit.db")) },
        Arc::new(key()),
        KeyId::new("gk-1").unwrap(),
        "gk.example:eu-1".to_owned(),
    )
    .unwrap();
    let postgres = connect(&settings(&pg.url())).await.unwrap();
    // U+0000 cannot be stored in PostgreSQL text: both stores hash and keep U+FFFD instead.
    let mut entries: Vec<NewEntry> = (1..=30).map(sample).collect();
    entries[0].vendor_key_id = "v\0x".into();
    entries[1].key = "reports/100%_x/y.pdf".into();
    for e in entries {
        let copy = e.clone();
        let (x, y) = (append(&lite, e).await.unwrap(), append(&postgres, copy).await.unwrap());
        assert_eq!(x, y);
    }
    assert_eq!(lite.head(), postgres.head(), "the same entries give the same chain");

    let queries = [
        SearchQuery::default(),
        SearchQuery { decision: Some(Decision::Denied), ..Default::default() },
        SearchQuery { ip: Some("192.0.2.1".into()), after_seq: Some(4), limit: 3, ..Default::default() },
        SearchQuery { key_prefix: Some("reports/100%".into()), ..Default::default() },
        SearchQuery { text: Some("o'brien".into()), ..Default::default() },
        SearchQuery { text: Some("_x".into()), ..Default::default() },
        SearchQuery { text: Some("\u{fffd}".into()), ..Default::default() },
        SearchQuery { operation: Some("put".into()), from_ms: Some(1_700_000_005_000), ..Default::default() },
    ];
    for q in &queries {
        let found = postgres.search(q).unwrap();
        assert_eq!(found, lite.search(q).unwrap(), "{q:?}");
    }
    assert_eq!(postgres.search(&queries[6]).unwrap().len(), 1);
    assert_eq!(postgres.unexpired_nonces(1_700_000_320).unwrap(), lite.unexpired_nonces(1_700_000_320).unwrap());

    let q = SearchQuery { limit: usize::MAX, ..Default::default() };
    let (mut from_pg, mut from_lite) = (Vec::new(), Vec::new());
    let lite_settings = AuditSettings::new(lite.path());
    assert_eq!(audit::export_jsonl(&AuditSettings::postgres(store(&pg.url())), &q, &mut from_pg).await.unwrap(), 30);
    audit::export_jsonl(&lite_settings, &q, &mut from_lite).await.unwrap();
    assert_eq!(String::from_utf8(from_pg).unwrap(), String::from_utf8(from_lite).unwrap());
    assert_eq!(verify(&pg.url()).await.unwrap().entries, 30);
}

/// A closed log of 25 entries, checkpointed at 10, 20 and 25.
async fn closed_log(url: &str) {
    let log = connect(&settings(url)).await.unwrap();
    for i in 1..=25 {
        append(&log, sample(i)).await.unwrap();
    }
    log.checkpoint().await.unwrap();
    log.close().await;
}

async fn tamper(pg: &PgServer, db: &str, sql: &str) {
    let changed = pg.client(db).await.execute(sql, &[]).await.unwrap();
    assert!(changed > 0, "tampering changed nothing: {sql}");
}

fn failure(seq: u64, problem: VerifyProblem) -> Result<audit::VerifyReport, VerifyFailure> {
    Err(VerifyFailure { seq: Some(seq), problem })
}

#[tokio::test]
async fn verify_names_each_kind_of_tampering_and_open_refuses_a_cut_log() {
    let pg = PgServer::start();
    let cases = [
        (
            "UPDATE audit_entries SET decision = 'granted', reason = 'granted' WHERE seq = 9",
            failure(9, VerifyProblem::HashMismatch),
        ),
        (
            "UPDATE audit_checkpoints SET time_ms = time_ms + 1 WHERE seq = 10",
            failure(10, VerifyProblem::BadCheckpointSignature),
        ),
        (
            "UPDATE audit_checkpoints SET head_hash = (SELECT hash FROM audit_entries WHERE seq = 9) WHERE seq = 10",
            failure(10, VerifyProblem::BadCheckpointSignature),
        ),
        (
            "UPDATE audit_entries SET nonce = '\\x00'::bytea WHERE seq = 4",
            failure(4, VerifyProblem::Malformed("nonce")),
        ),
        ("UPDATE audit_entries SET prev_hash = hash WHERE seq = 12", failure(12, VerifyProblem::BrokenLink)),
        ("DELETE FROM audit_entries WHERE seq = 5", failure(5, VerifyProblem::Missing)),
        ("DELETE FROM audit_entries WHERE seq > 22", failure(23, VerifyProblem::Truncated)),
    ];
    for (i, (sql, expected)) in cases.into_iter().enumerate() {
        let db = format!("tampered_{i}");
        let url = pg.create_database(&db).await;
        closed_log(&url).await;
        assert_eq!(verify(&url).await.unwrap().checkpoints, 3);
        tamper(&pg, &db, sql).await;
        assert_eq!(verify(&url).await, expected, "{sql}");
    }
    // Entries cut off behind the head: the gatekeeper refuses to continue such a log.
    let url = pg.create_database("cut").await;
    closed_log(&url).await;
    tamper(&pg, "cut", "DELETE FROM audit_entries WHERE seq > 20").await;
    assert!(matches!(connect(&settings(&url)).await.err(), Some(AuditError::Corrupt { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_appends_closed_and_the_chain_continues_after_it() {
    let mut pg = PgServer::start();
    let log = connect(&settings(&pg.url())).await.unwrap();
    for i in 1..=5 {
        assert_eq!(append(&log, sample(i)).await, Ok(i));
    }
    pg.stop();
    for i in 0..3 {
        assert_eq!(append(&log, sample(i)).await, Err(AuditError::Unavailable));
    }
    assert!(log.search(&SearchQuery::default()).is_err(), "a search cannot answer either");
    assert_eq!(log.head().0, 5);
    pg.start_again();
    assert_eq!(append(&log, sample(6)).await, Ok(6), "the writer reconnects");
    assert_eq!(log.search(&SearchQuery::default()).unwrap().len(), 6, "the reader reconnects");
    assert_eq!(verify(&pg.url()).await.unwrap().entries, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_nonce_table_refuses_a_nonce_at_every_instance() {
    let mut pg = PgServer::start();
    let _tables = connect(&settings(&pg.url())).await.unwrap();
    let (a, b) = (Arc::new(ReplayCache::shared(store(&pg.url()))), Arc::new(ReplayCache::shared(store(&pg.url()))));
    assert_eq!(a.check_and_insert([1; 16], 100, 50).await, Ok(()));
    assert_eq!(b.check_and_insert([1; 16], 100, 60).await, Err(ReplayError::Replayed));
    assert_eq!(a.check_and_insert([1; 16], 100, 100).await, Err(ReplayError::Replayed));
    // Past its memory the time-window check refuses the request; the nonce may be reused.
    assert_eq!(b.check_and_insert([1; 16], 300, 101).await, Ok(()));
    assert_eq!(a.check_and_insert([1; 16], 300, 200).await, Err(ReplayError::Replayed));

    let racers: Vec<_> = (0..16)
        .map(|i| {
            let cache = if i % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
            tokio::spawn(async move { cache.check_and_insert([9; 16], 100, 1).await })
        })
        .collect();
    let mut passed = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(()) => passed += 1,
            Err(e) => assert_eq!(e, ReplayError::Replayed),
        }
    }
    assert_eq!(passed, 1, "concurrent copies of one nonce pass once across instances");

    pg.stop();
    assert_eq!(a.check_and_insert([2; 16], 100, 1).await, Err(ReplayError::Unavailable));
    pg.start_again();
    // Right after a failed attempt the cache refuses at once for a moment; poll until it reconnects.
    let mut again = a.check_and_insert([2; 16], 100, 1).await;
    for _ in 0..200 {
        if again != Err(ReplayError::Unavailable) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        again = a.check_and_insert([2; 16], 100, 1).await;
    }
    assert_eq!(again, Ok(()));
}

#[tokio::test]
async fn tls_is_required_and_the_server_certificate_checked() {
    let pg = PgServer::start_tls();
    let ca = pg.ca_file.clone().unwrap();
    let tls = |url: String, ca_file: Option<std::path::PathBuf>| PostgresSettings {
        url: Secret::new(url),
        tls: PostgresTls::Require,
        ca_file,
    };
    let audit = |pg: PostgresSettings| AuditSettings { store: AuditStore::Postgres(pg), ..settings("unused") };
    // The test CA is not one of the webpki roots.
    assert_eq!(connect(&audit(tls(pg.url(), None))).await.err(), Some(AuditError::Open));
    // The certificate does not name the host the URL names (the address is the right one).
    let named =
        |host: &str| format!("postgres://postgres:gk-test-password@{host}:{}/postgres?hostaddr=127.0.0.1", pg.port);
    assert_eq!(connect(&audit(tls(named("db.example"), Some(ca.clone())))).await.err(), Some(AuditError::Open));
    assert!(connect(&audit(tls(named("localhost"), Some(ca.clone())))).await.is_ok(), "the name it holds passes");

    let good = tls(pg.url(), Some(ca));
    let log = connect(&audit(good.clone())).await.unwrap();
    assert_eq!(append(&log, sample(1)).await, Ok(1));
    let cache = ReplayCache::shared(good.clone());
    assert_eq!(cache.check_and_insert([5; 16], 100, 1).await, Ok(()));
    let encrypted: i64 = pg
        .client("postgres")
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE ssl AND application_name = 's3-gatekeeper'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted >= 2, "the writer's and the replay cache's sessions use TLS ({encrypted})");
    assert_eq!(audit::verify(&AuditSettings::postgres(good), &[key().verifying_key()]).await.unwrap().entries, 1);
}
