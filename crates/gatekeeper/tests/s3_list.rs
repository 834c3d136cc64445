//! Listing, existence checks, settings checks and CORS, against a real `LocalS3` on a loopback port.

// Test code: a failed unwrap or index is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::SystemTime;

use s3gk_gatekeeper::s3::{ListedObject, S3Client, S3Error, S3Settings};
use s3gk_gatekeeper::secret::Secret;
use s3gk_protocol::{KeyPrefix, ObjectKey};
use s3gk_s3_local::{LocalS3, LocalS3Config};

const BUCKET: &str = "reports";
const APP: &str = "https://app.example";

fn settings(s3: &LocalS3, secret: &str) -> S3Settings {
    S3Settings {
        endpoint: s3.endpoint().parse().unwrap(),
        region: s3.region().to_owned(),
        bucket: BUCKET.to_owned(),
        path_style: true,
        access_key_id: s3.access_key().to_owned(),
        secret_access_key: Secret::new(secret.to_owned()),
        session_token: None,
        presign_expiry_secs: 300,
    }
}

async fn start(dir: &tempfile::TempDir) -> LocalS3 {
    let mut config = LocalS3Config::loopback(dir.path().join("s3"));
    config.buckets = vec![BUCKET.to_owned()];
    config.cors_origins = vec![APP.to_owned(), "http://127.0.0.1:8080".to_owned()];
    LocalS3::start(config).await.unwrap()
}

fn object(text: &str) -> ObjectKey {
    ObjectKey::parse(text).unwrap()
}

fn prefix(text: &str) -> KeyPrefix {
    KeyPrefix::parse(text).unwrap()
}

async fn put(client: &S3Client, key: &str, body: &[u8]) {
    let req = client.presign_put(&object(key), body.len() as u64, None, None, SystemTime::now()).unwrap();
    let mut builder = reqwest::Client::new().put(&req.url).header("content-length", body.len()).body(body.to_vec());
    for (name, value) in req.headers.iter().filter(|(n, _)| n != "content-length") {
        builder = builder.header(name, value);
    }
    assert_eq!(builder.send().await.unwrap().status(), 200, "{key}");
}

#[tokio::test]
async fn listing_follows_pages_and_stays_inside_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    let client = S3Client::new(settings(&s3, s3.secret_key())).unwrap().with_list_page_size(2);
    let mut expected = Vec::new();
    for i in 0..7 {
        let key = format!("case-1/obj {i} é+.bin");
        put(&client, &key, &vec![b'x'; i]).await;
        expected.push(ListedObject { key: object(&key), size: i as u64 });
    }
    for key in ["case-10/a", "case-2/b", "case-1.txt", "other.txt"] {
        put(&client, key, b"noise").await;
    }
    expected.sort_by(|a, b| a.key.cmp(&b.key));

    assert_eq!(client.list_objects(&prefix("case-1/"), 100).await.unwrap(), expected);
    assert_eq!(client.list_objects(&prefix("case-1/"), 7).await.unwrap(), expected);
    assert_eq!(client.list_objects(&prefix("case-1/"), 6).await, Err(S3Error::TooManyObjects { max: 6 }));
    assert_eq!(client.list_objects(&prefix("case-1/"), 6).await.unwrap_err().code(), "too_many_objects");
    assert_eq!(client.list_objects(&prefix("case-1/"), 0).await, Err(S3Error::TooManyObjects { max: 0 }));
    assert_eq!(client.list_objects(&prefix("nothing-here/"), 10).await.unwrap(), vec![]);

    // The default page size gives the same answer in one page.
    let big_pages = S3Client::new(settings(&s3, s3.secret_key())).unwrap();
    assert_eq!(big_pages.list_objects(&prefix("case-1/"), 7).await.unwrap(), expected);
    assert_eq!(big_pages.list_objects(&prefix("case-1/"), 3).await, Err(S3Error::TooManyObjects { max: 3 }));
    for (neighbour, key) in [("case-10/", "case-10/a"), ("case-2/", "case-2/b")] {
        let listed = big_pages.list_objects(&prefix(neighbour), 100).await.unwrap();
        assert_eq!(listed, vec![ListedObject { key: object(key), size: 5 }]);
    }
    s3.shutdown().await;
}

#[tokio::test]
async fn a_listed_key_that_fails_the_key_check_refuses_the_listing() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    let client = S3Client::new(settings(&s3, s3.secret_key())).unwrap();
    put(&client, "case-5/ok.txt", b"fine").await;
    assert_eq!(client.list_objects(&prefix("case-5/"), 10).await.unwrap().len(), 1);
    // Stored around the gatekeeper (straight into the store's directory): names the protocol's key
    // check refuses. Such a key is neither presigned nor given key material: the listing fails.
    for (folder, name) in [("case-6", "a\\b.txt"), ("case-7", "a\u{7f}b.txt")] {
        let stored = dir.path().join("s3").join(BUCKET).join(folder);
        std::fs::create_dir_all(&stored).unwrap();
        std::fs::write(stored.join("ok.txt"), b"fine").unwrap();
        std::fs::write(stored.join(name), b"stray").unwrap();
        let listed = client.list_objects(&prefix(&format!("{folder}/")), 10).await;
        assert_eq!(listed, Err(S3Error::InvalidKey), "{name:?}");
    }
    s3.shutdown().await;
}

