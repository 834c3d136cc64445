//! Every problem in a configuration is reported with its field path; secrets never appear in a
//! problem message or in `Debug`.

use base64::Engine as _;

use super::*;

#[test]
fn every_problem_is_reported_with_its_path() {
    let text = r#"
gatekeeper_id = "bad id"
listen = "localhost"
signing_key = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
signing_key_id = "gk 1"
colour = "blue"
[time]
max_lifetime_secs = 0
max_skew_secs = -1
[limits]
max_body_bytes = 100
max_headers = 10
request_timeout_ms = "10s"
presign_expiry_secs = 7200
[[vendor_keys]]
id = "v1"
public_key = "0100000000000000000000000000000000000000000000000000000000000000"
[[vendor_keys]]
id = "v2"
public_key = "zz"
[[master_keys]]
id = "mk-1"
key = "env:MISSING_MASTER"
[s3]
endpoint = "http://s3.example.com/bucket"
region = "EU"
bucket = "Bad_Bucket"
secret_access_key = "literal"
[network]
trusted_proxies = ["0.0.0.0/0", "10.0.0.1/8"]
cors_origins = ["https://*.vendor.example", "https://ok.example/", 7]
[geo]
database = "/nonexistent/geo.mmdb"
loopback_country = "USA"
[acl.default]
allow_cidrs = ["10.0.0.0/8", "10.0.0.0/33", "fe80::/10"]
allow_countries = "all"
[acl.put]
allow_cidrs = ["1.2.3.4", "5.6.7.8", "nope"]
deny_countries = ["X1"]
[acl.delete]
[audit]
checkpoint_every = 2000000
max_db_pages = 0
admin_token = "env:SHORT_TOKEN"
"#;
    let got = paths(text);
    let expected = [
        "gatekeeper_id",
        "listen",
        "signing_key",
        "signing_key_id",
        "colour",
        "time.max_lifetime_secs",
        "time.max_skew_secs",
        "limits.max_body_bytes",
        "limits.max_headers",
        "limits.request_timeout_ms",
        "limits.presign_expiry_secs",
        "vendor_keys[0].public_key",
        "vendor_keys[1].public_key",
        "master_keys[0].key",
        "s3.endpoint",
        "s3.region",
        "s3.bucket",
        "s3.access_key_id",
        "s3.secret_access_key",
        "network.trusted_proxies[0]",
        "network.trusted_proxies[1]",
        "network.cors_origins[0]",
        "network.cors_origins[1]",
        "network.cors_origins[2]",
        "geo.database",
        "geo.loopback_country",
        "acl.default.allow_cidrs[1]",
        "acl.default.allow_countries",
        "acl.put.allow_cidrs[2]",
        "acl.put.deny_countries[0]",
        "acl.delete",
        "audit.checkpoint_every",
        "audit.max_db_pages",
        "audit.admin_token",
    ];
    for path in expected {
        assert!(got.iter().any(|g| g == path), "no problem reported at {path}; got {got:#?}");
    }
    for path in &got {
        assert!(expected.contains(&path.as_str()), "unexpected problem at {path}; got {got:#?}");
    }
}

