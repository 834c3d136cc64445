//! The dev stack's isolated viewer wiring: with the npm package's web build, the gatekeeper serves
//! the viewer for exactly the page's origins, the page may frame exactly the viewer's origin, the
//! vendor serves its renderer to that origin only, the gatekeeper pins the renderer's digest, and
//! S3 lets the viewer's origin fetch. Without the web build there is no viewer.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3gk_gatekeeper::viewer::{Integrity, CLIENT_MODULE, CLIENT_WASM};

const RENDERER: &str = "export async function render(view) { view.status('vendor layout'); }\n";

fn directive<'a>(policy: &'a str, name: &str) -> &'a str {
    policy.split(';').map(str::trim).find(|d| d.starts_with(&format!("{name} "))).unwrap_or("")
}

#[tokio::test]
async fn with_the_web_build_the_page_frames_the_gatekeepers_viewer() {
    let (dir, pkg) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::create_dir_all(pkg.path().join("web")).unwrap();
    std::fs::write(pkg.path().join("web").join(CLIENT_MODULE), "export default async function init() {}").unwrap();
    std::fs::write(pkg.path().join("web").join(CLIENT_WASM), b"\0asm\x01\0\0\0").unwrap();
    let renderer = pkg.path().join("helpdesk.js");
    std::fs::write(&renderer, RENDERER).unwrap();
    let mut config = config(dir.path());
    config.pkg = Some(pkg.path().to_owned());
    config.renderers = vec![("helpdesk".into(), renderer)];
    let stack = s3gk_devstack::DevStack::start(config).await.unwrap();
    let info = stack.info().clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let gatekeeper_origin = info.gatekeeper.clone();
    assert_eq!(info.viewer.as_deref(), Some(format!("{gatekeeper_origin}/v1/viewer/").as_str()));

    let page = http.get(&info.page).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(directive(&policy, "frame-src"), format!("frame-src {gatekeeper_origin}"));
    assert_eq!(directive(&policy, "child-src"), format!("child-src {gatekeeper_origin}"));
    let config: serde_json::Value =
        http.get(format!("{}/api/config", info.vendor)).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["viewer_url"].as_str(), info.viewer.as_deref());

    let viewer = http.get(info.viewer.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(viewer.status(), 200);
    let viewer_policy = viewer.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let port = info.vendor.rsplit(':').next().unwrap();
    assert_eq!(
        directive(&viewer_policy, "frame-ancestors"),
        format!("frame-ancestors http://127.0.0.1:{port} http://localhost:{port}")
    );
    assert_eq!(
        directive(&viewer_policy, "connect-src"),
        format!("connect-src 'self' {}", info.s3.trim_end_matches('/'))
    );
    let pin = Integrity::of(RENDERER.as_bytes()).source();
    assert!(directive(&viewer_policy, "script-src").contains(&pin), "{viewer_policy}");

    // The vendor serves its renderer to the viewer's origin, and to no other by CORS.
    let url = format!("{}/renderers/helpdesk.js", info.vendor);
    let served = http.get(&url).header("origin", &gatekeeper_origin).send().await.unwrap();
    assert_eq!(served.headers()["access-control-allow-origin"], gatekeeper_origin.as_str());
    assert_eq!(served.text().await.unwrap(), RENDERER);
    let other = http.get(&url).header("origin", "http://127.0.0.1:9").send().await.unwrap();
    assert_eq!(other.headers()["access-control-allow-origin"], gatekeeper_origin.as_str());
    assert_eq!(http.get(format!("{}/renderers/other.js", info.vendor)).send().await.unwrap().status(), 404);

    // S3 lets the viewer's origin fetch the presigned URLs.
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{}/{}/tickets/x", info.s3.trim_end_matches('/'), info.bucket))
        .header("origin", &gatekeeper_origin)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], gatekeeper_origin.as_str());
    stack.shutdown().await;
}

#[tokio::test]
async fn without_the_web_build_there_is_no_viewer_and_nothing_to_frame() {
    let dir = tempfile::tempdir().unwrap();
    let stack = start(dir.path(), false).await;
    let info = stack.info().clone();
    assert_eq!(info.viewer, None);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = http.get(&info.page).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!((directive(&policy, "frame-src"), directive(&policy, "child-src")), ("", ""));
    let viewer = http.get(format!("{}/v1/viewer/", info.gatekeeper)).send().await.unwrap();
    assert_eq!(viewer.status(), 404);

    let mut config = config(dir.path());
    config.renderers = vec![("helpdesk".into(), dir.path().join("absent.js"))];
    let refused = s3gk_devstack::DevStack::start(config).await.unwrap_err();
    assert!(refused.to_string().contains("needs --pkg"), "{refused}");
    stack.shutdown().await;
}