#[tokio::test]
async fn object_exists_tells_present_from_absent() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    let client = S3Client::new(settings(&s3, s3.secret_key())).unwrap();
    put(&client, "t/here é.txt", b"here").await;
    assert!(client.object_exists(&object("t/here é.txt")).await.unwrap());
    assert!(!client.object_exists(&object("t/absent.txt")).await.unwrap());
    assert!(!client.object_exists(&object("t/here")).await.unwrap());
    // A key with a dot segment is no `ObjectKey`, so it never reaches S3.
    assert!(ObjectKey::parse("t/../here").is_err());
    s3.shutdown().await;
}

#[tokio::test]
async fn refusals_and_outages_have_stable_codes_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    let wrong = S3Client::new(settings(&s3, "wrong-secret-value")).unwrap();
    let refused = wrong.list_objects(&prefix("any/"), 10).await.unwrap_err();
    assert_eq!(refused, S3Error::Refused { status: 403, code: Some("SignatureDoesNotMatch".into()) });
    assert_eq!(refused.code(), "s3_error");
    let refused_head = wrong.object_exists(&object("x")).await.unwrap_err();
    assert!(matches!(refused_head, S3Error::Refused { status: 403, .. }), "{refused_head:?}");
    for shown in [refused.to_string(), format!("{refused:?}"), format!("{wrong:?}")] {
        assert!(!shown.contains("wrong-secret-value") && !shown.contains(s3.secret_key()), "{shown}");
    }

    let mut other_region = settings(&s3, s3.secret_key());
    other_region.region = "eu-west-1".to_owned();
    let misconfigured = S3Client::new(other_region).unwrap();
    let refused = misconfigured.list_objects(&prefix("any/"), 10).await.unwrap_err();
    assert_eq!(refused, S3Error::Refused { status: 400, code: Some("AuthorizationHeaderMalformed".into()) });

    let gone = S3Client::new(settings(&s3, s3.secret_key())).unwrap();
    s3.shutdown().await;
    let outage = gone.list_objects(&prefix("any/"), 10).await.unwrap_err();
    assert_eq!(outage.code(), "s3_unavailable", "{outage:?}");
    assert_eq!(gone.object_exists(&object("x")).await.unwrap_err().code(), "s3_unavailable");
}

#[tokio::test]
async fn settings_are_checked_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    let good = settings(&s3, s3.secret_key());
    type Change = Box<dyn Fn(&mut S3Settings)>;
    let cases: Vec<(&str, Change)> = vec![
        ("ftp scheme", Box::new(|s| s.endpoint = "ftp://127.0.0.1/".parse().unwrap())),
        ("endpoint path", Box::new(|s| s.endpoint = "http://127.0.0.1:9/base".parse().unwrap())),
        ("virtual-hosted IP", Box::new(|s| s.path_style = false)),
        ("bucket", Box::new(|s| s.bucket = "Bad_Bucket".into())),
        ("region", Box::new(|s| s.region = String::new())),
        ("zero expiry", Box::new(|s| s.presign_expiry_secs = 0)),
        ("8 day expiry", Box::new(|s| s.presign_expiry_secs = 8 * 24 * 3600)),
    ];
    for (what, change) in cases {
        let mut bad = good.clone();
        change(&mut bad);
        assert_eq!(S3Client::new(bad).unwrap_err().code(), "s3_settings", "{what}");
    }

    let mut virtual_hosted = good.clone();
    virtual_hosted.endpoint = "https://s3.eu-west-1.amazonaws.com".parse().unwrap();
    virtual_hosted.path_style = false;
    let client = S3Client::new(virtual_hosted).unwrap();
    let req = client.presign_get(&object("a b/c.txt"), SystemTime::now()).unwrap();
    assert!(req.url.starts_with("https://reports.s3.eu-west-1.amazonaws.com/a%20b/c.txt?X-Amz-"), "{req:?}");
    s3.shutdown().await;
}

async fn preflight(s3: &LocalS3, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/{BUCKET}/some/key", s3.endpoint()))
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "content-type,if-none-match,x-amz-server-side-encryption,x-amz-content-sha256,x-amz-checksum-sha256",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_allows_exactly_the_configured_origins() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = start(&dir).await;
    for origin in [APP, "http://127.0.0.1:8080"] {
        let answer = preflight(&s3, origin).await;
        assert!(answer.status().is_success());
        let h = answer.headers();
        assert_eq!(h["access-control-allow-origin"], origin);
        let methods = h["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
        assert!(["GET", "PUT", "HEAD"].iter().all(|m| methods.contains(m)), "{methods}");
        let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        for header in ["content-type", "if-none-match", "x-amz-server-side-encryption", "x-amz-content-sha256"] {
            assert!(allowed.contains(header), "{allowed}");
        }
    }
    for evil in [
        "https://evil.example",
        "https://app.example.evil.com",
        "https://evilapp.example",
        "http://app.example",
        "null",
    ] {
        let answer = preflight(&s3, evil).await;
        assert!(answer.headers().get("access-control-allow-origin").is_none(), "{evil}");
    }

    // A simple GET from the page sees the ETag; the same GET from elsewhere gets no CORS headers.
    let client = S3Client::new(settings(&s3, s3.secret_key())).unwrap();
    put(&client, "cors/x.txt", b"x").await;
    let url = client.presign_get(&object("cors/x.txt"), SystemTime::now()).unwrap().url;
    let allowed = reqwest::Client::new().get(&url).header("origin", APP).send().await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], APP);
    assert!(allowed.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase().contains("etag"));
    let other = reqwest::Client::new().get(&url).header("origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    s3.shutdown().await;
}
