//! The gatekeeper's TOML configuration (`Settings::from_toml_str`): parsing and every check.
//!
//! Input: the text of a configuration. `env:NAME` references resolve to values the target makes
//! up from the name (a 32-byte key in hex, an admin token for `*TOKEN*`, a PostgreSQL URL with a
//! password for `*URL*`, nothing for `*_UNSET`; `S3GK_GEO_DB` names an existing file). Texts naming
//! `/dev`, `/proc` or `/sys` are skipped, since `file:` references and CA files are read.
//! Seeds: `gatekeeper.example.toml`, `deploy/gatekeeper.*.toml`, and variants that switch the
//! audit store and break single fields.
//! Oracles: nothing panics; an error lists at least one problem, each with a message, and each
//! names a field (a path that starts with a key of the file or a known top-level key), unless it
//! concerns the whole file (TOML syntax, incomplete configuration); no problem, and no `Debug` of
//! the settings, contains a secret value the environment gave out (the S3 access key id, which may
//! also be a reference, is not secret).
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use s3gk_gatekeeper::config::Settings;

const TOP_KEYS: &[&str] = &[
    "gatekeeper_id",
    "listen",
    "signing_key",
    "signing_key_id",
    "time",
    "limits",
    "vendor_keys",
    "master_keys",
    "s3",
    "network",
    "geo",
    "acl",
    "audit",
];

thread_local! {
    static GIVEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A made-up environment: a distinct value per name, remembered so no error may repeat it.
fn env(name: &str) -> Option<String> {
    if name.ends_with("_UNSET") {
        return None;
    }
    if name == "S3GK_GEO_DB" {
        return std::env::current_exe().ok().map(|p| p.display().to_string());
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let value = if name.contains("URL") {
        format!("postgres://gk:pw{h:016x}@127.0.0.1:5432/audit")
    } else if name.contains("TOKEN") {
        format!("token-{h:016x}{h:016x}")
    } else {
        format!("{h:016x}{:016x}{:016x}{:016x}", h.rotate_left(7), h.rotate_left(19), h.rotate_left(41))
    };
    GIVEN.with(|g| g.borrow_mut().push(value.clone()));
    Some(value)
}

/// The secret part of each value given out (the password of a URL, the whole of anything else).
fn secrets() -> Vec<String> {
    GIVEN.with(|g| {
        g.borrow().iter().map(|v| v.split_once(":pw").map_or(v.as_str(), |(_, rest)| &rest[..16]).to_owned()).collect()
    })
}

fn names_a_field(path: &str, file_keys: &[String]) -> bool {
    let starts = |key: &str| {
        path.strip_prefix(key).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    };
    // A key that is not bare appears quoted, as in the file.
    let quoted = |key: &str| toml::Value::String(key.to_owned()).to_string();
    TOP_KEYS.iter().any(|k| starts(k)) || file_keys.iter().any(|k| starts(k) || starts(&quoted(k)))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if ["/dev", "/proc", "/sys"].iter().any(|p| text.contains(p)) {
        return;
    }
    GIVEN.with(|g| g.borrow_mut().clear());
    let result = Settings::from_toml_str(text, &env);
    // A value the text itself contains may be echoed as part of a key: only the others are secret.
    let secrets: Vec<String> = secrets().into_iter().filter(|s| !text.contains(s.as_str())).collect();
    match result {
        Ok(settings) => {
            // The access key id may be a reference too, but it is not secret: `Debug` shows it.
            let debug = format!("{settings:?}");
            let leaked = secrets
                .iter()
                .filter(|s| !settings.s3.access_key_id.contains(s.as_str()))
                .find(|s| debug.contains(s.as_str()));
            assert_eq!(leaked, None, "a secret in the settings' Debug");
        }
        Err(errors) => {
            let problems = errors.problems();
            assert!(!problems.is_empty(), "an error without a problem");
            let file_keys: Vec<String> =
                text.parse::<toml::Table>().map(|t| t.keys().cloned().collect()).unwrap_or_default();
            for p in problems {
                assert!(!p.message.is_empty(), "a problem without a message at {:?}", p.path);
                if p.path.is_empty() {
                    let whole = p.message.starts_with("not valid TOML") || p.message == "incomplete configuration";
                    assert!(whole, "a problem that names no field: {:?}", p.message);
                } else {
                    assert!(names_a_field(&p.path, &file_keys), "a path that is no field: {:?}", p.path);
                }
                for s in &secrets {
                    assert!(!p.message.contains(s.as_str()) && !p.path.contains(s.as_str()), "a secret in {p:?}");
                }
            }
        }
    }
});
