//! The service at its own limits (docs/api.md; SECURITY.md G2, G9, G14): public endpoints reveal no
//! secret and no caller data, a prefix read over `max_list_objects` (2 on this stack) is refused
//! with its code, and an audit log that cannot grow (a real SQLite database capped at 40 pages)
//! refuses every grant with 503 `audit_unavailable` instead of granting unrecorded, and still
//! refuses what it would have refused. The full-log cases come last: after them nothing can be
//! written on this stack.
//! No case after the full-log ones may expect anything to be written.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use s3gk_protocol::Operation;

use super::harness::{row, steps, Case, Ctx, Outcome, Threat::Transport, AUDITED, NOT_AUDITED};
use super::s3_client::upload;
use crate::common::{seed, Options, ADMIN_TOKEN};

/// The stack these cases run on.
pub fn options() -> Options {
    let acl = "[acl.default]\nallow_countries = \"any\"\n";
    Options { acl: acl.into(), max_list_objects: 2, max_db_pages: Some(40), ..Options::default() }
}

pub fn cases() -> Vec<Case> {
    vec![
        row("info_reveals_no_secret", Transport, steps(info), 200, "no secret", NOT_AUDITED),
        row("metrics_show_no_key_or_address", Transport, steps(metrics), 403, "key_dot_segment", AUDITED),
        row(
            "prefix_read_over_max_list_objects",
            Transport,
            steps(|ctx| listing(ctx, 3)),
            502,
            "too_many_objects",
            AUDITED,
        ),
        row("control_prefix_read_at_max_list_objects", Transport, steps(|ctx| listing(ctx, 2)), 200, "", AUDITED),
        row("grant_with_the_audit_log_full", Transport, steps(fill), 503, "audit_unavailable", NOT_AUDITED),
        row("next_grant_with_the_audit_log_full", Transport, steps(one_more), 503, "audit_unavailable", NOT_AUDITED),
        row("forgery_with_the_audit_log_full", Transport, steps(forged), 403, "bad_client_signature", NOT_AUDITED),
    ]
}

/// `/v1/info` holds no secret of the configuration in any common encoding.
async fn info(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let resp = match ctx.http.get(format!("{}/v1/info", ctx.stack.base)).send().await {
        Ok(r) => r,
        Err(e) => return Outcome::broken(e.to_string()),
    };
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let mut secrets = vec![ADMIN_TOKEN.to_owned(), ctx.stack.s3.secret_key().to_owned()];
    for n in [2, 3, 4] {
        secrets.push(hex::encode(seed(n)));
        secrets.push(B64.encode(seed(n)));
    }
    let leaked = secrets.iter().any(|s| text.contains(s.as_str()));
    let code = if leaked { "secret shown" } else { "no secret" };
    Outcome { status, code: code.into(), accepted: leaked, ..Outcome::default() }
}

/// A refused request with a marked key and user agent; `/metrics` must show neither, nor the
/// caller's address.
async fn metrics(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let marker = "marker-7f3a";
    let attempt = f.with(|r| r.key = format!("tickets/../{marker}")).set_header("User-Agent", Some(marker.as_bytes()));
    let mut out = ctx.outcome(&attempt).await;
    let text = match ctx.http.get(format!("{}/metrics", ctx.stack.base)).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => return out.problem(e.to_string()),
    };
    if text.contains(marker) || text.contains("127.0.0.1") {
        out.problems.push("metrics show caller data".into());
        out.accepted = true;
    }
    out
}

/// `n` objects under a fresh prefix, then a prefix read of it.
async fn listing(ctx: std::sync::Arc<Ctx>, n: usize) -> Outcome {
    let prefix = ctx.unique_key("dir/");
    for i in 0..n {
        if let Err(e) = upload(&ctx, &format!("{prefix}{i}.bin"), b"listed").await {
            return Outcome::broken(e).grants(i);
        }
    }
    let f = ctx.fresh("127.0.0.1");
    let attempt = f.with(|r| {
        r.operation = Operation::ListPrefix;
        r.key = prefix.clone();
    });
    ctx.outcome(&attempt).await.grants(n)
}

/// Valid requests until one is refused: the first refusal must be the audit log's.
async fn fill(ctx: std::sync::Arc<Ctx>) -> Outcome {
    for granted in 0..5000 {
        let out = ctx.outcome(&ctx.fresh("127.0.0.1").ok()).await;
        if out.status != 200 {
            return Outcome { audit_ip: None, decoded: None, ..out }.grants(granted);
        }
    }
    Outcome::broken("the audit log never filled up").grants(5000)
}

async fn one_more(ctx: std::sync::Arc<Ctx>) -> Outcome {
    ctx.outcome(&ctx.fresh("127.0.0.1").ok()).await
}

/// A forged request is still refused for its own cause, though the refusal cannot be recorded.
async fn forged(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let bytes = f.bytes();
    ctx.outcome(&f.signed_with(f.vendor_sig(&bytes), Some([0x55; 64]))).await
}
