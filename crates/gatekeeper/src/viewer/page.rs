//! The viewer's page (the HTML shell) and the Content-Security-Policy of every viewer answer.
//!
//! The shell carries, as data, what the frame trusts: the gatekeeper's id and pinned key, the
//! vendor origins, where the client and the renderers are and their digests. Scripts run only by
//! hash: the import map (inline, hashed), the frame's module and every module it imports are
//! listed by SHA-384 in `script-src` and, through the import map's `integrity`, checked by the
//! browser before they run. No `'self'`, no host source and no `'strict-dynamic'` in
//! `script-src`: a script whose bytes are not pinned does not run, wherever it comes from.
//!
//! The policy also sandboxes the page itself (`sandbox` without `allow-popups` or
//! `allow-top-navigation`), so the customer's gatekeeper, not the embedding page, decides that the
//! frame opens no window and never navigates the page around it.
//!
//! This module must never build a policy with `'unsafe-inline'`, `'unsafe-eval'` or a wildcard,
//! and never put text into the page without escaping it for its place.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::files::{ClientFiles, CLIENT_MODULE, CLIENT_WASM, FRAME_JS, REPORT_JS, VIEWER_CSS};
use super::sri::Integrity;
use super::{Identity, ViewerSettings, BUILT_IN_RENDERER};

/// The page and its policy.
pub(super) struct Built {
    pub(super) page: String,
    pub(super) policy: String,
}

/// JSON that is safe between `<script>` tags: `<`, `>` and `&` escaped, so no text in it can
/// close the element or start a comment.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The client file at `path`, as the page names it (relative to the page, `/v1/viewer/`).
fn client_url(path: &str) -> String {
    format!("./client/{path}")
}

fn client_wasm_integrity(client: &ClientFiles) -> String {
    client.get(CLIENT_WASM).map(|f| f.integrity.to_string()).unwrap_or_default()
}

/// Builds the page and the policy.
pub(super) fn build(settings: &ViewerSettings, identity: &Identity<'_>) -> Built {
    let mut renderers = Map::new();
    renderers.insert(BUILT_IN_RENDERER.to_owned(), json!("./report.js"));
    let mut integrity = Map::new();
    let mut scripts: BTreeSet<Integrity> = BTreeSet::new();
    let frame = Integrity::of(FRAME_JS.as_bytes());
    let report = Integrity::of(REPORT_JS.as_bytes());
    scripts.extend([frame, report]);
    integrity.insert("./report.js".to_owned(), json!(report.to_string()));
    for file in settings.client.files().iter().filter(|f| f.path.ends_with(".js")) {
        integrity.insert(client_url(&file.path), json!(file.integrity.to_string()));
        scripts.insert(file.integrity);
    }
    for pin in &settings.renderers {
        renderers.insert(pin.name.clone(), json!(pin.url));
        integrity.insert(pin.url.clone(), json!(pin.integrity.to_string()));
        scripts.insert(pin.integrity);
    }
    let config = json!({
        "gatekeeperId": identity.gatekeeper_id,
        "gatekeeperKeyId": identity.key_id,
        "gatekeeperPublicKey": identity.public_key,
        "vendorOrigins": settings.vendor_origins,
        "client": {
            "module": client_url(CLIENT_MODULE),
            "wasm": client_url(CLIENT_WASM),
            "wasmIntegrity": client_wasm_integrity(&settings.client),
        },
        "renderers": renderers,
    });
    let import_map = script_json(&json!({ "imports": {}, "integrity": integrity }));
    let map_hash = Integrity::of(import_map.as_bytes());
    let css = Integrity::of(VIEWER_CSS.as_bytes());
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Report viewer</title>
<link rel="stylesheet" href="viewer.css" integrity="{css}">
<script type="application/json" id="viewer-config">{config}</script>
<script type="importmap">{import_map}</script>
<script type="module" src="frame.js" integrity="{frame}"></script>
</head>
<body aria-busy="true">
<main>
<p id="viewer-status" class="status" role="status">Loading the report…</p>
<div id="viewer-error" class="error" role="alert" hidden>
<h2>The report cannot be shown</h2>
<p id="viewer-error-message"></p>
<p class="muted">Code: <code id="viewer-error-code"></code></p>
</div>
<div id="viewer-report"></div>
</main>
</body>
</html>
"#,
        config = script_json(&config),
    );
    let script_sources: Vec<String> = std::iter::once(map_hash).chain(scripts).map(|i| i.source()).collect();
    let policy = [
        "default-src 'none'".to_owned(),
        format!("script-src {} 'wasm-unsafe-eval'", script_sources.join(" ")),
        "style-src 'self'".to_owned(),
        "img-src blob:".to_owned(),
        format!("connect-src 'self' {}", settings.bucket_origin),
        format!("frame-ancestors {}", settings.vendor_origins.join(" ")),
        "base-uri 'none'".to_owned(),
        "form-action 'none'".to_owned(),
        // Whatever the embedding page sets: no popups, no navigating the vendor's page.
        "sandbox allow-scripts allow-same-origin allow-forms allow-downloads".to_owned(),
    ]
    .join("; ");
    Built { page, policy }
}

#[cfg(test)]
mod tests {
    use super::script_json;
    use serde_json::json;

    #[test]
    fn json_in_a_script_element_cannot_close_it() {
        let text = script_json(&json!({ "a": "</script><script>alert(1)</script><!--&" }));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["a"], "</script><script>alert(1)</script><!--&");
    }
}
