//! The admin API, `GET /v1/audit` (docs/api.md; SECURITY.md G10, G11): without the bearer token, with
//! a wrong one, in the wrong scheme or place; with parameters that are unknown, duplicated, of the
//! wrong type or outside their documented values — over 1024 bytes, an `ip` that is not an address,
//! an unknown `operation`, a `limit` outside 1–1000 (400 `malformed_query`); with SQL and `LIKE`
//! wildcards in text, which must match only literally; and at the edges of the ranges. Reading the log is not a decision
//! and is not audited: the cases assert the answer and, for searches, how many entries came back.
//! The first two rows put a grant and a denial in this stack's log for the searches to (not) find.
//! No row may depend on a search's order or on another stack's entries.

use std::ops::RangeInclusive;

use super::harness::{row, send, steps, Case, Ctx, How, Outcome, Threat::Admin, AUDITED, NOT_AUDITED};
use super::wire::{BodyMode, Raw};
use crate::common::ADMIN_TOKEN;

const UNAUTHORIZED: &str = "unauthorized";
const BAD_QUERY: &str = "malformed_query";
/// A search answered with no more entries than the case allows.
const FILTERED: &str = "filtered";

/// `GET /v1/audit{query}` with these `Authorization` lines; a 200 answer must hold a number of
/// entries in `count` (more is a leak: the outcome is accepted).
fn search(query: String, authorization: Vec<Vec<u8>>, count: RangeInclusive<usize>) -> How {
    steps(move |ctx| {
        let (query, authorization, count) = (query.clone(), authorization.clone(), count.clone());
        async move { searched(&ctx, &query, authorization, count).await }
    })
}

async fn searched(ctx: &Ctx, query: &str, authorization: Vec<Vec<u8>>, count: RangeInclusive<usize>) -> Outcome {
    let raw = Raw {
        from: "127.0.0.1".parse().expect("literal"),
        method: "GET".into(),
        target: format!("/v1/audit{query}"),
        headers: authorization.into_iter().map(|v| ("Authorization".to_owned(), v)).collect(),
        body: Vec::new(),
        mode: BodyMode::Plain,
    };
    let answer = match super::wire::send(ctx.addr, &raw).await {
        Ok(a) => a,
        Err(e) => return Outcome::broken(e),
    };
    let mut out = Outcome { status: answer.status, code: answer.code(), ..Outcome::default() };
    if answer.status == 200 {
        let found = answer.json().and_then(|v| v["entries"].as_array().map(Vec::len));
        match found {
            Some(n) if count.contains(&n) => out.code = FILTERED.into(),
            Some(n) if n < *count.start() => out.code = format!("found only {n} entries"),
            Some(n) => {
                out.code = format!("leaked {n} entries");
                out.accepted = true;
            }
            None => out.code = "<no entries>".into(),
        }
    }
    out
}

fn bearer() -> Vec<Vec<u8>> {
    vec![format!("Bearer {ADMIN_TOKEN}").into_bytes()]
}

/// A search with the right token; at most `most` entries may come back.
fn authorized(query: &str, most: usize) -> How {
    search(format!("?{query}"), bearer(), 0..=most)
}

/// A request with the wrong credentials, or the right ones in the wrong place.
fn unauthorized(query: &str, lines: Vec<Vec<u8>>) -> How {
    search(query.to_owned(), lines, 0..=0)
}

