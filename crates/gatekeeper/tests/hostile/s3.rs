//! Operation confusion at S3 (docs/api.md "POST /v1/authorize"; SECURITY.md G6, G15): a presigned
//! GET used with another method, a presigned PUT used for reading or with another length, body,
//! content type or missing signed header, query parameters tampered with (signature, expiry,
//! date, credential, signed headers, added parameters), unsigned `x-amz-*` headers added to a
//! presigned request (S3 refuses them with 403), an overwrite of an existing object, an expired
//! URL. The in-process S3 checks SigV4 as S3 does. S3 is not audited: each case instead checks
//! what S3 must not have done (the stored object unchanged, no new object), and counts the grants
//! its setup made so no other grant goes unnoticed.
//! The bucket is never touched around the gatekeeper except to read back what S3 did.

use std::time::{Duration, SystemTime};

use sha2::Digest as _;

use s3gk_protocol::{ObjectKey, Operation};

use super::harness::{row, steps, Attempt, Case, Ctx, How, Outcome, Threat::S3, ANY_4XX, NOT_AUDITED};
use super::s3_client::{answered, grant, s3_code, still, upload, S3Req};

/// A stored object, a get grant for it, then `bend` applied to the presigned GET. Two grants.
fn get_url(bend: fn(S3Req) -> S3Req) -> How {
    steps(move |ctx| async move {
        let key = ctx.unique_key("stored.bin");
        let setup = async {
            let cipher = upload(&ctx, &key, b"stored earlier").await?;
            Ok::<_, String>((cipher, grant(&ctx, Operation::Get, &key).await?))
        };
        let (cipher, get) = match setup.await {
            Ok(s) => s,
            Err(e) => return Outcome::broken(e),
        };
        let mut out = answered(bend(S3Req::of(&get)).send(&ctx).await, 2);
        still(&ctx, &key, Some(&cipher), &mut out).await;
        out
    })
}

/// A put grant for 1000 bytes (over an existing object if `over_existing`, with the SHA-256 bound
/// if `bind_sha`), then `bend` applied to the presigned PUT carrying the 1000 bytes.
fn put_url(over_existing: bool, bind_sha: bool, bend: fn(S3Req) -> S3Req) -> How {
    steps(move |ctx| async move {
        let key = ctx.unique_key("target.bin");
        let body = vec![0x5a; 1000];
        let sha256 = bind_sha.then(|| sha2::Sha256::digest(&body).into());
        let setup = async {
            let before = match over_existing {
                true => Some(upload(&ctx, &key, b"stored earlier").await?),
                false => None,
            };
            let op = Operation::Put { content_length: 1000, sha256, content_type: None };
            Ok::<_, String>((before, grant(&ctx, op, &key).await?))
        };
        let (before, put) = match setup.await {
            Ok(s) => s,
            Err(e) => return Outcome::broken(e),
        };
        let grants = 1 + usize::from(over_existing);
        let mut out = answered(bend(S3Req::of(&put).body(body)).send(&ctx).await, grants);
        still(&ctx, &key, before.as_deref(), &mut out).await;
        out
    })
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n == name => format!("{n}={value}"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

fn param<'a>(url: &'a str, name: &str) -> &'a str {
    url.split(['?', '&']).find_map(|p| p.strip_prefix(name)?.strip_prefix('=')).unwrap_or_default()
}

const SIG_MISMATCH: &str = "SignatureDoesNotMatch";
const DENIED: &str = "AccessDenied";

/// `(name, how the presigned GET is bent, status, S3 code)`.
type GetRow = (&'static str, fn(S3Req) -> S3Req, u16, &'static str);
/// `(name, over an existing object, SHA-256 bound, how the presigned PUT is bent, status, S3 code)`.
type PutRow = (&'static str, bool, bool, fn(S3Req) -> S3Req, u16, &'static str);

