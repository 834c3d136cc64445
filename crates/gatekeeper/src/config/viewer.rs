//! `[viewer]`: the isolated viewer. Off unless `enabled = true`; then the vendor origins and the
//! client folder are required, and the folder is read and hashed here, so `check-config` reports
//! a missing file or a digest that differs from a pin.
//!
//! Every pin is exact (`sha384-…`), every origin is exact (as in `[network]`), and a renderer's
//! URL is https (http only on loopback). Nothing here is lenient: a pin that does not match is a
//! problem, never a warning.

use std::path::Path;
use std::sync::Arc;

use url::Url;

use super::policy::{check_origin, is_loopback};
use super::reader::{Field, Problems, Section};
use super::services::relative_to;
use crate::s3::S3Settings;
use crate::viewer::{ClientFiles, Identity, Integrity, RendererPin, Viewer, ViewerSettings, BUILT_IN_RENDERER};

const KEYS: &[&str] = &["enabled", "vendor_origins", "client_dir", "client_sha384", "bucket_origin", "renderers"];
const RENDERER_KEYS: &[&str] = &["name", "url", "sha384"];

/// `[viewer]`, built into the served viewer when enabled and free of problems.
pub(super) fn viewer(
    root: &Section<'_>,
    s3: Option<&S3Settings>,
    base: Option<&Path>,
    identity: Option<Identity<'_>>,
    p: &mut Problems,
) -> Option<Arc<Viewer>> {
    let s = root.section("viewer", KEYS, p)?;
    let before = p.len();
    let enabled = s.bool("enabled", false, p);
    let vendor_origins = origins(&s, enabled, p);
    let bucket_origin = match s.str("bucket_origin", p) {
        Some(f) => check_origin(f.value).map(|()| f.value.to_owned()).map_err(|why| p.push(&f.path, why)).ok(),
        None => s3.and_then(|s3| s3.bucket_origin().ok()),
    };
    let renderers = renderers(&s, p);
    let pins = client_pins(&s, p);
    let client = match s.str("client_dir", p) {
        None if enabled => {
            p.push(s.field_path("client_dir"), "missing (required when enabled): the npm package's web build");
            None
        }
        Some(f) if enabled => {
            let dir = relative_to(base, f.value);
            ClientFiles::load(&dir).map_err(|why| p.push(&f.path, why)).ok()
        }
        _ => None,
    };
    if let (Some(client), Some(pins)) = (&client, &pins) {
        check_pins(client, pins, &s.field_path("client_sha384"), p);
    }
    if !enabled || p.len() > before {
        return None;
    }
    let settings = ViewerSettings { vendor_origins, bucket_origin: bucket_origin?, client: client?, renderers };
    match Viewer::new(&settings, identity?) {
        Ok(viewer) => Some(Arc::new(viewer)),
        Err(why) => {
            p.push(s.field_path("vendor_origins"), why);
            None
        }
    }
}

/// `vendor_origins`: exact origins, at least one when enabled.
fn origins(s: &Section<'_>, enabled: bool, p: &mut Problems) -> Vec<String> {
    let Some(list) = s.str_list("vendor_origins", p) else {
        if enabled && !s.has("vendor_origins") {
            p.push(s.field_path("vendor_origins"), "missing (required when enabled): the vendor pages that embed it");
        }
        return Vec::new();
    };
    if enabled && list.is_empty() {
        p.push(s.field_path("vendor_origins"), "at least one origin is needed to embed the viewer");
    }
    let mut origins: Vec<String> = Vec::new();
    for f in list {
        match check_origin(f.value) {
            Err(why) => p.push(&f.path, why),
            Ok(()) if origins.iter().any(|o| o == f.value) => p.push(&f.path, "duplicate origin"),
            Ok(()) => origins.push(f.value.to_owned()),
        }
    }
    origins
}

/// `[[viewer.renderers]]`: name, url, sha384; names distinct and not the built-in one.
fn renderers(s: &Section<'_>, p: &mut Problems) -> Vec<RendererPin> {
    let mut out: Vec<RendererPin> = Vec::new();
    for r in s.sections("renderers", RENDERER_KEYS, p) {
        let name = r.required_str("name", p).filter(|f| renderer_name(f, &out, p));
        let url = r.required_str("url", p).and_then(|f| renderer_url(&f, p));
        let integrity = r.required_str("sha384", p).and_then(|f| integrity(&f, p));
        if let (Some(name), Some(url), Some(integrity)) = (name, url, integrity) {
            out.push(RendererPin { name: name.value.to_owned(), url, integrity });
        }
    }
    out
}

/// A renderer's name: 1-32 of `a-z 0-9 -`, not the built-in renderer's, not taken.
fn renderer_name(f: &Field<&str>, taken: &[RendererPin], p: &mut Problems) -> bool {
    let plain = (1..=32).contains(&f.value.len())
        && f.value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !f.value.starts_with('-');
    let problem = if !plain {
        Some("expected 1-32 characters of a-z 0-9 -")
    } else if f.value == BUILT_IN_RENDERER {
        Some("\"report\" is the release's own renderer; choose another name")
    } else if taken.iter().any(|o| o.name == f.value) {
        Some("duplicate renderer name")
    } else {
        None
    };
    if let Some(why) = problem {
        p.push(&f.path, why);
    }
    problem.is_none()
}

fn integrity(f: &Field<&str>, p: &mut Problems) -> Option<Integrity> {
    Integrity::parse(f.value).map_err(|e| p.push(&f.path, e.to_string())).ok()
}

/// An absolute https URL (http on loopback) with no credentials and no fragment, normalized.
fn renderer_url(f: &Field<&str>, p: &mut Problems) -> Option<String> {
    let problem = match Url::parse(f.value) {
        Err(_) => Some("not an absolute URL"),
        Ok(u) if !matches!(u.scheme(), "https" | "http") => Some("the scheme must be https"),
        Ok(u) if u.scheme() == "http" && !is_loopback(u.host()) => Some("http is allowed only for loopback; use https"),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => Some("a URL with credentials is refused"),
        Ok(u) if u.fragment().is_some() => Some("a URL with a fragment is refused"),
        Ok(u) => return Some(u.to_string()),
    };
    if let Some(why) = problem {
        p.push(&f.path, why);
    }
    None
}

/// `client_sha384`, if present: the digests the client's files must have.
fn client_pins(s: &Section<'_>, p: &mut Problems) -> Option<Vec<(String, Integrity)>> {
    let list = s.str_list("client_sha384", p)?;
    Some(list.iter().filter_map(|f| integrity(f, p).map(|i| (f.path.clone(), i))).collect())
}

/// Every file must have a listed digest, and every listed digest must be a file's.
fn check_pins(client: &ClientFiles, pins: &[(String, Integrity)], path: &str, p: &mut Problems) {
    for file in client.files() {
        if !pins.iter().any(|(_, i)| *i == file.integrity) {
            p.push(path, format!("{} has {}, which is not listed", file.path, file.integrity));
        }
    }
    for (field, pin) in pins {
        if !client.files().iter().any(|f| f.integrity == *pin) {
            p.push(field, "no file in client_dir has this digest");
        }
    }
}
