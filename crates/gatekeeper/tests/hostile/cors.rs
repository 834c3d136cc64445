//! CORS (docs/api.md "CORS and limits"; SECURITY.md G7, G10): only `http://localhost:8000`, compared
//! whole, may read answers from a browser. Look-alike origins (suffix, prefix, scheme, port, case,
//! `null`, userinfo, trailing dot or slash, IDN homographs, lists) get no
//! `Access-Control-Allow-Origin`; the allowed origin gets only `GET` and `POST` with
//! `content-type`, never `Authorization` (so the admin API cannot be called cross-origin) and never
//! credentials. Preflights and reads of `/v1/info` are not decisions and are not audited; a
//! cross-origin POST is, with its origin.
//! No row may count an answer without `Access-Control-Allow-Origin` as anything but refused.

use super::harness::{row, steps, Case, Ctx, How, Outcome, Threat::Cors, AUDITED, NOT_AUDITED};
use super::wire::{Answer, BodyMode, Raw};
use crate::common::ORIGIN;

/// The code of a preflight or read whose hostile part the answer does not allow.
const REFUSED: &str = "cors_refused";

/// Sends `method` to `path` with these headers, from 127.0.0.1, no body.
async fn ask(ctx: &Ctx, method: &str, path: &str, headers: Vec<(String, Vec<u8>)>) -> Result<Answer, String> {
    let raw = Raw {
        from: "127.0.0.1".parse().expect("literal"),
        method: method.into(),
        target: path.into(),
        headers,
        body: Vec::new(),
        mode: BodyMode::Plain,
    };
    super::wire::send(ctx.addr, &raw).await
}

fn has_token(list: Option<&str>, token: &str) -> bool {
    list.is_some_and(|l| l.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// The outcome of an answer: `REFUSED` unless it lets `origin` in and allows `method` and
/// `header` (when given); credentials are never allowed.
fn judged(answer: Result<Answer, String>, origin: &str, method: Option<&str>, header: Option<&str>) -> Outcome {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return Outcome::broken(e),
    };
    let origin_ok = matches!(answer.header("access-control-allow-origin"), Some(o) if o == origin || o == "*");
    let method_ok = method.is_none_or(|m| has_token(answer.header("access-control-allow-methods"), m));
    let header_ok = header.is_none_or(|h| has_token(answer.header("access-control-allow-headers"), h));
    let allowed = origin_ok && method_ok && header_ok;
    let mut out = Outcome {
        status: answer.status,
        code: if allowed { String::new() } else { REFUSED.into() },
        accepted: allowed,
        ..Outcome::default()
    };
    if answer.header("access-control-allow-credentials").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        out.problems.push("credentials allowed".into());
        out.accepted = true;
    }
    out
}

fn preflight(path: &'static str, origin: &'static [u8], method: &'static str, header: &'static str) -> How {
    steps(move |ctx| async move {
        let headers = vec![
            ("Origin".to_owned(), origin.to_vec()),
            ("Access-Control-Request-Method".to_owned(), method.as_bytes().to_vec()),
            ("Access-Control-Request-Headers".to_owned(), header.as_bytes().to_vec()),
        ];
        let answer = ask(&ctx, "OPTIONS", path, headers).await;
        judged(answer, &String::from_utf8_lossy(origin), Some(method), Some(header))
    })
}

const LOOK_ALIKES: &[(&str, &[u8])] = &[
    ("suffix_domain", b"http://localhost:8000.evil.example"),
    ("prefix_subdomain", b"http://evil.localhost:8000"),
    ("other_scheme", b"https://localhost:8000"),
    ("other_port", b"http://localhost:8001"),
    ("no_port", b"http://localhost"),
    ("port_with_a_leading_zero", b"http://localhost:08000"),
    ("trailing_slash", b"http://localhost:8000/"),
    ("with_a_path", b"http://localhost:8000/app"),
    ("upper_case_host", b"http://LOCALHOST:8000"),
    ("upper_case_scheme", b"HTTP://localhost:8000"),
    ("trailing_dot", b"http://localhost.:8000"),
    ("userinfo", b"http://user@localhost:8000"),
    ("null", b"null"),
    ("wildcard", b"*"),
    ("two_origins", b"http://localhost:8000 http://evil.example"),
    ("comma_list", b"http://localhost:8000, http://evil.example"),
    ("loopback_address_instead_of_name", b"http://127.0.0.1:8000"),
    ("cyrillic_homograph", "http://l\u{43e}calhost:8000".as_bytes()),
    ("trailing_nul_escape", b"http://localhost:8000%00"),
    ("file_scheme", b"file://"),
];

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = LOOK_ALIKES
        .iter()
        .map(|&(name, origin)| {
            let how = preflight("/v1/authorize", origin, "POST", "content-type");
            row(format!("preflight_from_{name}"), Cors, how, 200, REFUSED, NOT_AUDITED)
        })
        .collect();
    let exact = ORIGIN.as_bytes();
    for (name, path, method, header) in [
        ("put_method", "/v1/authorize", "PUT", "content-type"),
        ("delete_method", "/v1/authorize", "DELETE", "content-type"),
        ("patch_method", "/v1/authorize", "PATCH", "content-type"),
        ("authorization_header", "/v1/authorize", "POST", "authorization"),
        ("forwarded_for_header", "/v1/authorize", "POST", "x-forwarded-for"),
        ("cookie_header", "/v1/authorize", "POST", "cookie"),
        ("authorization_on_the_admin_api", "/v1/audit", "GET", "authorization"),
    ] {
        let how = preflight(path, exact, method, header);
        cases.push(row(format!("preflight_asking_for_{name}"), Cors, how, 200, REFUSED, NOT_AUDITED));
    }
    let control = preflight("/v1/authorize", exact, "POST", "content-type");
    cases.push(row("control_preflight_from_the_exact_origin", Cors, control, 200, "", NOT_AUDITED));
    let read_info = steps(|ctx| async move {
        let headers = vec![("Origin".to_owned(), b"http://evil.example".to_vec())];
        judged(ask(&ctx, "GET", "/v1/info", headers).await, "http://evil.example", None, None)
    });
    cases.push(row("info_read_from_another_origin", Cors, read_info, 200, REFUSED, NOT_AUDITED));
    cases.push(row(
        "cross_origin_post_is_audited_with_its_origin",
        Cors,
        steps(cross_origin_post),
        403,
        "bad_client_signature",
        AUDITED,
    ));
    cases
}

/// A look-alike origin posts a forged request: refused, audited with the origin, no CORS grant.
async fn cross_origin_post(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let f = ctx.fresh("127.0.0.1");
    let bytes = f.bytes();
    let evil = "http://localhost:8000.evil.example";
    let attempt = f.signed_with(f.vendor_sig(&bytes), Some([0x33; 64])).header("Origin", evil);
    let mut out = match ctx.send(&attempt).await {
        Ok(answer) => {
            let mut out = Outcome::of(&answer, &attempt);
            if answer.header("access-control-allow-origin").is_some() {
                out.problems.push("the answer lets the look-alike origin read it".into());
            }
            out
        }
        Err(e) => return Outcome::broken(e),
    };
    match ctx.entries_after(None).await {
        Ok(entries) if entries.iter().any(|e| e["origin"] == evil) => {}
        _ => out.problems.push("no audit entry records the origin".into()),
    }
    out
}
