//! Transport (docs/api.md "CORS and limits"; SECURITY.md G8, G14): bodies over `max_body_bytes`
//! (16 KiB here), header blocks over `max_header_bytes` (4 KiB) including ones large enough for
//! the HTTP parser itself to object (one 20 KiB header, 150 headers), a body that stalls past
//! `request_timeout_ms` (see [`stall_options`]), wrong methods, content types a cross-origin page can send
//! without a preflight, bodies that are not the JSON object of docs/api.md, and chunked framing.
//! Every one of these on `/v1/authorize` is a decision, answered with the JSON error shape and
//! audited with the caller's address; paths that are not an endpoint answer 404 and are not
//! audited. Written with a raw HTTP/1.1 client (`wire`), so nothing is tidied up on the way.
//! No row may leave a connection open past its answer (`wire` reads to the end).

use super::harness::{row, send, steps, Attempt, Case, Fresh, How, Outcome, Threat::Transport, AUDITED, NOT_AUDITED};
use super::wire::BodyMode;
use crate::common::Options;

const JSON: &str = "malformed_json";
const MEDIA: &str = "unsupported_media_type";
const METHOD: &str = "method_not_allowed";

/// The stack of [`stalls`]: a short request timeout, so a stalled body is cut off quickly. Only
/// bodies that never complete run there, so no grant can be late on a busy machine.
pub fn stall_options() -> Options {
    let acl = "[acl.default]\nallow_countries = \"any\"\n";
    Options { acl: acl.into(), request_timeout_ms: 1500, ..Options::default() }
}

/// Bodies that never complete: stalled halfway, never started, or declared far over the limit
/// (which the gatekeeper can refuse from `Content-Length` alone, without waiting).
pub fn stalls() -> Vec<Case> {
    const STALLS: &[Row] = &[
        (
            "content_length_claims_a_gigabyte",
            |f| f.ok().set_header("Content-Length", Some(b"1000000000")).undecoded(),
            413,
            "body_too_large",
            AUDITED,
        ),
        // Time: the body stops coming.
        (
            "body_stalls_halfway",
            |f| {
                let body = f.body().to_string().into_bytes();
                let declared = body.len();
                f.ok().body(body[..declared / 2].to_vec()).mode(BodyMode::Stall { declared })
            },
            503,
            "timeout",
            AUDITED,
        ),
        (
            "body_never_starts",
            |f| f.ok().body(Vec::new()).mode(BodyMode::Stall { declared: 400 }),
            503,
            "timeout",
            AUDITED,
        ),
    ];
    STALLS
        .iter()
        .map(|&(name, build, status, code, audited)| row(name, Transport, send(build), status, code, audited))
        .collect()
}

/// The valid body followed by spaces up to `len` bytes (still one valid JSON value).
fn padded_to(f: &Fresh, len: usize) -> Vec<u8> {
    let mut body = f.body().to_string().into_bytes();
    body.resize(len, b' ');
    body
}

fn text(f: &Fresh, body: &str) -> Attempt {
    f.ok().body(body.as_bytes().to_vec())
}

/// The valid body with its JSON text changed by `edit` (the object's text, before the closing brace).
fn edited(f: &Fresh, edit: impl Fn(&str) -> String) -> Attempt {
    let body = f.body().to_string();
    f.ok().body(edit(&body).into_bytes())
}

/// `(name, how the request is built, status, code, audited)`.
type Row = (&'static str, fn(&Fresh) -> Attempt, u16, &'static str, bool);

