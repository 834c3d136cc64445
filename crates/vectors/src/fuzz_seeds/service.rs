//! Seeds for the gatekeeper service's fuzz targets: `client_ip`, `authorize_http`, `config` and
//! `audit_chain`.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Case, Corpora};

/// `client_ip`: the ACL vectors' addresses and networks behind a proxy, with a spoofed entry.
pub(super) fn client_ip(c: &mut Corpora, case: &Case) {
    if case.kind() != "acl" {
        return;
    }
    let ip = case.text("client_ip").unwrap_or("");
    let networks: Vec<&str> = ["allow_cidrs", "deny_cidrs"]
        .iter()
        .filter_map(|k| case.text(k))
        .flat_map(|v| v.split(','))
        .filter(|n| !n.is_empty() && *n != "any")
        .collect();
    let trusted = ["10.0.0.0/8", "2001:db8:aa::/48"].iter().chain(&networks).copied().collect::<Vec<_>>().join(",");
    let seeds = [
        ("proxied", format!("10.0.0.1\n{trusted}\n1.2.3.4, {ip}, 10.1.1.1\n10.2.2.2")),
        ("ipv6-proxy", format!("2001:db8:aa::1\n{trusted}\n{ip}")),
        ("untrusted-peer", format!("{ip}\n{trusted}\ngarbage, 10.0.0.9")),
        ("mapped-peer", format!("::ffff:10.0.0.1\n{trusted}\n::ffff:{ip},{ip}")),
    ];
    for (suffix, text) in seeds {
        c.seed("client_ip", &format!("{}-{suffix}", case.name), text.into_bytes());
    }
    c.tokens("client_ip", [ip].into_iter().chain(networks.iter().copied()));
    c.tokens("client_ip", ["::ffff:", "10.0.0.0/8", ", ", "\n", "/0", "/128", "[", "]:80", ":443", "unknown"]);
}

/// `authorize_http`: the signature vectors' authorizations as `POST /v1/authorize` bodies.
pub(super) fn authorize(c: &mut Corpora, case: &Case) -> Result<(), String> {
    if case.kind() != "signature" {
        return Ok(());
    }
    let b64 = |key: &str| case.hex(key).map(|v| B64.encode(v.unwrap_or_default()));
    let body = serde_json_like(&[
        ("request", b64("request")?),
        ("vendor_key_id", case.text("presented_vendor_key_id").unwrap_or("").to_owned()),
        ("vendor_signature", b64("vendor_signature")?),
        ("client_signature", b64("client_signature")?),
    ]);
    let variants: [(&str, u8, &str); 8] = [
        ("signed", 0x04, ""),
        ("signed-via-proxy", 0x05, "203.0.113.7"),
        ("signed-public", 0x06, ""),
        ("signed-mapped", 0x07, ""),
        ("signed-replayed", 0x44, ""),
        ("raw", 0x00, ""),
        ("text-plain", 0x0c, ""),
        ("put-method", 0x14, ""),
    ];
    for (suffix, flags, forwarded) in variants {
        let len = u8::try_from(forwarded.len()).unwrap_or(0);
        let seed = [&[flags, len][..], forwarded.as_bytes(), body.as_bytes()].concat();
        c.seed("authorize_http", &format!("{}-{suffix}", case.name), seed);
    }
    let fields = ["\"request\"", "\"vendor_key_id\"", "\"vendor_signature\"", "\"client_signature\"", "\"decision\""];
    c.tokens("authorize_http", fields.iter().chain(&["{", "}", ":", ",", "\"\"", "null", "==", "\\u0000"]));
    c.tokens("authorize_http", [case.text("presented_vendor_key_id").unwrap_or("")]);
    Ok(())
}

/// A JSON object of string fields (the values here need no escaping: base64 and key ids).
fn serde_json_like(fields: &[(&str, String)]) -> String {
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":\"{v}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

/// `config`: the shipped configuration files, each also with every `key = value` line dropped in
/// turn and with the audit store switched, and their keys, sections and values as a dictionary.
pub(super) fn config(c: &mut Corpora, repo: &Path) -> Result<(), String> {
    let files = [
        ("example", "crates/gatekeeper/gatekeeper.example.toml"),
        ("efs-sqlite", "deploy/gatekeeper.efs-sqlite.toml"),
        ("postgres", "deploy/gatekeeper.postgres.toml"),
    ];
    for (name, path) in files {
        let text = std::fs::read_to_string(repo.join(path)).map_err(|e| format!("{path}: {e}"))?;
        let lines: Vec<&str> =
            text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()).collect();
        c.seed("config", name, lines.join("\n").into_bytes());
        for (i, line) in lines.iter().enumerate() {
            if let Some((key, value)) = line.split_once(" = ") {
                let rest: Vec<&str> = lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| *l).collect();
                c.seed("config", &format!("{name}-without-{i:02}"), rest.join("\n").into_bytes());
                let value = value.split(" #").next().unwrap_or(value).trim();
                c.tokens("config", [key.trim(), value, &format!("{} = ", key.trim())]);
            } else if line.starts_with('[') {
                c.tokens("config", [line.trim()]);
            }
        }
        let postgres = lines.join("\n").replace(
            "store = \"sqlite\"",
            "store = \"postgres\"\npostgres_url = \"env:GK_AUDIT_POSTGRES_URL\"\npostgres_tls = \"disable\"",
        );
        c.seed("config", &format!("{name}-postgres"), postgres.into_bytes());
    }
    c.tokens("config", ["env:", "file:", "\"any\"", "[]", "= [", "\"postgres\"", "\"sqlite\"", "\"require\""]);
    c.tokens("config", ["\"disable\"", "_UNSET", "true", "false", "http://127.0.0.1", "https://", "::ffff:", "/0"]);
    Ok(())
}

/// `audit_chain`: its input is a list of edits read with `arbitrary`, so any bytes are an input;
/// the seeds are no edit at all and a few fixed byte strings of growing length.
pub(super) fn audit(c: &mut Corpora) {
    c.seed("audit_chain", "untouched", Vec::new());
    for (i, len) in [4usize, 12, 24, 48, 96, 160].iter().enumerate() {
        let bytes: Vec<u8> =
            (0u8..=255).flat_map(|j| Sha256::digest([u8::try_from(i).unwrap_or(0), j]).to_vec()).take(*len).collect();
        c.seed("audit_chain", &format!("edits-{i}"), bytes);
    }
    c.tokens("audit_chain", ["granted", "denied", "get", "put", "list_prefix", "gk-2026-01", "acme-gk.example:eu-1"]);
}
