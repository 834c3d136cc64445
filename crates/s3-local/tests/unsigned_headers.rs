//! `x-amz-*` headers a signature does not cover are refused as Amazon S3 refuses them (`403
//! AccessDenied`, `HeadersNotSigned`), before anything is stored; the same headers signed work.

// Test code: a failed unwrap or index is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{Answer, BUCKET};
use sha2::{Digest, Sha256};

/// Checks that `answer` is S3's refusal for exactly `names` unsigned.
fn assert_not_signed(answer: &Answer, names: &str) {
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(answer.element("Code"), Some("AccessDenied"), "{answer:?}");
    assert_eq!(answer.element("Message"), Some("There were headers present in the request which were not signed"));
    assert_eq!(answer.element("HeadersNotSigned"), Some(names), "{answer:?}");
}

#[tokio::test]
async fn each_unsigned_x_amz_header_on_a_presigned_put_is_refused_and_accepted_once_signed() {
    let s = common::start().await;
    assert_eq!(s.put("theirs/secret.bin", b"their secret").await.status, 200);
    let copy_source = format!("{BUCKET}/theirs/secret.bin");
    let cases: [(&str, &str); 4] = [
        ("x-amz-copy-source", &copy_source),
        ("x-amz-meta-owner", "mallory"),
        ("x-amz-website-redirect-location", "/elsewhere"),
        ("x-amz-foo", "bar"),
    ];
    for (i, (name, value)) in cases.iter().enumerate() {
        let key = format!("mine/{i}.bin");
        // A copy carries no body; the others upload four bytes.
        let body: &[u8] = if *name == "x-amz-copy-source" { b"" } else { b"body" };
        let length = body.len().to_string();
        let url = s.presign("PUT", &key, &[("content-length", &length)]);
        assert_not_signed(&s.send("PUT", &url, &[(name, value)], Some(body)).await, name);
        assert_eq!(s.get(&key).await.status, 404, "{name}: a refused PUT stored something");

        let url = s.presign("PUT", &key, &[("content-length", &length), (name, value)]);
        assert_eq!(s.send("PUT", &url, &[(name, value)], Some(body)).await.status, 200, "{name} signed");
    }
    // Signed, each did what it says: a copy, stored metadata, a stored redirect.
    assert_eq!(s.get("mine/0.bin").await.body, "their secret");
    let url = s.presign("GET", "mine/1.bin", &[]);
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.headers()["x-amz-meta-owner"], "mallory");
    let answer = reqwest::get(s.presign("GET", "mine/2.bin", &[])).await.unwrap();
    assert_eq!(answer.headers()["x-amz-website-redirect-location"], "/elsewhere");
    s.s3.shutdown().await;
}

#[tokio::test]
async fn an_unsigned_copy_source_cannot_replace_an_object() {
    let s = common::start().await;
    assert_eq!(s.put("theirs/secret.bin", b"their secret").await.status, 200);
    assert_eq!(s.put("mine/doc.bin", b"original").await.status, 200);
    let copy_source = format!("{BUCKET}/theirs/secret.bin");
    // Signed: never overwrite, and an empty body. The attacker adds an unsigned copy source.
    let signed = [("content-length", "0"), ("if-none-match", "*")];
    let url = s.presign("PUT", "mine/doc.bin", &signed);
    let sent = [("if-none-match", "*"), ("x-amz-copy-source", copy_source.as_str())];
    assert_not_signed(&s.send("PUT", &url, &sent, Some(b"")).await, "x-amz-copy-source");
    assert_eq!(s.get("mine/doc.bin").await.body, "original");

    let url = s.presign("PUT", "mine/new.bin", &signed);
    let sent = [("if-none-match", "*"), ("x-amz-copy-source", copy_source.as_str()), ("x-amz-meta-a", "1")];
    assert_not_signed(&s.send("PUT", &url, &sent, Some(b"")).await, "x-amz-copy-source, x-amz-meta-a");
    assert_eq!(s.get("mine/new.bin").await.status, 404);
    s.s3.shutdown().await;
}

#[tokio::test]
async fn a_presigned_request_may_leave_only_the_payload_hash_unsigned() {
    let s = common::start().await;
    let body = b"hashed body";
    let url = s.presign("PUT", "hash/a.bin", &[("content-length", "11")]);
    let hash = hex::encode(Sha256::digest(body));
    assert_eq!(s.send("PUT", &url, &[("x-amz-content-sha256", &hash)], Some(body)).await.status, 200);
    assert_eq!(s.get("hash/a.bin").await.body, "hashed body");

    // Unsigned, it is still checked against the body.
    let url = s.presign("PUT", "hash/b.bin", &[("content-length", "11")]);
    let wrong = hex::encode(Sha256::digest(b"other body!"));
    let answer = s.send("PUT", &url, &[("x-amz-content-sha256", &wrong)], Some(body)).await;
    assert_eq!((answer.status, answer.element("Code")), (400, Some("XAmzContentSHA256Mismatch")));
    assert_eq!(s.get("hash/b.bin").await.status, 404);

    // A GET with an unsigned x-amz-* header other than the hash is refused too.
    let url = s.presign("GET", "hash/a.bin", &[]);
    assert_eq!(s.send("GET", &url, &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], None).await.status, 200);
    assert_not_signed(&s.send("GET", &url, &[("x-amz-checksum-mode", "ENABLED")], None).await, "x-amz-checksum-mode");
    s.s3.shutdown().await;
}

#[tokio::test]
async fn a_header_signed_request_must_sign_every_x_amz_header() {
    let s = common::start().await;
    let url = s.object_url(BUCKET, "header/a.bin");
    let mut headers = s.sign_headers("PUT", &url, &[("content-length", "4"), ("x-amz-meta-a", "1")], b"body");
    headers.push(("x-amz-meta-a".into(), "1".into()));
    let sent: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(s.send("PUT", &url, &sent, Some(b"body")).await.status, 200);

    let url = s.object_url(BUCKET, "header/b.bin");
    let headers = s.sign_headers("PUT", &url, &[("content-length", "4")], b"body");
    let mut sent: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    sent.push(("x-amz-meta-b", "2"));
    assert_not_signed(&s.send("PUT", &url, &sent, Some(b"body")).await, "x-amz-meta-b");
    assert_eq!(s.get("header/b.bin").await.status, 404);
    s.s3.shutdown().await;
}

#[tokio::test]
async fn malformed_signed_header_lists_are_refused() {
    let s = common::start().await;
    assert_eq!(s.put("m/a.bin", b"a").await.status, 200);
    let url = s.presign("GET", "m/a.bin", &[]);
    assert!(url.contains("X-Amz-SignedHeaders=host&"), "{url}");
    for list in ["", "host%3B%3Bx-amz-meta-a", "HOST", "host%2Cx-amz-meta-a", "host&X-Amz-SignedHeaders=host"] {
        let bad = url.replace("X-Amz-SignedHeaders=host&", &format!("X-Amz-SignedHeaders={list}&"));
        let answer = s.send("GET", &bad, &[], None).await;
        assert_eq!((answer.status, answer.element("Code")), (400, Some("AuthorizationQueryParametersError")), "{list}");
    }
    let unauthorised = s.object_url(BUCKET, "m/a.bin");
    let answer = s.send("GET", &unauthorised, &[("authorization", "AWS4-HMAC-SHA256 Credential=,")], None).await;
    assert_eq!((answer.status, answer.element("Code")), (400, Some("AuthorizationHeaderMalformed")));
    // The server is still there.
    assert_eq!(s.send("GET", &url, &[], None).await.body, "a");
    s.s3.shutdown().await;
}
