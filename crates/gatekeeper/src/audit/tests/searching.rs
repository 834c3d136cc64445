//! Search filters, pagination, literal matching of caller text, and the JSON-lines export.

use super::*;
use crate::audit::{entry_json, export_jsonl, AuditEntry, AuditError, SearchQuery};

fn seqs(found: &[AuditEntry]) -> Vec<u64> {
    found.iter().map(|e| e.seq).collect()
}

/// Ten entries with distinct, checkable fields.
async fn fixture(dir: &Path) -> AuditLog {
    let log = open(&settings(dir));
    let mut entries: Vec<NewEntry> = (1..=10).map(sample_entry).collect();
    entries[0].key = "Reports/2024/upper.pdf".into();
    entries[1].key = "reports/a_b/x.pdf".into();
    entries[2].key = "reports/axb/x.pdf".into();
    entries[3].key = "reports/100%/y.pdf".into();
    entries[4].key = "reports/1000/y.pdf".into();
    entries[5].user_agent = "curl/8.5 O'Brien".into();
    entries[6].origin = "https://evil.example".into();
    entries[7].country = Some("FR".into());
    entries[8].operation = String::new();
    entries[8].reason = "malformed_request".into();
    append_all(&log, entries).await;
    log
}

fn q() -> SearchQuery {
    SearchQuery::default()
}

#[tokio::test]
async fn each_filter_selects_what_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path()).await;
    let search = |q: SearchQuery| seqs(&log.search(&q).unwrap());

    assert_eq!(search(q()), (1..=10).collect::<Vec<_>>());
    let t = |i: u64| 1_700_000_000_000 + i * 1000;
    assert_eq!(search(SearchQuery { from_ms: Some(t(8)), ..q() }), vec![8, 9, 10]);
    assert_eq!(search(SearchQuery { to_ms: Some(t(3)), ..q() }), vec![1, 2]);
    assert_eq!(search(SearchQuery { from_ms: Some(t(4)), to_ms: Some(t(6)), ..q() }), vec![4, 5]);
    assert_eq!(search(SearchQuery { ip: Some("192.0.2.1".into()), ..q() }), vec![1, 5, 9]);
    assert_eq!(search(SearchQuery { ip: Some("192.0.2".into()), ..q() }), Vec::<u64>::new());
    assert_eq!(search(SearchQuery { key_prefix: Some("reports/20".into()), ..q() }), vec![6, 7, 8, 9, 10]);
    assert_eq!(search(SearchQuery { key_prefix: Some("Reports/".into()), ..q() }), vec![1], "case-sensitive");
    assert_eq!(search(SearchQuery { decision: Some(Decision::Denied), ..q() }), vec![3, 6, 9]);
    assert_eq!(search(SearchQuery { decision: Some(Decision::Granted), ..q() }), vec![1, 2, 4, 5, 7, 8, 10]);
    assert_eq!(search(SearchQuery { operation: Some("put".into()), ..q() }), vec![1, 3, 5, 7]);
    assert_eq!(search(SearchQuery { operation: Some(String::new()), ..q() }), vec![9]);
    assert_eq!(search(SearchQuery { text: Some("EVIL".into()), ..q() }), vec![7], "origin, any ASCII case");
    assert_eq!(search(SearchQuery { text: Some("fr".into()), ..q() }), vec![8], "country");
    assert_eq!(search(SearchQuery { text: Some("malformed".into()), ..q() }), vec![9], "reason");
    assert_eq!(search(SearchQuery { text: Some("o'brien".into()), ..q() }), vec![6], "user agent, quote");
    assert_eq!(search(SearchQuery { text: Some("vendor-1".into()), ..q() }).len(), 10, "vendor key id");
    assert_eq!(search(SearchQuery { text: Some("192.0.2.3".into()), ..q() }), vec![3, 7], "client ip");
    assert_eq!(
        search(SearchQuery { decision: Some(Decision::Granted), ip: Some("192.0.2.0".into()), ..q() }),
        vec![4, 8],
        "filters combine with AND"
    );
}

#[tokio::test]
async fn pages_follow_after_seq_and_limits_are_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path()).await;
    let page1 = log.search(&SearchQuery { limit: 4, ..q() }).unwrap();
    assert_eq!(seqs(&page1), vec![1, 2, 3, 4]);
    let page2 = log.search(&SearchQuery { limit: 4, after_seq: Some(4), ..q() }).unwrap();
    assert_eq!(seqs(&page2), vec![5, 6, 7, 8]);
    assert_eq!(seqs(&log.search(&SearchQuery { limit: 0, ..q() }).unwrap()), vec![1]);
    assert_eq!(log.search(&SearchQuery { limit: usize::MAX, ..q() }).unwrap().len(), 10);
    let after_all = log.search(&SearchQuery { after_seq: Some(u64::MAX), ..q() }).unwrap();
    assert!(after_all.is_empty());
}

