//! The hostile-input suite: several hundred inputs an attacker would try, written from the threat
//! model (SECURITY.md, docs/protocol.md section 5, docs/api.md), each sent over real HTTP to a real
//! gatekeeper in front of a SigV4-checking S3. Every case is one row of a table in `hostile/`:
//! name, threat, how the input is built, the status and error code it must get, and whether the
//! decision must be in the audit log. At the end the test prints one summary line; it fails if any
//! case was accepted, answered 5xx without a documented cause, refused without an audit entry, or
//! answered anything else than its row says.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
// Items are `pub` for the sibling modules of this test crate, which exports nothing.
#![allow(unreachable_pub)]

mod common;

mod hostile {
    pub mod admin;
    pub mod base64_forms;
    pub mod cors;
    pub mod encodings;
    pub mod forge;
    pub mod harness;
    pub mod keys;
    pub mod proxies;
    pub mod replay;
    pub mod report;
    pub mod s3;
    pub mod s3_client;
    pub mod s3_objects;
    pub mod service;
    pub mod signatures;
    pub mod time;
    pub mod transport;
    pub mod wire;
}

use common::Options;
use hostile::harness::{run_group, Ctx};
use hostile::report::{summarize, Report};

/// The ACL most groups run under: any country, 127.0.0.2 denied, 127.0.0.3 a trusted proxy.
fn open_stack() -> Options {
    let acl = r#"
[acl.default]
allow_countries = "any"
deny_cidrs = ["127.0.0.2/32"]
"#;
    Options { acl: acl.into(), trusted_proxies: r#"["127.0.0.3/32"]"#, ..Options::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_inputs_are_refused_and_audited() {
    let groups = vec![
        ("signatures", open_stack(), hostile::signatures::cases()),
        ("encodings", open_stack(), hostile::encodings::cases()),
        ("base64_forms", open_stack(), hostile::base64_forms::cases()),
        ("time", open_stack(), hostile::time::cases()),
        ("replay", open_stack(), hostile::replay::cases()),
        ("keys", open_stack(), hostile::keys::cases()),
        ("proxies", hostile::proxies::options(), hostile::proxies::cases()),
        ("transport", open_stack(), hostile::transport::cases()),
        ("stalls", hostile::transport::stall_options(), hostile::transport::stalls()),
        ("cors", open_stack(), hostile::cors::cases()),
        ("s3", open_stack(), hostile::s3::cases()),
        ("s3_objects", open_stack(), hostile::s3_objects::cases()),
        ("admin", open_stack(), hostile::admin::cases()),
        ("service", hostile::service::options(), hostile::service::cases()),
    ];
    let mut tasks = Vec::new();
    for (name, opts, cases) in groups {
        tasks.push(tokio::spawn(async move {
            let ctx = Ctx::start(name, opts).await;
            run_group(ctx, cases).await
        }));
    }
    let mut reports: Vec<Report> = Vec::new();
    for task in tasks {
        reports.extend(task.await.unwrap());
    }
    summarize(&reports);
}
