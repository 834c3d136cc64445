//! `[viewer]`: off by default; when enabled, the vendor origins and the client folder are
//! required, every problem is named by its field, and the page's policy pins exactly the files
//! read and the renderers listed.

use super::*;
use crate::viewer::{Integrity, CLIENT_MODULE, CLIENT_WASM};

const MODULE: &str = "export default async function init() {}";
const WASM: &[u8] = b"\0asm\x01\0\0\0";

/// A client folder like the npm package's web build, with a snippet.
fn client_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("snippets/c-1/js")).unwrap();
    std::fs::write(dir.path().join(CLIENT_MODULE), MODULE).unwrap();
    std::fs::write(dir.path().join(CLIENT_WASM), WASM).unwrap();
    std::fs::write(dir.path().join("snippets/c-1/js/io.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("s3_gatekeeper_client.d.ts"), "declare").unwrap();
    dir
}

fn with_viewer(section: &str) -> String {
    format!("{}\n[viewer]\n{section}\n", minimal())
}

fn policy_of(s: &Settings) -> String {
    s.viewer.as_ref().unwrap().policy().to_str().unwrap().to_owned()
}

#[test]
fn off_unless_enabled_and_then_origins_and_the_client_are_required() {
    assert!(parse(&minimal()).unwrap().viewer.is_none());
    assert!(parse(&with_viewer("enabled = false\nvendor_origins = []")).unwrap().viewer.is_none());
    assert_eq!(paths(&with_viewer("enabled = true")), ["viewer.vendor_origins", "viewer.client_dir"]);
    let dir = client_dir();
    let text = with_viewer(&format!("enabled = true\nvendor_origins = []\nclient_dir = {:?}", dir.path()));
    assert_eq!(paths(&text), ["viewer.vendor_origins"]);
}

#[test]
fn every_viewer_problem_is_named_by_its_field() {
    let dir = client_dir();
    let text = with_viewer(&format!(
        r#"enabled = true
vendor_origins = ["https://vendor.example", "https://vendor.example", "https://*.vendor.example", "http://vendor.example"]
client_dir = {dir:?}
client_sha384 = ["sha256-x", "{absent}"]
bucket_origin = "https://bucket.example/path"
colour = "blue"
[[viewer.renderers]]
name = "report"
url = "https://vendor.example/r.js"
sha384 = "{pin}"
[[viewer.renderers]]
name = "Helpdesk"
url = "http://vendor.example/r.js"
sha384 = "sha384-short"
[[viewer.renderers]]
name = "ok"
url = "https://u:p@vendor.example/r.js#x"
[[viewer.renderers]]
name = "ok"
url = "https://vendor.example/r.js#x"
sha384 = "{pin}"
"#,
        dir = dir.path(),
        absent = Integrity::of(b"nothing"),
        pin = Integrity::of(b"r"),
    ));
    let mut got = paths(&text);
    got.sort();
    let mut want = vec![
        "viewer.colour",
        "viewer.vendor_origins[1]",
        "viewer.vendor_origins[2]",
        "viewer.vendor_origins[3]",
        "viewer.bucket_origin",
        "viewer.renderers[0].name",
        "viewer.renderers[1].name",
        "viewer.renderers[1].url",
        "viewer.renderers[1].sha384",
        "viewer.renderers[2].url",
        "viewer.renderers[2].sha384",
        "viewer.renderers[3].url",
        "viewer.client_sha384[0]",
        "viewer.client_sha384[1]",
        // Each file without a listed digest (the one valid pin matches none).
        "viewer.client_sha384",
        "viewer.client_sha384",
        "viewer.client_sha384",
    ];
    want.sort();
    assert_eq!(got, want);
    let missing =
        with_viewer("enabled = true\nvendor_origins = [\"https://v.example\"]\nclient_dir = \"/nonexistent\"");
    assert_eq!(paths(&missing), ["viewer.client_dir"]);
}

#[test]
fn the_page_pins_the_client_the_release_files_and_the_listed_renderers() {
    let dir = client_dir();
    let renderer = Integrity::of(b"export function render() {}");
    let text = with_viewer(&format!(
        r#"enabled = true
vendor_origins = ["https://helpdesk.vendor.example", "http://127.0.0.1:8080"]
client_dir = {dir:?}
[[viewer.renderers]]
name = "helpdesk"
url = "https://helpdesk.vendor.example/renderers/helpdesk.js"
sha384 = "{renderer}"
"#,
        dir = dir.path(),
    ));
    let s = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let policy = policy_of(&s);
    let directives: Vec<&str> = policy.split("; ").collect();
    assert_eq!(directives[0], "default-src 'none'");
    let script_src = directives[1];
    for pinned in [Integrity::of(MODULE.as_bytes()), Integrity::of(b"export {};"), renderer] {
        assert!(script_src.contains(&pinned.source()), "{pinned} in {script_src}");
    }
    assert!(script_src.ends_with(" 'wasm-unsafe-eval'") && !script_src.contains("'self'"), "{script_src}");
    assert!(!policy.contains("unsafe-inline") && !policy.contains(" 'unsafe-eval'") && !policy.contains('*'));
    assert_eq!(
        &directives[2..],
        [
            "style-src 'self'",
            "img-src blob:",
            // Path-style: the endpoint's origin.
            "connect-src 'self' http://127.0.0.1:9000",
            "frame-ancestors https://helpdesk.vendor.example http://127.0.0.1:8080",
            "base-uri 'none'",
            "form-action 'none'",
            "sandbox allow-scripts allow-same-origin allow-forms allow-downloads",
        ]
    );
    let viewer = s.viewer.as_ref().unwrap();
    let page = String::from_utf8(viewer.page().to_vec()).unwrap();
    assert!(page.contains(&format!("\"gatekeeperPublicKey\":\"{}\"", B64.encode(s.gatekeeper_public_key()))));
    assert!(page.contains("\"helpdesk\":\"https://helpdesk.vendor.example/renderers/helpdesk.js\""), "{page}");
    assert_eq!(viewer.file(&format!("client/{CLIENT_WASM}")).unwrap().bytes.as_ref(), WASM);
    assert!(viewer.file("client/s3_gatekeeper_client.d.ts").is_none());
    assert_eq!(viewer.pins().len(), 7, "three own files, three client files, one renderer");

    // Virtual-hosted addressing: the bucket's own host; an explicit origin wins.
    let hosted = text
        .replace("path_style = true", "path_style = false")
        .replace("http://127.0.0.1:9000", "https://s3.example.com");
    assert!(policy_of(&parse(&hosted).unwrap()).contains("connect-src 'self' https://reports.s3.example.com;"));
    let explicit = hosted.replace("enabled = true", "enabled = true\nbucket_origin = \"https://cdn.example\"");
    assert!(policy_of(&parse(&explicit).unwrap()).contains("connect-src 'self' https://cdn.example;"));
}

#[test]
fn client_pins_must_list_exactly_the_files() {
    let dir = client_dir();
    let pins = [Integrity::of(MODULE.as_bytes()), Integrity::of(WASM), Integrity::of(b"export {};")];
    let list = |pins: &[Integrity]| pins.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
    let text = |pins: &[Integrity]| {
        with_viewer(&format!(
            "enabled = true\nvendor_origins = [\"https://v.example\"]\nclient_dir = {:?}\nclient_sha384 = [{}]",
            dir.path(),
            list(pins)
        ))
    };
    assert!(parse(&text(&pins)).is_ok());
    // The client changed on disk: the gatekeeper refuses to start rather than serve it.
    std::fs::write(dir.path().join(CLIENT_MODULE), "export default 2;").unwrap();
    let errors = parse(&text(&pins)).unwrap_err();
    let messages: Vec<String> = errors.problems().iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with(&format!("viewer.client_sha384: {CLIENT_MODULE} has sha384-")), "{messages:?}");
    assert_eq!(messages[1], "viewer.client_sha384[0]: no file in client_dir has this digest");
}