#[test]
fn keys_that_are_not_bare_are_named_quoted() {
    // Found by the `config` fuzz target: an unknown table named `""` was reported at the empty
    // path, as if the problem concerned the whole file.
    let got = paths(&format!("{}\n[\"\"]\n[acl.\"a.b\"]\n[audit]\n\"x y\" = 1\n", minimal()));
    assert_eq!(got, vec![r#""""#, r#"acl."a.b""#, r#"audit."x y""#]);
}

#[test]
fn missing_sections_and_empty_key_lists() {
    let got = paths("gatekeeper_id = \"gk\"\nvendor_keys = []\n");
    for path in ["signing_key", "signing_key_id", "vendor_keys", "master_keys", "s3"] {
        assert!(got.iter().any(|g| g == path), "{path}: {got:?}");
    }
}

#[test]
fn duplicate_and_reused_keys_are_refused() {
    let text = format!(
        "{}\n[[vendor_keys]]\nid = \"v1\"\npublic_key = \"{}\"\n\
         [[master_keys]]\nid = \"mk-1\"\nkey = \"env:OTHER\"\n\
         [[master_keys]]\nid = \"mk-2\"\nkey = \"env:GK_MASTER_KEY_1\"\n\
         [[master_keys]]\nid = \"mk-3\"\nkey = \"env:GK_SIGNING_KEY\"\n",
        minimal(),
        base64::engine::general_purpose::STANDARD.encode(hex::decode(VENDOR_PUB).unwrap())
    );
    let mut env = env_map();
    env.insert("OTHER", "02".repeat(32));
    let errs = Settings::from_toml_str(&text, &|k| env.get(k).cloned()).unwrap_err();
    let got: Vec<(&str, &str)> = errs.problems().iter().map(|p| (p.path.as_str(), p.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("vendor_keys[1].id", "duplicate vendor key id"),
            ("master_keys[1].id", "duplicate master key id"),
            ("master_keys[2].key", "same key material as master key mk-1"),
            ("master_keys[3].key", "must differ from the signing key"),
        ]
    );
}

#[test]
fn secrets_never_reach_errors_or_debug() {
    // A literal secret where a reference belongs: refused without being repeated.
    let text = minimal().replace("env:AWS_SECRET_ACCESS_KEY", AWS_SECRET).replace("env:GK_SIGNING_KEY", SEED_HEX);
    let errs = parse(&text).unwrap_err().to_string();
    assert!(errs.contains("s3.secret_access_key: must be a reference"), "{errs}");
    assert!(!errs.contains(AWS_SECRET) && !errs.contains(SEED_HEX), "{errs}");
    // A referenced secret of the wrong shape: not repeated either.
    let mut env = env_map();
    env.insert("GK_SIGNING_KEY", "not-a-key-but-a-secret".to_owned());
    let errs = Settings::from_toml_str(&minimal(), &|k| env.get(k).cloned()).unwrap_err().to_string();
    assert!(
        errs.contains("signing_key: the referenced secret must be 32 bytes") && !errs.contains("not-a-key"),
        "{errs}"
    );
    // A syntax error on a line holding a secret: the position, not the line.
    let errs = parse(&format!("{}\nsigning_key = {SEED_HEX}\n", minimal())).unwrap_err().to_string();
    assert!(errs.starts_with("not valid TOML at line 18, column"), "{errs}");
    assert!(!errs.contains(SEED_HEX), "{errs}");

    let debug = format!("{:?}", parse(EXAMPLE).unwrap());
    let master_bytes = format!("{:?}", hex::decode(MASTER_HEX).unwrap());
    for secret in [SEED_HEX, MASTER_HEX, AWS_SECRET, ADMIN_TOKEN, "session-token-value", &master_bytes] {
        assert!(!debug.contains(secret), "Debug shows {secret}");
    }
    assert!(!debug.contains(&format!("{:?}", hex::decode(SEED_HEX).unwrap())));
}

#[test]
fn endpoints_buckets_and_origins() {
    let with = |from: &str, to: &str| paths(&minimal().replace(from, to));
    for bad in [
        "https://s3.example.com/path",
        "https://u:p@s3.example.com",
        "ftp://s3.example.com",
        "http://10.0.0.5:9000",
        "s3.example.com",
    ] {
        assert_eq!(with("http://127.0.0.1:9000", bad), vec!["s3.endpoint"], "{bad}");
    }
    assert!(parse(&minimal().replace("http://127.0.0.1:9000", "https://minio.internal.example:9000")).is_ok());
    assert!(parse(&minimal().replace("http://127.0.0.1:9000", "http://localhost:9000")).is_ok());
    // Dots in a bucket name are fine path-style, refused virtual-hosted over https.
    let dotted =
        minimal().replace("\"reports\"", "\"acme.reports\"").replace("http://127.0.0.1:9000", "https://s3.example.com");
    assert!(parse(&dotted).is_ok());
    assert_eq!(paths(&dotted.replace("path_style = true", "path_style = false")), vec!["s3.bucket"]);
    for bad in ["ab", "-abc", "abc-", "a..b", "192.168.1.1", "ABC"] {
        assert_eq!(with("\"reports\"", &format!("{bad:?}")), vec!["s3.bucket"], "{bad}");
    }
}
