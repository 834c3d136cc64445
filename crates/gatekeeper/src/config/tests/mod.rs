//! Tests of configuration loading: the example file, defaults, ACL tables and file-relative paths.
//! `problems.rs`: every problem reported with its path, and secrets kept out of errors and `Debug`;
//! `viewer.rs`: the `[viewer]` section.

use std::collections::HashMap;

use s3gk_protocol::policy::acl::{CountryCode, Rules, DEFAULT_ALLOWED_COUNTRIES};

use super::*;

mod audit_store;
mod problems;
mod viewer;

const EXAMPLE: &str = include_str!("../../../gatekeeper.example.toml");
const SAMPLE_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geolite2-country-sample.mmdb");
const SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const MASTER_HEX: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ADMIN_TOKEN: &str = "0123456789abcdef0123456789abcdef-admin";
const VENDOR_PUB: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn env_map() -> HashMap<&'static str, String> {
    HashMap::from([
        ("GK_SIGNING_KEY", SEED_HEX.to_owned()),
        ("GK_MASTER_KEY_1", MASTER_HEX.to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET.to_owned()),
        ("AWS_SESSION_TOKEN", "session-token-value".to_owned()),
        ("GK_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("S3GK_GEO_DB", SAMPLE_DB.to_owned()),
    ])
}

fn parse(text: &str) -> Result<Settings, ConfigErrors> {
    let env = env_map();
    Settings::from_toml_str(text, &|k| env.get(k).cloned())
}

/// The paths of every problem.
fn paths(text: &str) -> Vec<String> {
    parse(text).unwrap_err().problems().iter().map(|p| p.path.clone()).collect()
}

fn minimal() -> String {
    format!(
        r#"gatekeeper_id = "gk"
signing_key = "env:GK_SIGNING_KEY"
signing_key_id = "gk-1"
[[vendor_keys]]
id = "v1"
public_key = "{VENDOR_PUB}"
[[master_keys]]
id = "mk-1"
key = "env:GK_MASTER_KEY_1"
[s3]
endpoint = "http://127.0.0.1:9000"
region = "us-east-1"
bucket = "reports"
path_style = true
access_key_id = "test"
secret_access_key = "env:AWS_SECRET_ACCESS_KEY"
"#
    )
}

fn cc(s: &str) -> CountryCode {
    s.parse().unwrap()
}

#[test]
fn example_file_parses_with_its_documented_values() {
    let s = parse(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.gatekeeper_id, "acme-gk");
    assert_eq!(s.verify.gatekeeper_id.as_str(), "acme-gk");
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.signing_key_id.as_str(), "gk-2026-01");
    assert_eq!(s.signing_key.to_bytes().as_slice(), hex::decode(SEED_HEX).unwrap().as_slice());
    assert_eq!(s.verify.time, TimePolicy::new(300, 60).unwrap());
    assert!(s.verify.vendor_keys.get("vendor-2026-01").is_some());
    assert_eq!(s.master_keys.len(), 1);
    assert_eq!(s.master_keys[0].id().as_str(), "mk-1");
    assert_eq!(s.s3.endpoint.as_str(), "https://s3.eu-west-1.amazonaws.com/");
    assert_eq!(
        (s.s3.region.as_str(), s.s3.bucket.as_str(), s.s3.path_style),
        ("eu-west-1", "acme-helpdesk-reports", false)
    );
    assert_eq!(s.s3.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(s.s3.secret_access_key.expose(), AWS_SECRET);
    assert_eq!(s.s3.session_token.as_ref().unwrap().expose(), "session-token-value");
    assert_eq!(s.s3.presign_expiry_secs, 60);
    assert_eq!(s.verify.root.as_str(), "");
    assert_eq!(s.trusted_proxies, vec!["10.0.0.0/8".parse::<Cidr>().unwrap()]);
    assert_eq!(s.cors_origins, vec!["https://helpdesk.vendor.example"]);
    assert_eq!(s.geo.database.as_deref(), Some(Path::new(SAMPLE_DB)));
    assert_eq!((s.geo.loopback_country, s.geo.private_country), (None, None));
    assert_eq!(s.acl.get.deny_cidrs, vec!["203.0.113.0/24".parse::<Cidr>().unwrap()]);
    assert_eq!(s.acl.get, s.acl.list_prefix);
    // [acl.put] replaces the default entirely: no deny list inherited.
    assert_eq!(s.acl.put.allow_cidrs.as_ref().map(Vec::len), Some(2));
    assert_eq!((s.acl.put.allow_countries.as_ref(), s.acl.put.deny_cidrs.len()), (None, 0));
    assert_eq!(s.audit.path, Path::new("audit.db"));
    assert_eq!(s.audit.checkpoint_every, 1000);
    assert_eq!(s.audit.max_db_pages, Some(262_144));
    assert_eq!(s.admin_token.as_ref().unwrap().expose(), ADMIN_TOKEN);
    let limits = Limits {
        max_body_bytes: 16384,
        max_header_bytes: 16384,
        max_headers: 100,
        request_timeout: Duration::from_secs(10),
        max_list_objects: 1000,
    };
    assert_eq!(s.limits, limits);
    assert!(s.viewer.is_none(), "the example documents the viewer but leaves it off");
}

