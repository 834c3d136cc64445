//! `[audit] store`: SQLite by default, or PostgreSQL with its URL by reference, TLS required except
//! on loopback; each problem reported at its field, the URL's password never repeated.

use super::*;
use crate::audit::{AuditStore, PostgresTls};

const PG_URL: &str = "postgres://gatekeeper:pg-pass-w0rd@db.internal.example:5432/audit";

fn with_audit(section: &str, url: &str) -> Result<Settings, ConfigErrors> {
    let mut env = env_map();
    env.insert("GK_PG_URL", url.to_owned());
    let text = format!("{}\n[audit]\n{section}\n", minimal());
    Settings::from_toml_str(&text, &|k| env.get(k).cloned())
}

fn problems(section: &str, url: &str) -> Vec<(String, String)> {
    let errs = with_audit(section, url).unwrap_err();
    errs.problems().iter().map(|p| (p.path.clone(), p.message.clone())).collect()
}

#[test]
fn sqlite_is_the_default_store() {
    let s = parse(&minimal()).unwrap();
    assert!(matches!(s.audit.store, AuditStore::Sqlite));
    let s = with_audit("store = \"sqlite\"\npath = \"a.db\"", PG_URL).unwrap();
    assert!(matches!(s.audit.store, AuditStore::Sqlite));
}

#[test]
fn postgres_reads_its_url_by_reference_and_requires_tls_by_default() {
    let s =
        with_audit("store = \"postgres\"\npostgres_url = \"env:GK_PG_URL\"\ncheckpoint_every = 50", PG_URL).unwrap();
    let AuditStore::Postgres(pg) = &s.audit.store else { panic!("not postgres: {:?}", s.audit.store) };
    assert_eq!((pg.url.expose().as_str(), pg.tls, pg.ca_file.as_ref()), (PG_URL, PostgresTls::Require, None));
    assert_eq!(s.audit.checkpoint_every, 50);
    assert!(!format!("{s:?}").contains("pg-pass-w0rd"), "Debug shows the URL's password");

    let local = "postgres://gk:pw@127.0.0.1:5432/audit";
    let s = with_audit("store = \"postgres\"\npostgres_url = \"env:GK_PG_URL\"\npostgres_tls = \"disable\"", local);
    let AuditStore::Postgres(pg) = &s.unwrap().audit.store else { panic!("not postgres") };
    assert_eq!(pg.tls, PostgresTls::Disable);
}

#[test]
fn each_store_problem_is_reported_at_its_field() {
    let url = "postgres_url = \"env:GK_PG_URL\"";
    let at = |section: &str, value: &str| problems(section, value).into_iter().map(|p| p.0).collect::<Vec<_>>();
    assert_eq!(at("store = \"mysql\"", PG_URL), vec!["audit.store"]);
    assert_eq!(at("store = \"postgres\"", PG_URL), vec!["audit.postgres_url"]);
    assert_eq!(
        at(&format!("store = \"postgres\"\n{url}\npath = \"a.db\"\nmax_db_pages = 9"), PG_URL),
        vec!["audit.path", "audit.max_db_pages"]
    );
    assert_eq!(
        at(&format!("{url}\npostgres_tls = \"disable\""), PG_URL),
        vec!["audit.postgres_url", "audit.postgres_tls"]
    );
    assert_eq!(
        at(&format!("store = \"postgres\"\n{url}\npostgres_tls = \"verify\""), PG_URL),
        vec!["audit.postgres_tls"]
    );
    assert_eq!(
        at(&format!("store = \"postgres\"\n{url}\npostgres_tls = \"disable\""), PG_URL),
        vec!["audit.postgres_tls"]
    );
    assert_eq!(at(&format!("store = \"postgres\"\n{url}"), "postgres://gk:pw@[nope/audit"), vec!["audit.postgres_url"]);
    assert_eq!(at("store = \"postgres\"\npostgres_url = \"env:NOT_SET\"", PG_URL), vec!["audit.postgres_url"]);
    let missing_ca = format!("store = \"postgres\"\n{url}\npostgres_ca_file = \"/nonexistent/ca.pem\"");
    assert_eq!(at(&missing_ca, PG_URL), vec!["audit.postgres_ca_file"]);
}

#[test]
fn a_literal_url_is_refused_without_repeating_its_password() {
    let got = problems(&format!("store = \"postgres\"\npostgres_url = \"{PG_URL}\""), PG_URL);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "audit.postgres_url");
    assert!(got[0].1.contains("must be a reference") && !got[0].1.contains("pg-pass-w0rd"), "{got:?}");
    let bad = problems("store = \"postgres\"\npostgres_url = \"env:GK_PG_URL\"", "postgres://gk:pg-pass-w0rd@[x/db");
    assert!(bad.iter().all(|(_, m)| !m.contains("pg-pass-w0rd")), "{bad:?}");
}

#[test]
fn the_example_files_postgres_lines_parse() {
    let text = EXAMPLE
        .replace("store = \"sqlite\"", "store = \"postgres\"")
        .replace("\npath = \"audit.db\"", "")
        .replace("\nmax_db_pages = 262144", "")
        .replace("# postgres_url = ", "postgres_url = ")
        .replace("# postgres_tls = ", "postgres_tls = ");
    let mut env = env_map();
    env.insert("GK_POSTGRES_URL", PG_URL.to_owned());
    let s = Settings::from_toml_str(&text, &|k| env.get(k).cloned()).unwrap_or_else(|e| panic!("{e}"));
    let AuditStore::Postgres(pg) = &s.audit.store else { panic!("not postgres") };
    assert_eq!((pg.url.expose().as_str(), pg.tls), (PG_URL, PostgresTls::Require));
}
