//! Replay (docs/protocol.md section 5 step 9; SECURITY.md G1, T6): the same request twice, in
//! parallel, re-serialised, with another key, session or window around the same nonce, and after
//! a refusal. Once both signatures verify the nonce is spent whatever the decision, so a request
//! the ACL refused, or whose forwarded address was malformed, cannot be sent again from a better
//! place; a request whose signature failed did not spend its nonce. Each case's last answer is the
//! row's expectation; the steps before it must go as the comments say.
//! No row may reuse another row's nonce: each starts from its own fresh request.

use serde_json::Value;

use s3gk_protocol::Operation;

use super::harness::{row, steps, Attempt, Case, Ctx, Outcome, Threat::Replay, AUDITED};

const REPLAYED: &str = "replayed_nonce";

/// Sends `a` and records a problem unless it gets `status` and `code`.
async fn expect(ctx: &Ctx, a: &Attempt, status: u16, code: &str, problems: &mut Vec<String>) {
    let got = ctx.outcome(a).await;
    if got.status != status || got.code != code {
        problems
            .push(format!("step answered {} {:?}, want {status} {code:?} {:?}", got.status, got.code, got.problems));
    }
}

/// Sends every attempt at once; returns `(status, code)` per attempt, in order.
async fn all_at_once(ctx: &std::sync::Arc<Ctx>, attempts: Vec<Attempt>) -> Vec<(u16, String)> {
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|a| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let o = ctx.outcome(&a).await;
                (o.status, o.code)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap_or((0, "<task failed>".into())));
    }
    out
}

/// Two requests made by `make`: the first must get `status` and `code`; the second's answer is the
/// row's. `grants` is how many grants the first step makes on purpose.
fn twice(make: fn(&Ctx) -> (Attempt, Attempt), status: u16, code: &'static str, grants: usize) -> super::harness::How {
    steps(move |ctx| async move {
        let (first, then) = make(&ctx);
        let mut problems = Vec::new();
        expect(&ctx, &first, status, code, &mut problems).await;
        let mut out = ctx.outcome(&then).await.grants(grants);
        out.problems.extend(problems);
        out
    })
}

fn reserialised(body: &Value) -> Vec<u8> {
    // Same members, other order and whitespace: a new byte string, the same request.
    let mut pairs: Vec<(&String, &Value)> = body.as_object().expect("an object").iter().collect();
    pairs.reverse();
    let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\n  {:?} :  {}", k, v)).collect();
    format!("{{{}\n}}", members.join(" ,")).into_bytes()
}