const GET_ROWS: &[GetRow] = &[
    ("get_url_used_to_put", |r| r.method("PUT").body(b"overwritten".to_vec()), 403, SIG_MISMATCH),
    ("get_url_used_to_delete", |r| r.method("DELETE"), 403, SIG_MISMATCH),
    ("get_url_used_for_head", |r| r.method("HEAD"), 403, ""),
    ("get_url_used_to_post", |r| r.method("POST").body(b"x".to_vec()), ANY_4XX, "*"),
    ("get_url_for_another_key", |r| r.url(|u| u.replacen("stored.bin", "other.bin", 1)), 403, SIG_MISMATCH),
    ("get_url_in_another_bucket", |r| r.url(|u| u.replacen("/reports/", "/reports2/", 1)), ANY_4XX, "*"),
    ("get_url_signature_flipped", |r| r.url(flip_signature), 403, SIG_MISMATCH),
    ("get_url_signature_removed", |r| r.url(|u| replace_param(u, "X-Amz-Signature", "")), ANY_4XX, "*"),
    ("get_url_expiry_raised", |r| r.url(|u| replace_param(u, "X-Amz-Expires", "604800")), 403, SIG_MISMATCH),
    ("get_url_date_moved", |r| r.url(|u| replace_param(u, "X-Amz-Date", "20300101T000000Z")), 403, "*"),
    ("get_url_other_access_key", |r| r.url(|u| u.replacen("AKIAS3LOCALTEST", "AKIAOTHERKEY0000", 1)), 403, "*"),
    ("get_url_other_region", |r| r.url(|u| u.replacen("%2Fus-east-1%2F", "%2Feu-west-1%2F", 1)), ANY_4XX, "*"),
    (
        "get_url_signed_headers_widened",
        |r| r.url(|u| replace_param(u, "X-Amz-SignedHeaders", "host%3Brange")),
        403,
        "*",
    ),
    ("get_url_response_content_type_added", |r| r.url(|u| format!("{u}&response-content-type=text%2Fhtml")), 403, "*"),
    ("get_url_version_id_added", |r| r.url(|u| format!("{u}&versionId=1")), 403, "*"),
    ("get_url_security_token_added", |r| r.url(|u| format!("{u}&X-Amz-Security-Token=forged")), 403, "*"),
    ("get_url_with_unsigned_x_amz_meta", |r| r.header("x-amz-meta-foo", "bar"), 403, DENIED),
    ("get_url_with_unsigned_request_payer", |r| r.header("x-amz-request-payer", "requester"), 403, DENIED),
    ("get_url_with_unsigned_checksum_mode", |r| r.header("x-amz-checksum-mode", "ENABLED"), 403, DENIED),
];

const PUT_ROWS: &[PutRow] = &[
    ("put_url_used_to_get", true, false, |r| S3Req { body: None, ..r }.method("GET"), 403, SIG_MISMATCH),
    ("put_url_used_to_delete", true, false, |r| S3Req { body: None, ..r }.method("DELETE"), 403, SIG_MISMATCH),
    ("put_url_with_a_longer_body", false, false, |r| r.body(vec![0x5a; 1001]), 403, SIG_MISMATCH),
    ("put_url_with_a_shorter_body", false, false, |r| r.body(vec![0x5a; 999]), 403, SIG_MISMATCH),
    (
        "put_url_with_another_body_of_the_bound_digest",
        false,
        true,
        |r| r.body(vec![0xa5; 1000]),
        400,
        "XAmzContentSHA256Mismatch",
    ),
    ("put_url_as_text_html", false, false, |r| r.header("content-type", "text/html"), 403, SIG_MISMATCH),
    ("put_url_without_if_none_match", false, false, |r| r.without("if-none-match"), 403, SIG_MISMATCH),
    ("put_url_without_encryption", false, false, |r| r.without("x-amz-server-side-encryption"), 403, "*"),
    ("put_url_with_kms_encryption", false, false, |r| r.header("x-amz-server-side-encryption", "aws:kms"), 403, "*"),
    (
        "put_url_for_another_key",
        false,
        false,
        |r| r.url(|u| u.replacen("target.bin", "elsewhere.bin", 1)),
        403,
        SIG_MISMATCH,
    ),
    ("put_url_over_an_existing_object", true, false, |r| r, 412, "PreconditionFailed"),
    ("put_url_with_unsigned_x_amz_meta", false, false, |r| r.header("x-amz-meta-foo", "bar"), 403, DENIED),
    (
        "put_url_with_unsigned_redirect",
        false,
        false,
        |r| r.header("x-amz-website-redirect-location", "https://evil.example/"),
        403,
        DENIED,
    ),
    ("put_url_with_unsigned_acl", false, false, |r| r.header("x-amz-acl", "public-read"), 403, DENIED),
    ("put_url_with_unsigned_tagging", false, false, |r| r.header("x-amz-tagging", "a=b"), 403, DENIED),
    ("put_url_with_unsigned_storage_class", false, false, |r| r.header("x-amz-storage-class", "STANDARD"), 403, DENIED),
    (
        "put_url_with_unsigned_grant",
        false,
        false,
        |r| r.header("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""),
        403,
        DENIED,
    ),
    ("put_url_with_unsigned_legal_hold", false, false, |r| r.header("x-amz-object-lock-legal-hold", "ON"), 403, DENIED),
];

fn flip_signature(url: &str) -> String {
    let sig = param(url, "X-Amz-Signature");
    let (first, rest) = sig.split_at(sig.len().min(1));
    let flipped = format!("{}{rest}", if first == "0" { "1" } else { "0" });
    replace_param(url, "X-Amz-Signature", &flipped)
}

pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = GET_ROWS
        .iter()
        .map(|&(name, bend, status, code)| row(name, S3, get_url(bend), status, code, NOT_AUDITED))
        .collect();
    for &(name, existing, sha, bend, status, code) in PUT_ROWS {
        cases.push(row(name, S3, put_url(existing, sha, bend), status, code, NOT_AUDITED));
    }
    for (name, over_existing) in
        [("put_url_with_unsigned_copy_source", false), ("put_url_over_existing_with_copy_source", true)]
    {
        cases.push(row(name, S3, copy_source(over_existing), 403, DENIED, NOT_AUDITED));
    }
    cases.push(row("put_url_reused_after_the_upload", S3, steps(put_twice), 412, "PreconditionFailed", NOT_AUDITED));
    cases.push(row("put_url_with_a_chunked_body", S3, steps(put_chunked), ANY_4XX, "*", NOT_AUDITED));
    cases.push(row("get_url_expired", S3, steps(expired_get), 403, "*", NOT_AUDITED));
    cases
}