pub fn cases() -> Vec<Case> {
    let token = ADMIN_TOKEN;
    let long = |n: usize| "k".repeat(n);
    vec![
        row("seed_a_grant", Admin, send(|f| f.ok()), 200, "", AUDITED),
        row(
            "seed_a_denial",
            Admin,
            send(|f| f.signed_with(f.vendor_sig(&f.bytes()), Some([0x44; 64]))),
            403,
            "bad_client_signature",
            AUDITED,
        ),
        // Who may read.
        row("no_authorization", Admin, unauthorized("", vec![]), 401, UNAUTHORIZED, NOT_AUDITED),
        row("wrong_token", Admin, unauthorized("", vec![b"Bearer wrong".to_vec()]), 401, UNAUTHORIZED, NOT_AUDITED),
        row(
            "bearer_without_a_token",
            Admin,
            unauthorized("", vec![b"Bearer".to_vec()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row("bearer_and_a_space", Admin, unauthorized("", vec![b"Bearer ".to_vec()]), 401, UNAUTHORIZED, NOT_AUDITED),
        row("token_without_a_scheme", Admin, unauthorized("", vec![token.into()]), 401, UNAUTHORIZED, NOT_AUDITED),
        row(
            "token_prefix",
            Admin,
            unauthorized("", vec![format!("Bearer {}", &token[..32]).into_bytes()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "token_plus_a_character",
            Admin,
            unauthorized("", vec![format!("Bearer {token}x").into_bytes()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "token_in_upper_case",
            Admin,
            unauthorized("", vec![format!("Bearer {}", token.to_uppercase()).into_bytes()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "token_as_basic_credentials",
            Admin,
            unauthorized("", vec![basic(&format!("admin:{token}"))]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "token_after_a_tab",
            Admin,
            unauthorized("", vec![format!("Bearer\t{token}").into_bytes()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "wrong_line_then_right_line",
            Admin,
            unauthorized("", vec![b"Bearer wrong".to_vec(), format!("Bearer {token}").into_bytes()]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row(
            "token_in_the_query",
            Admin,
            unauthorized(&format!("?access_token={token}"), vec![]),
            401,
            UNAUTHORIZED,
            NOT_AUDITED,
        ),
        row("token_in_a_cookie", Admin, steps(token_in_a_cookie), 401, UNAUTHORIZED, NOT_AUDITED),
        row("post_on_the_admin_api", Admin, steps(post_on_audit), 405, "method_not_allowed", NOT_AUDITED),
        // Parameters that are not a search.
        row(
            "key_prefix_of_2000_bytes",
            Admin,
            authorized(&format!("key_prefix={}", long(2000)), 0),
            400,
            BAD_QUERY,
            NOT_AUDITED,
        ),
        row(
            "key_prefix_of_1025_bytes",
            Admin,
            authorized(&format!("key_prefix={}", long(1025)), 0),
            400,
            BAD_QUERY,
            NOT_AUDITED,
        ),
        row("text_of_2000_bytes", Admin, authorized(&format!("q={}", long(2000)), 0), 400, BAD_QUERY, NOT_AUDITED),
        row("ip_of_2000_bytes", Admin, authorized(&format!("ip={}", long(2000)), 0), 400, BAD_QUERY, NOT_AUDITED),
        row(
            "operation_of_2000_bytes",
            Admin,
            authorized(&format!("operation={}", long(2000)), 0),
            400,
            BAD_QUERY,
            NOT_AUDITED,
        ),
        row("unknown_parameter", Admin, authorized("colour=red", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("parameter_in_upper_case", Admin, authorized("Q=tickets", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("duplicate_parameter", Admin, authorized("limit=1&limit=1000", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("array_parameter", Admin, authorized("limit[]=1", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("negative_limit", Admin, authorized("limit=-1", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("limit_over_u64", Admin, authorized("limit=18446744073709551616", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("limit_as_a_word", Admin, authorized("limit=all", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("negative_from_ms", Admin, authorized("from_ms=-1", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("after_seq_in_exponent_form", Admin, authorized("after_seq=1e3", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("sql_in_a_number", Admin, authorized("from_ms=0%20OR%201=1", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("decision_in_upper_case", Admin, authorized("decision=GRANTED", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("sql_in_decision", Admin, authorized("decision=granted'%20--", 0), 400, BAD_QUERY, NOT_AUDITED),
        // Text is literal: SQL and LIKE wildcards match nothing here.
        row("text_sql_or_true", Admin, authorized("q=%27%20OR%20%271%27=%271", 0), 200, FILTERED, NOT_AUDITED),
        row(
            "text_sql_drop_table",
            Admin,
            authorized("q=x%27;%20DROP%20TABLE%20audit_entries;--", 0),
            200,
            FILTERED,
            NOT_AUDITED,
        ),
        row("text_percent_wildcard", Admin, authorized("q=%25%25", 0), 200, FILTERED, NOT_AUDITED),
        row("text_underscore_wildcards", Admin, authorized("q=_%25_", 0), 200, FILTERED, NOT_AUDITED),
        row("text_escape_character", Admin, authorized("q=%5C", 0), 200, FILTERED, NOT_AUDITED),
        row("text_nul", Admin, authorized("q=%00", 0), 200, FILTERED, NOT_AUDITED),
        row("key_prefix_wildcard", Admin, authorized("key_prefix=%25", 0), 200, FILTERED, NOT_AUDITED),
        row("key_prefix_underscore", Admin, authorized("key_prefix=tickets/_dmin/", 0), 200, FILTERED, NOT_AUDITED),
        row("key_prefix_other_case", Admin, authorized("key_prefix=TICKETS/", 0), 200, FILTERED, NOT_AUDITED),
        row("ip_wildcard", Admin, authorized("ip=%25", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("ip_sql_or_true", Admin, authorized("ip=127.0.0.1%27%20OR%20%271%27=%271", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("operation_wildcard", Admin, authorized("operation=%25", 0), 400, BAD_QUERY, NOT_AUDITED),
        row(
            "ip_as_ipv4_mapped_ipv6",
            Admin,
            search("?ip=::ffff:127.0.0.1".into(), bearer(), 2..=2),
            200,
            FILTERED,
            NOT_AUDITED,
        ),
        // Limits and ranges at their edges.
        row("limit_zero", Admin, authorized("limit=0", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("limit_1001", Admin, authorized("limit=1001", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("limit_u64_max", Admin, authorized("limit=18446744073709551615", 0), 400, BAD_QUERY, NOT_AUDITED),
        row("limit_1000", Admin, authorized("limit=1000", 1000), 200, FILTERED, NOT_AUDITED),
        row("from_ms_u64_max", Admin, authorized("from_ms=18446744073709551615", 0), 200, FILTERED, NOT_AUDITED),
        row("after_seq_u64_max", Admin, authorized("after_seq=18446744073709551615", 0), 200, FILTERED, NOT_AUDITED),
        row("to_ms_zero", Admin, authorized("to_ms=0", 0), 200, FILTERED, NOT_AUDITED),
        row(
            "control_key_prefix_finds_both",
            Admin,
            search("?key_prefix=tickets/admin/".into(), bearer(), 2..=2),
            200,
            FILTERED,
            NOT_AUDITED,
        ),
    ]
}

fn basic(credentials: &str) -> Vec<u8> {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)).into_bytes()
}

async fn token_in_a_cookie(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let cookie = ("Cookie".to_owned(), format!("admin_token={ADMIN_TOKEN}").into_bytes());
    asked(&ctx, "GET", vec![cookie]).await
}

/// With the right token, but not a GET.
async fn post_on_audit(ctx: std::sync::Arc<Ctx>) -> Outcome {
    asked(&ctx, "POST", vec![("Authorization".to_owned(), bearer().remove(0))]).await
}

async fn asked(ctx: &Ctx, method: &str, headers: Vec<(String, Vec<u8>)>) -> Outcome {
    let raw = Raw {
        from: "127.0.0.1".parse().expect("literal"),
        method: method.into(),
        target: "/v1/audit".into(),
        headers,
        body: Vec::new(),
        mode: BodyMode::Plain,
    };
    match super::wire::send(ctx.addr, &raw).await {
        Ok(a) => Outcome { status: a.status, code: a.code(), accepted: a.status == 200, ..Outcome::default() },
        Err(e) => Outcome::broken(e),
    }
}