pub fn cases() -> Vec<Case> {
    vec![
        row(
            "same_request_twice",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    (f.ok(), f.ok())
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "same_request_re_serialised",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    let again = Attempt::authorize(f.from, reserialised(&f.body()), Some(f.req.clone()));
                    (f.ok(), again)
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "same_nonce_other_key",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    (f.ok(), f.with(|r| r.key.push_str(".2")))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "same_nonce_other_window",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    (f.ok(), f.with(|r| r.issued_at -= 1))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "same_nonce_as_a_put",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    (f.ok(), f.put(500))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "same_nonce_other_session_key",
            Replay,
            twice(
                |ctx| {
                    let (f, g) = (ctx.fresh("127.0.0.1"), ctx.fresh("127.0.0.1"));
                    let nonce = f.req.nonce;
                    (f.ok(), g.with(|r| r.nonce = nonce))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "put_twice",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    (f.put(700), f.put(700))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "list_prefix_twice",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.1");
                    let list = |r: &mut s3gk_protocol::AccessRequest| {
                        r.operation = Operation::ListPrefix;
                        r.key = "tickets/replay-nothing-here/".into();
                    };
                    (f.with(list), f.with(list))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "through_the_proxy_with_another_forwarded_address",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.3");
                    let first = f.ok().header("X-Forwarded-For", "8.8.8.8").audit_ip("8.8.8.8");
                    (first, f.ok().header("X-Forwarded-For", "1.1.1.1").audit_ip("1.1.1.1"))
                },
                200,
                "",
                1,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        // Finding: a request the ACL refused stayed usable from an allowed address.
        row(
            "after_an_acl_refusal_from_an_allowed_address",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.2");
                    let body = f.body();
                    let from_1 =
                        Attempt::authorize("127.0.0.1".parse().unwrap(), body.to_string().into(), Some(f.req.clone()));
                    (f.post(&body), from_1)
                },
                403,
                "acl_denied_ip",
                0,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row(
            "after_a_malformed_forwarded_for",
            Replay,
            twice(
                |ctx| {
                    let f = ctx.fresh("127.0.0.3");
                    let first = f.ok().header("X-Forwarded-For", "garbage").audit_ip("127.0.0.3");
                    (first, f.ok())
                },
                400,
                "malformed_forwarded_for",
                0,
            ),
            403,
            REPLAYED,
            AUDITED,
        ),
        row("after_acl_refusals_in_a_row", Replay, steps(after_refusals), 403, REPLAYED, AUDITED),
        row("after_a_bad_signature_then_a_grant", Replay, steps(after_bad_signature), 403, REPLAYED, AUDITED),
        row("sixteen_parallel_copies", Replay, steps(parallel_copies), 403, REPLAYED, AUDITED),
        row("parallel_bodies_sharing_a_nonce", Replay, steps(parallel_same_nonce), 403, REPLAYED, AUDITED),
        row("parallel_denied_and_allowed_copies", Replay, steps(parallel_mixed), 403, REPLAYED, AUDITED),
    ]
}

/// Refused by the ACL (from 127.0.0.2), sent again from there (already spent), then from 127.0.0.1.
async fn after_refusals(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.2");
    let mut problems = Vec::new();
    expect(&ctx, &f.ok(), 403, "acl_denied_ip", &mut problems).await;
    expect(&ctx, &f.ok(), 403, REPLAYED, &mut problems).await;
    let from_1 = Attempt::authorize("127.0.0.1".parse().unwrap(), f.body().to_string().into(), Some(f.req.clone()));
    let mut out = ctx.outcome(&from_1).await;
    out.problems.extend(problems);
    out
}

/// A forged client signature does not spend the nonce: the genuine request is then granted, once.
async fn after_bad_signature(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let bytes = f.bytes();
    let v = f.vendor_sig(&bytes);
    let mut problems = Vec::new();
    expect(&ctx, &f.signed_with(v, Some([0x11; 64])), 403, "bad_client_signature", &mut problems).await;
    expect(&ctx, &f.ok(), 200, "", &mut problems).await;
    let mut out = ctx.outcome(&f.ok()).await.grants(1);
    out.problems.extend(problems);
    out
}

/// Reduces parallel answers to the row's shape: 403 replayed_nonce when exactly `exact_grants`
/// (or, if `None`, at most one) were granted and every other answer has one of the `allowed` codes.
fn tally(answers: &[(u16, String)], exact_grants: Option<usize>, allowed: &[&str], a: &Attempt) -> Outcome {
    let granted = answers.iter().filter(|(s, _)| *s == 200).count();
    let mut out = Outcome {
        status: 403,
        code: REPLAYED.into(),
        audit_ip: Some(a.audit_ip.clone()),
        decoded: a.decoded.clone(),
        grants: granted.min(1),
        accepted: granted > 1,
        ..Outcome::default()
    };
    let grants_ok = match exact_grants {
        Some(n) => granted == n,
        None => granted <= 1,
    };
    let others_ok = answers.iter().all(|(s, c)| *s == 200 || allowed.contains(&c.as_str()));
    if !grants_ok || !others_ok {
        out.problems.push(format!("{granted} grants; answers {answers:?}"));
    }
    out
}

async fn parallel_copies(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let answers = all_at_once(&ctx, (0..16).map(|_| f.ok()).collect()).await;
    tally(&answers, Some(1), &[REPLAYED], &f.ok())
}

async fn parallel_same_nonce(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let attempts: Vec<Attempt> = (0..12).map(|i| f.with(|r| r.key = format!("{}.{i}", r.key))).collect();
    let answers = all_at_once(&ctx, attempts).await;
    // Any of the twelve may win; the audit check looks for a replay of the same nonce.
    let mut out = tally(&answers, Some(1), &[REPLAYED], &f.ok());
    out.decoded = None;
    out
}

/// Eight copies from a denied address and eight from an allowed one, all at once: at most one
/// grant (none if a denied copy spent the nonce first).
async fn parallel_mixed(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.2");
    let body = f.body().to_string().into_bytes();
    let at = |ip: &str| Attempt::authorize(ip.parse().unwrap(), body.clone(), Some(f.req.clone()));
    let attempts: Vec<Attempt> = (0..16).map(|i| at(if i % 2 == 0 { "127.0.0.2" } else { "127.0.0.1" })).collect();
    let answers = all_at_once(&ctx, attempts).await;
    let mut out = tally(&answers, None, &[REPLAYED, "acl_denied_ip"], &at("127.0.0.1"));
    let from_2_ok = answers.iter().step_by(2).all(|(s, c)| *s == 403 && (c == "acl_denied_ip" || c == REPLAYED));
    if !from_2_ok {
        out.problems.push(format!("a copy from the denied address was not refused: {answers:?}"));
    }
    out
}