#[test]
fn defaults_of_a_minimal_file() {
    let s = parse(&minimal()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.acl, Acl::default());
    let default_countries: Vec<CountryCode> = DEFAULT_ALLOWED_COUNTRIES.iter().map(|c| cc(c)).collect();
    assert_eq!(s.acl.get.allow_countries, Some(default_countries));
    assert!(s.trusted_proxies.is_empty() && s.cors_origins.is_empty());
    assert!(s.admin_token.is_none() && s.s3.session_token.is_none());
    assert_eq!((s.audit.path.as_path(), s.audit.max_db_pages), (Path::new("audit.db"), None));
    assert_eq!(s.s3.presign_expiry_secs, 60);
    assert_eq!(s.verify.time, TimePolicy::default());
    let seed: [u8; 32] = hex::decode(SEED_HEX).unwrap().try_into().unwrap();
    assert_eq!(s.gatekeeper_public_key(), SigningKey::from_bytes(&seed).verifying_key().to_bytes());
}

#[test]
fn acl_tables_any_and_empty_lists() {
    let text = format!(
        "{}\n[acl.default]\nallow_countries = \"any\"\ndeny_countries = [\"ru\"]\n[acl.put]\nallow_cidrs = []\n\
         [acl.list_prefix]\nallow_cidrs = \"any\"\nallow_countries = [\"NL\"]\n",
        minimal()
    );
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.acl.get, Rules { allow_countries: None, deny_countries: vec![cc("RU")], ..Rules::default() });
    assert_eq!(s.acl.put, Rules { allow_cidrs: Some(vec![]), ..Rules::default() });
    assert_eq!(s.acl.list_prefix, Rules { allow_countries: Some(vec![cc("NL")]), ..Rules::default() });
}

#[test]
fn load_resolves_paths_against_the_file_folder() {
    let dir = tempfile::tempdir().unwrap();
    let admin = dir.path().join("admin-token");
    std::fs::write(&admin, format!("{ADMIN_TOKEN}\n")).unwrap();
    std::fs::copy(SAMPLE_DB, dir.path().join("geo.mmdb")).unwrap();
    let text = format!(
        "{}\n[geo]\ndatabase = \"geo.mmdb\"\n[audit]\npath = \"logs/audit.db\"\nadmin_token = \"file:{}\"\n",
        minimal(),
        admin.display()
    );
    let file = dir.path().join("gatekeeper.toml");
    std::fs::write(&file, text.replace("env:GK_SIGNING_KEY", "file:/nonexistent/seed")).unwrap();
    let errs = Settings::load(&file).unwrap_err();
    assert!(errs.problems().iter().any(|p| p.path == "signing_key" && p.message.contains("cannot read")), "{errs}");

    // Through the process environment, which load() reads: skip the env-dependent fields.
    let seed = dir.path().join("seed");
    std::fs::write(&seed, SEED_HEX).unwrap();
    let master = dir.path().join("master");
    std::fs::write(&master, MASTER_HEX).unwrap();
    let aws = dir.path().join("aws");
    std::fs::write(&aws, AWS_SECRET).unwrap();
    let text = text
        .replace("env:GK_SIGNING_KEY", &format!("file:{}", seed.display()))
        .replace("env:GK_MASTER_KEY_1", &format!("file:{}", master.display()))
        .replace("env:AWS_SECRET_ACCESS_KEY", &format!("file:{}", aws.display()));
    std::fs::write(&file, text).unwrap();
    let s = Settings::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.audit.path, dir.path().join("logs/audit.db"));
    assert_eq!(s.geo.database, Some(dir.path().join("geo.mmdb")));
    assert_eq!(s.admin_token.unwrap().expose(), ADMIN_TOKEN);
    assert!(Settings::load(&dir.path().join("absent.toml")).unwrap_err().to_string().starts_with("cannot read"));
}