#[tokio::test]
async fn caller_text_is_always_literal() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path()).await;
    let search = |q: SearchQuery| seqs(&log.search(&q).unwrap());
    for injection in ["%' OR 1=1 --", "' OR '1'='1", "\") OR 1=1; DROP TABLE audit_entries; --", "\\"] {
        assert!(search(SearchQuery { text: Some(injection.into()), ..q() }).is_empty(), "{injection}");
        assert!(search(SearchQuery { key_prefix: Some(injection.into()), ..q() }).is_empty(), "{injection}");
        assert!(search(SearchQuery { ip: Some(injection.into()), ..q() }).is_empty(), "{injection}");
    }
    // Unescaped, `_` and `%` would match every entry; here they match only where they occur.
    assert_eq!(search(SearchQuery { text: Some("_".into()), ..q() }), vec![2, 3, 6, 9], "a_b and reason codes");
    assert_eq!(search(SearchQuery { text: Some("%".into()), ..q() }), vec![4], "percent is literal");
    assert_eq!(search(SearchQuery { text: Some("a_b".into()), ..q() }), vec![2], "not axb");
    assert_eq!(search(SearchQuery { key_prefix: Some("reports/a_".into()), ..q() }), vec![2]);
    assert_eq!(search(SearchQuery { key_prefix: Some("reports/100%".into()), ..q() }), vec![4]);
    assert_eq!(search(q()).len(), 10, "the table is intact");
    // A NUL is stored as U+FFFD: searched for, it finds only that, never every entry.
    let text = |t: &str| SearchQuery { text: Some(t.into()), ..q() };
    let prefix = |t: &str| SearchQuery { key_prefix: Some(t.into()), ..q() };
    for query in [text("\0"), text("reports/\0"), prefix("\0"), prefix("reports/\0"), text("\0%")] {
        assert!(search(query.clone()).is_empty(), "{query:?}");
    }
    let mut nul = sample_entry(11);
    nul.key = "reports/nul\0key.pdf".into();
    append_all(&log, vec![nul]).await;
    assert_eq!(search(text("nul\0key")), vec![11]);
    assert_eq!(search(prefix("reports/nul\0")), vec![11]);
    assert_eq!(search(text("nul\u{fffd}key")), vec![11], "the stored form");

    let long = "x".repeat(2000);
    let err = log.search(&SearchQuery { text: Some(long), ..q() }).unwrap_err();
    assert_eq!(err, AuditError::BadQuery("text"));
    assert_eq!(err.code(), "audit_bad_query");
}

#[tokio::test]
async fn export_writes_one_json_line_per_match() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture(dir.path()).await;
    let s = settings(dir.path());
    let mut out = Vec::new();
    let denied = SearchQuery { decision: Some(Decision::Denied), limit: usize::MAX, ..q() };
    assert_eq!(export_jsonl(&s, &denied, &mut out).await.unwrap(), 3);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let stored = log.search(&denied).unwrap();
    let first = &lines[0];
    assert_eq!(first["seq"], 3);
    assert_eq!(first["decision"], "denied");
    assert_eq!(first["key"], "reports/axb/x.pdf");
    assert_eq!(first["gatekeeper_signature"], serde_json::Value::Null);
    assert_eq!(first["nonce"], hex::encode([3u8; 16]));
    assert_eq!(first["request"], hex::encode(vec![3u8; 40]));
    assert_eq!(first["hash"], hex::encode(stored[0].hash));
    assert_eq!(lines[2]["seq"], 9);

    let mut all = Vec::new();
    assert_eq!(export_jsonl(&s, &SearchQuery { limit: usize::MAX, ..q() }, &mut all).await.unwrap(), 10);
    let mut two = Vec::new();
    let after = SearchQuery { after_seq: Some(3), limit: 2, ..q() };
    assert_eq!(export_jsonl(&s, &after, &mut two).await.unwrap(), 2, "limit caps the export");
    assert!(String::from_utf8(two).unwrap().starts_with("{\"seq\":4,"));
    assert_eq!(entry_json(&stored[0]), lines[0]);
    let missing = dir.path().join("missing.db");
    assert_eq!(export_jsonl(&AuditSettings::new(missing), &q(), &mut Vec::new()).await, Err(AuditError::Open));
}