const TABLE: &[Row] = &[
    // Body size.
    ("body_one_byte_over_the_limit", |f| f.ok().body(padded_to(f, 16_385)), 413, "body_too_large", AUDITED),
    ("body_64_kib", |f| f.ok().body(padded_to(f, 65_536)), 413, "body_too_large", AUDITED),
    (
        "chunked_body_over_the_limit",
        |f| f.ok().body(padded_to(f, 20_000)).mode(BodyMode::Chunked(4096)),
        413,
        "body_too_large",
        AUDITED,
    ),
    // Header block size: over the configured limit, and over what the HTTP parser buffers.
    (
        "one_header_of_5000_bytes",
        |f| f.ok().header("X-Padding", vec![b'p'; 5000]).undecoded(),
        431,
        "headers_too_large",
        AUDITED,
    ),
    (
        "one_header_of_20_kib",
        |f| f.ok().header("X-Padding", vec![b'p'; 20_480]).undecoded(),
        431,
        "headers_too_large",
        AUDITED,
    ),
    (
        "user_agent_of_5000_bytes",
        |f| f.ok().set_header("User-Agent", Some(&[b'u'; 5000])).undecoded(),
        431,
        "headers_too_large",
        AUDITED,
    ),
    ("sixty_headers_of_80_bytes", |f| many_headers(f, 60, 80), 431, "headers_too_large", AUDITED),
    ("one_hundred_fifty_headers", |f| many_headers(f, 150, 8), 431, "too_many_headers", AUDITED),
    (
        "query_string_of_5000_bytes",
        |f| f.ok().target(&format!("/v1/authorize?pad={}", "q".repeat(5000))).undecoded(),
        431,
        "headers_too_large",
        AUDITED,
    ),
    // Methods.
    ("get_on_authorize", |f| f.ok().method("GET").body(Vec::new()), 405, METHOD, AUDITED),
    ("put_on_authorize", |f| f.ok().method("PUT").undecoded(), 405, METHOD, AUDITED),
    ("delete_on_authorize", |f| f.ok().method("DELETE").undecoded(), 405, METHOD, AUDITED),
    ("patch_on_authorize", |f| f.ok().method("PATCH").undecoded(), 405, METHOD, AUDITED),
    // Content types a page can POST cross-origin without a preflight, with a valid body.
    ("text_plain", |f| f.ok().set_header("Content-Type", Some(b"text/plain")).undecoded(), 415, MEDIA, AUDITED),
    (
        "text_plain_with_charset",
        |f| f.ok().set_header("Content-Type", Some(b"text/plain;charset=UTF-8")).undecoded(),
        415,
        MEDIA,
        AUDITED,
    ),
    (
        "form_urlencoded",
        |f| f.ok().set_header("Content-Type", Some(b"application/x-www-form-urlencoded")).undecoded(),
        415,
        MEDIA,
        AUDITED,
    ),
    (
        "multipart_form_data",
        |f| f.ok().set_header("Content-Type", Some(b"multipart/form-data; boundary=x")).undecoded(),
        415,
        MEDIA,
        AUDITED,
    ),
    ("no_content_type", |f| f.ok().set_header("Content-Type", None).undecoded(), 415, MEDIA, AUDITED),
    ("two_content_types", |f| f.ok().header("Content-Type", "application/json").undecoded(), 415, MEDIA, AUDITED),
    (
        "json_patch_media_type",
        |f| f.ok().set_header("Content-Type", Some(b"application/json-patch+json")).undecoded(),
        415,
        MEDIA,
        AUDITED,
    ),
    (
        "json_hidden_in_a_parameter",
        |f| f.ok().set_header("Content-Type", Some(b"text/plain; application/json")).undecoded(),
        415,
        MEDIA,
        AUDITED,
    ),
    // Framing the body cannot be read from.
    ("chunk_size_not_hex", |f| chunked_raw(f, b"zz\r\n{}\r\n0\r\n\r\n"), 400, "malformed_body", AUDITED),
    ("chunk_longer_than_announced", |f| chunked_raw(f, b"2\r\n{}}\r\n0\r\n\r\n"), 400, "malformed_body", AUDITED),
    // Not the JSON object of docs/api.md.
    ("not_json", |f| text(f, "{not json"), 400, JSON, AUDITED),
    ("empty_body", |f| text(f, ""), 400, JSON, AUDITED),
    ("json_array", |f| text(f, "[]"), 400, JSON, AUDITED),
    ("json_string", |f| text(f, "\"request\""), 400, JSON, AUDITED),
    ("json_null", |f| text(f, "null"), 400, JSON, AUDITED),
    ("json_number", |f| text(f, "42"), 400, JSON, AUDITED),
    ("empty_object", |f| text(f, "{}"), 400, JSON, AUDITED),
    ("unknown_field", |f| edited(f, |b| b.replacen('{', "{\"admin\":true,", 1)), 400, JSON, AUDITED),
    ("field_name_in_upper_case", |f| edited(f, |b| b.replacen("\"request\"", "\"Request\"", 1)), 400, JSON, AUDITED),
    ("missing_client_signature", |f| edited(f, |b| drop_field(b, "client_signature")), 400, JSON, AUDITED),
    ("duplicate_request_field", |f| edited(f, |b| b.replacen('{', "{\"request\":\"AAAA\",", 1)), 400, JSON, AUDITED),
    (
        "duplicate_signature_field",
        |f| edited(f, |b| b.replacen('{', "{\"client_signature\":\"AAAA\",", 1)),
        400,
        JSON,
        AUDITED,
    ),
    ("request_as_a_number", |f| edited(f, |b| set_request(b, "1e999999")), 400, JSON, AUDITED),
    ("request_as_nested_arrays", |f| edited(f, |b| set_request(b, &nested(6000))), 400, JSON, AUDITED),
    ("request_as_an_object", |f| edited(f, |b| set_request(b, "{\"bytes\":\"AAAA\"}")), 400, JSON, AUDITED),
    ("byte_order_mark", |f| edited(f, |b| format!("\u{feff}{b}")), 400, JSON, AUDITED),
    ("trailing_garbage", |f| edited(f, |b| format!("{b}garbage")), 400, JSON, AUDITED),
    ("two_objects", |f| edited(f, |b| format!("{b}{b}")), 400, JSON, AUDITED),
    ("single_quotes", |f| edited(f, |b| b.replace('"', "'")), 400, JSON, AUDITED),
    ("comment", |f| edited(f, |b| b.replacen('{', "{/* hi */", 1)), 400, JSON, AUDITED),
    ("lone_surrogate_in_key_id", |f| edited(f, |b| b.replacen("vendor-1", "vendor-1\\ud800", 1)), 400, JSON, AUDITED),
    ("invalid_utf8_in_a_string", |f| invalid_utf8(f), 400, JSON, AUDITED),
    (
        "nul_in_the_base64",
        |f| edited(f, |b| b.replacen("\"request\":\"", "\"request\":\"\\u0000", 1)),
        400,
        "malformed_request",
        AUDITED,
    ),
    // Chunked framing with a valid body is just another framing.
    ("control_chunked_valid_body", |f| f.ok().mode(BodyMode::Chunked(7)), 200, "", AUDITED),
    (
        "control_json_with_charset",
        |f| f.ok().set_header("Content-Type", Some(b"application/json; charset=utf-8")),
        200,
        "",
        AUDITED,
    ),
    // Not the endpoint: 404, nothing decided, nothing granted.
    ("trailing_slash_path", |f| f.ok().target("/v1/authorize/"), 404, "not_found", NOT_AUDITED),
    ("double_slash_path", |f| f.ok().target("/v1//authorize"), 404, "not_found", NOT_AUDITED),
    ("upper_case_path", |f| f.ok().target("/V1/AUTHORIZE"), 404, "not_found", NOT_AUDITED),
    ("dot_segment_path", |f| f.ok().target("/v1/./authorize"), 404, "not_found", NOT_AUDITED),
    ("percent_encoded_path", |f| f.ok().target("/v1/%61uthorize"), 404, "not_found", NOT_AUDITED),
];

