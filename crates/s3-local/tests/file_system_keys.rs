//! Keys a directory tree cannot hold get S3's client answers, never `500`: reads `404 NoSuchKey`,
//! deletes `204`, writes `400` (`KeyTooLongError` or `InvalidArgument`) with nothing stored.

// Test code: a failed unwrap or index is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{Answer, Server, BUCKET};

fn code(answer: &Answer) -> (u16, Option<&str>) {
    (answer.status, answer.element("Code"))
}

/// PUT, GET, HEAD and DELETE of `key`: the PUT gets `400 put_code`, the reads `404`, the delete `204`.
async fn assert_unstorable(s: &Server, key: &str, put_code: &str) {
    assert_eq!(code(&s.put(key, b"body").await), (400, Some(put_code)), "PUT {key:?}");
    assert_eq!(code(&s.get(key).await), (404, Some("NoSuchKey")), "GET {key:?}");
    assert_eq!(s.head(key).await.status, 404, "HEAD {key:?}");
    assert_eq!(s.delete(key).await.status, 204, "DELETE {key:?}");
}

#[tokio::test]
async fn a_segment_longer_than_the_file_system_allows_is_a_client_error() {
    let s = common::start().await;
    let key = format!("long/{}/z.bin", "s".repeat(300));
    assert_unstorable(&s, &key, "KeyTooLongError").await;
    for prefix in ["long/", &format!("long/{}/", "s".repeat(300))] {
        let listed = s.list(prefix).await;
        assert_eq!(listed.status, 200, "{prefix}");
        assert_eq!(listed.element("KeyCount"), Some("0"), "{prefix}");
    }
    s.s3.shutdown().await;
}

#[tokio::test]
async fn a_key_too_long_for_its_metadata_file_is_refused_before_anything_is_stored() {
    let s = common::start().await;
    // 161 bytes is the most a key of bucket `reports` can have here; S3 allows 1024.
    let longest = format!("k/{}", "y".repeat(159));
    assert_eq!(s.put(&longest, b"fits").await.status, 200);
    assert_eq!(s.get(&longest).await.body, "fits");
    let longer = format!("k/{}", "y".repeat(160));
    assert_unstorable(&s, &longer, "KeyTooLongError").await;
    s.s3.shutdown().await;
}

#[tokio::test]
async fn a_key_below_an_existing_object_is_a_client_error() {
    let s = common::start().await;
    assert_eq!(s.put("a.png", b"png bytes").await.status, 200);
    for key in ["a.png/child.bin", "a.png/deeper/child.bin"] {
        assert_unstorable(&s, key, "InvalidArgument").await;
    }
    assert_eq!(s.get("a.png").await.body, "png bytes");
    assert_eq!(s.list("a.png/").await.element("KeyCount"), Some("0"));
    s.s3.shutdown().await;
}

#[tokio::test]
async fn a_key_naming_the_folder_of_other_keys_is_a_client_error() {
    let s = common::start().await;
    assert_eq!(s.put("d/e/f.bin", b"f").await.status, 200);
    for key in ["d", "d/e"] {
        assert_unstorable(&s, key, "InvalidArgument").await;
    }
    assert_eq!(s.get("d/e/f.bin").await.body, "f");
    s.s3.shutdown().await;
}

#[tokio::test]
async fn keys_that_would_alias_another_file_are_refused() {
    let s = common::start().await;
    assert_eq!(s.put("d/c.bin", b"original").await.status, 200);
    for key in ["d//c.bin", "d/", "d/c.bin/"] {
        assert_unstorable(&s, key, "InvalidArgument").await;
    }
    // Dot segments as the URL path sends them (a URL library would resolve them first).
    for key in ["d/./c.bin", "d/x/../c.bin", "../other/escaped.bin"] {
        let path = format!("/{BUCKET}/{key}");
        let signed = |method, length: &str| {
            let url = s.presign_url(method, &format!("{}{path}", s.s3.endpoint()), &[("content-length", length)]);
            format!("{path}?{}", url.split_once('?').unwrap().1)
        };
        let put = s.raw("PUT", &signed("PUT", "4"), &[], b"body").await;
        assert_eq!(code(&put), (400, Some("InvalidArgument")), "PUT {key}: {put:?}");
        assert_eq!(code(&s.raw("GET", &signed("GET", "0"), &[], b"").await), (404, Some("NoSuchKey")), "GET {key}");
        assert_eq!(s.raw("DELETE", &signed("DELETE", "0"), &[], b"").await.status, 204, "DELETE {key}");
    }
    assert_eq!(s.get("d/c.bin").await.body, "original");
    // `..` did not reach into another bucket.
    let escaped = s.presign_url("GET", &s.object_url("other", "escaped.bin"), &[]);
    assert_eq!(s.send("GET", &escaped, &[], None).await.status, 404);
    s.s3.shutdown().await;
}

/// A signed CopyObject of `from` to `to`, both in the test bucket.
async fn copy(s: &Server, from: &str, to: &str) -> Answer {
    let source = format!("{BUCKET}/{from}");
    let url = s.presign("PUT", to, &[("content-length", "0"), ("x-amz-copy-source", &source)]);
    s.send("PUT", &url, &[("x-amz-copy-source", &source)], Some(b"")).await
}

#[tokio::test]
async fn copies_multipart_uploads_and_batch_deletes_check_keys_too() {
    let s = common::start().await;
    assert_eq!(s.put("a.png", b"png").await.status, 200);
    assert_eq!(s.put("d/c.bin", b"c").await.status, 200);
    assert_eq!(s.put("gone.bin", b"gone").await.status, 200);

    assert_eq!(code(&copy(&s, "a.png", "a.png/copy.png").await), (400, Some("InvalidArgument")));
    assert_eq!(code(&copy(&s, "d", "copy.bin").await), (404, Some("NoSuchKey")));
    assert_eq!(code(&copy(&s, "d//c.bin", "copy.bin").await), (404, Some("NoSuchKey")));
    assert_eq!(copy(&s, "d/c.bin", "copy.bin").await.status, 200);

    for (key, expected) in [("a.png/part.bin", 400), (&*format!("m/{}", "u".repeat(127)), 400), ("m/ok.bin", 200)] {
        let url = s.presign_url("POST", &format!("{}?uploads=", s.object_url(BUCKET, key)), &[]);
        assert_eq!(s.send("POST", &url, &[], None).await.status, expected, "{key}");
    }

    let body = b"<Delete><Object><Key>d</Key></Object><Object><Key>d//c.bin</Key></Object>\
        <Object><Key>a.png/x</Key></Object><Object><Key>gone.bin</Key></Object></Delete>";
    let url = format!("{}/{BUCKET}?delete=", s.s3.endpoint());
    let length = body.len().to_string();
    let headers = s.sign_headers("POST", &url, &[("content-length", &length)], body);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let answer = s.send("POST", &url, &headers, Some(body)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body.matches("<Deleted>").count(), 4, "{answer:?}");
    assert_eq!(s.get("gone.bin").await.status, 404);
    assert_eq!(s.get("d/c.bin").await.body, "c");
    assert_eq!(s.get("a.png").await.body, "png");
    s.s3.shutdown().await;
}