async fn put_twice(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let key = ctx.unique_key("once.bin");
    let put = match grant(&ctx, Operation::Put { content_length: 10, sha256: None, content_type: None }, &key).await {
        Ok(p) => p,
        Err(e) => return Outcome::broken(e),
    };
    let first = S3Req::of(&put).body(b"first body".to_vec());
    let mut out = match first.send(&ctx).await {
        Ok((200, _, _)) => answered(S3Req::of(&put).body(b"other body".to_vec()).send(&ctx).await, 1),
        other => return Outcome::broken(format!("first upload: {other:?}")).grants(1),
    };
    still(&ctx, &key, Some(b"first body"), &mut out).await;
    out
}

/// The presigned PUT with its body sent chunked, without the signed `content-length`.
async fn put_chunked(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let key = ctx.unique_key("chunked.bin");
    let put = match grant(&ctx, Operation::Put { content_length: 1000, sha256: None, content_type: None }, &key).await {
        Ok(p) => p,
        Err(e) => return Outcome::broken(e),
    };
    let req = S3Req::of(&put);
    let target = req.url.splitn(4, '/').nth(3).map(|t| format!("/{t}")).unwrap_or_default();
    let addr = ctx.stack.s3.local_addr();
    let mut attempt = Attempt::authorize("127.0.0.1".parse().expect("literal"), vec![0x5a; 1000], None)
        .method("PUT")
        .target(&target)
        .set_header("Content-Type", None)
        .set_header("User-Agent", None)
        .mode(super::wire::BodyMode::Chunked(100));
    for (n, v) in &req.headers {
        attempt = attempt.header(n, v);
    }
    let result = super::wire::send(addr, &attempt.raw).await.map(|a| (a.status, s3_code(&a.body), a.body));
    let mut out = answered(result, 1);
    still(&ctx, &key, None, &mut out).await;
    out
}

/// A GET the gatekeeper's own S3 client presigned two hours ago (expiry: one minute).
async fn expired_get(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let key = ctx.unique_key("old.bin");
    if let Err(e) = upload(&ctx, &key, b"stored earlier").await {
        return Outcome::broken(e);
    }
    let then = SystemTime::now() - Duration::from_secs(2 * 3600);
    let key = match ObjectKey::parse(&key) {
        Ok(key) => key,
        Err(p) => return Outcome::broken(format!("{key}: {}", p.code())),
    };
    match ctx.stack.gk.s3.presign_get(&key, then) {
        Ok(p) => {
            let req = S3Req { method: p.method.into(), url: p.url, headers: Vec::new(), body: None };
            answered(req.send(&ctx).await, 1)
        }
        Err(e) => Outcome::broken(e.to_string()).grants(1),
    }
}

/// A put grant (over an existing object if `over_existing`) used with an unsigned
/// `x-amz-copy-source` naming another stored object: S3 must refuse, not copy.
fn copy_source(over_existing: bool) -> How {
    steps(move |ctx| async move {
        let (source, target) = (ctx.unique_key("source.bin"), ctx.unique_key("target.bin"));
        let setup = async {
            upload(&ctx, &source, b"the source").await?;
            let before = match over_existing {
                true => Some(upload(&ctx, &target, b"stored earlier").await?),
                false => None,
            };
            let op = Operation::Put { content_length: 0, sha256: None, content_type: None };
            Ok::<_, String>((before, grant(&ctx, op, &target).await?))
        };
        let (before, put) = match setup.await {
            Ok(s) => s,
            Err(e) => return Outcome::broken(e),
        };
        let req = S3Req::of(&put).header("x-amz-copy-source", &format!("/reports/{source}")).body(Vec::new());
        let mut out = answered(req.send(&ctx).await, 2 + usize::from(over_existing));
        still(&ctx, &target, before.as_deref(), &mut out).await;
        out
    })
}