/// A chunked body written as given (framing included).
fn chunked_raw(f: &Fresh, framed: &[u8]) -> Attempt {
    f.ok().header("Transfer-Encoding", "chunked").body(framed.to_vec()).mode(BodyMode::Raw)
}

fn many_headers(f: &Fresh, count: usize, size: usize) -> Attempt {
    (0..count).fold(f.ok().undecoded(), |a, i| a.header(&format!("X-Pad-{i}"), vec![b'p'; size]))
}

fn drop_field(body: &str, field: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).expect("our own JSON");
    v.as_object_mut().expect("an object").remove(field);
    v.to_string()
}

fn set_request(body: &str, raw_value: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("our own JSON");
    let old = format!("\"request\":{}", v["request"]);
    body.replacen(&old, &format!("\"request\":{raw_value}"), 1)
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn invalid_utf8(f: &Fresh) -> Attempt {
    let body = f.body().to_string().replacen("vendor-1", "vendor-\u{1}", 1).into_bytes();
    let body: Vec<u8> = body.into_iter().map(|b| if b == 1 { 0xff } else { b }).collect();
    f.ok().body(body)
}

/// A valid grant whose answer must carry `name: value` (it holds key material and presigned URLs).
fn grant_answer_header(name: &'static str, value: &'static str) -> How {
    steps(move |ctx| async move {
        let f = ctx.fresh("127.0.0.1");
        match ctx.send(&f.ok()).await {
            Ok(answer) => {
                let found = answer.header(name).is_some_and(|v| v.eq_ignore_ascii_case(value));
                let code = if found { format!("{name}: {value}") } else { format!("no {name}: {value}") };
                Outcome { status: answer.status, code, accepted: !found, grants: 1, ..Outcome::default() }
            }
            Err(e) => Outcome::broken(e),
        }
    })
}

/// A valid grant asked for with `headers` (from `peer`): its presigned URL must still point at the
/// configured S3 endpoint, whatever the request says its host or scheme is.
fn url_not_steered(peer: &'static str, headers: &'static [(&'static str, &'static str)]) -> How {
    steps(move |ctx| async move {
        let f = ctx.fresh(peer);
        let attempt = headers.iter().fold(f.ok(), |a, (n, v)| a.set_header(n, Some(v.as_bytes())));
        match ctx.send(&attempt).await {
            Ok(answer) => {
                let url = answer.json().and_then(|v| v["objects"][0]["url"].as_str().map(str::to_owned));
                let endpoint = format!("{}/", ctx.stack.s3.endpoint());
                let steered = !url.as_deref().is_some_and(|u| u.starts_with(&endpoint));
                let code = if steered { "url steered" } else { "url at the configured endpoint" };
                Outcome { status: answer.status, code: code.into(), accepted: steered, grants: 1, ..Outcome::default() }
            }
            Err(e) => Outcome::broken(e),
        }
    })
}

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = TABLE
        .iter()
        .map(|&(name, build, status, code, audited)| row(name, Transport, send(build), status, code, audited))
        .collect();
    let no_store = grant_answer_header("cache-control", "no-store");
    cases.push(row("grant_answer_never_cached", Transport, no_store, 200, "cache-control: no-store", NOT_AUDITED));
    let nosniff = grant_answer_header("x-content-type-options", "nosniff");
    cases.push(row(
        "grant_answer_never_sniffed",
        Transport,
        nosniff,
        200,
        "x-content-type-options: nosniff",
        NOT_AUDITED,
    ));
    let at_endpoint = "url at the configured endpoint";
    for (name, peer, headers) in [
        ("host_header_does_not_steer_urls", "127.0.0.1", &[("Host", "evil.example")][..]),
        ("forwarded_host_from_the_proxy_does_not_steer_urls", "127.0.0.3", &[("X-Forwarded-Host", "evil.example")][..]),
        (
            "forwarded_proto_and_host_do_not_steer_urls",
            "127.0.0.3",
            &[("X-Forwarded-Proto", "https"), ("Forwarded", "host=evil.example;proto=https")][..],
        ),
    ] {
        cases.push(row(name, Transport, url_not_steered(peer, headers), 200, at_endpoint, NOT_AUDITED));
    }
    // The caller's headers are recorded, whatever their bytes (here with a refused signature).
    for (name, header, value) in [
        ("user_agent_not_utf8", "User-Agent", b"agent \xff\xfe".to_vec()),
        ("origin_of_3000_bytes", "Origin", [b"http://".as_slice(), &[b'o'; 2993]].concat()),
    ] {
        let how = send(move |f| {
            let bytes = f.bytes();
            let v = f.vendor_sig(&bytes);
            f.signed_with(v, Some([0x22; 64])).set_header(header, Some(&value))
        });
        cases.push(row(name, Transport, how, 403, "bad_client_signature", AUDITED));
    }
    cases
}
