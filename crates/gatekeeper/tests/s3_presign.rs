//! Presigned GET and PUT URLs from `s3::S3Client`, used against a real `LocalS3` (s3s + s3s-fs) on a
//! loopback port: valid URLs work, and tampered, wrong-key, expired or overreaching uses are refused.

// Test code: a failed unwrap or index is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{Duration, SystemTime};

use s3gk_gatekeeper::s3::{PresignedRequest, S3Client, S3Settings};
use s3gk_gatekeeper::secret::Secret;
use s3gk_protocol::ObjectKey;
use s3gk_s3_local::{LocalS3, LocalS3Config};
use sha2::{Digest, Sha256};

const BUCKET: &str = "reports";

struct Fixture {
    _dir: tempfile::TempDir,
    s3: LocalS3,
    client: S3Client,
    http: reqwest::Client,
}

fn settings(s3: &LocalS3, secret: &str, expiry: u64) -> S3Settings {
    S3Settings {
        endpoint: s3.endpoint().parse().unwrap(),
        region: s3.region().to_owned(),
        bucket: BUCKET.to_owned(),
        path_style: true,
        access_key_id: s3.access_key().to_owned(),
        secret_access_key: Secret::new(secret.to_owned()),
        session_token: None,
        presign_expiry_secs: expiry,
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LocalS3Config::loopback(dir.path().join("s3"));
    config.buckets = vec![BUCKET.to_owned()];
    let s3 = LocalS3::start(config).await.unwrap();
    let client = S3Client::new(settings(&s3, s3.secret_key(), 300)).unwrap();
    Fixture { _dir: dir, s3, client, http: reqwest::Client::new() }
}

fn object(text: &str) -> ObjectKey {
    ObjectKey::parse(text).unwrap()
}

/// Sends `req` with its signed headers, and `content-length` taken from the body, as a browser does.
async fn send(http: &reqwest::Client, req: &PresignedRequest, body: Option<&[u8]>) -> reqwest::Response {
    let mut builder = http.request(req.method.parse().unwrap(), &req.url);
    for (name, value) in req.headers.iter().filter(|(n, _)| n != "content-length") {
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.header("content-length", body.len()).body(body.to_vec());
    }
    builder.send().await.unwrap()
}

async fn put(f: &Fixture, key: &str, body: &[u8]) -> reqwest::Response {
    let req = f
        .client
        .presign_put(&object(key), body.len() as u64, Some(Sha256::digest(body).into()), None, SystemTime::now())
        .unwrap();
    send(&f.http, &req, Some(body)).await
}

async fn get(f: &Fixture, key: &str) -> (u16, Vec<u8>) {
    let req = f.client.presign_get(&object(key), SystemTime::now()).unwrap();
    let answer = send(&f.http, &req, None).await;
    (answer.status().as_u16(), answer.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn presigned_get_downloads_objects_whatever_their_keys() {
    let f = fixture().await;
    let keys =
        ["t1/plain.bin", "t1/with space/q1 report.pdf", "t1/café/日本語 ü.txt", "t1/a+b%c~d=e&f;g,h@i$j(k)'!*.txt"];
    for (i, key) in keys.iter().enumerate() {
        let body = format!("object {i}: {key}").into_bytes();
        assert_eq!(put(&f, key, &body).await.status(), 200, "{key}");
        assert_eq!(get(&f, key).await, (200, body), "{key}");
    }
    assert_eq!(get(&f, "t1/missing").await.0, 404);
    f.s3.shutdown().await;
}

#[tokio::test]
async fn tampered_get_urls_are_refused() {
    let f = fixture().await;
    assert_eq!(put(&f, "t2/secret.txt", b"secret").await.status(), 200);
    assert_eq!(put(&f, "t2/public.txt", b"public").await.status(), 200);
    let req = f.client.presign_get(&object("t2/secret.txt"), SystemTime::now()).unwrap();
    assert_eq!(send(&f.http, &req, None).await.status(), 200);

    let mut other_key = req.clone();
    other_key.url = req.url.replace("secret.txt", "public.txt");
    assert_eq!(send(&f.http, &other_key, None).await.status(), 403);

    let (head, signature) = req.url.split_once("X-Amz-Signature=").unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let mut bad_signature = req.clone();
    bad_signature.url = format!("{head}X-Amz-Signature={flipped}{}", &signature[1..]);
    assert_eq!(send(&f.http, &bad_signature, None).await.status(), 403);

    let mut longer_expiry = req.clone();
    longer_expiry.url = req.url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000");
    assert_ne!(longer_expiry.url, req.url);
    assert_eq!(send(&f.http, &longer_expiry, None).await.status(), 403);

    let unsigned = f.http.get(req.url.split('?').next().unwrap()).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    f.s3.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_wrong_region_and_expired_urls_are_refused() {
    let f = fixture().await;
    assert_eq!(put(&f, "t3/x.txt", b"x").await.status(), 200);

    let wrong = S3Client::new(settings(&f.s3, "not-the-secret", 300)).unwrap();
    let req = wrong.presign_get(&object("t3/x.txt"), SystemTime::now()).unwrap();
    assert_eq!(send(&f.http, &req, None).await.status(), 403);

    let mut other_region = settings(&f.s3, f.s3.secret_key(), 300);
    other_region.region = "eu-west-1".to_owned();
    let req = S3Client::new(other_region).unwrap().presign_get(&object("t3/x.txt"), SystemTime::now()).unwrap();
    assert_eq!(send(&f.http, &req, None).await.status(), 400);

    let short = S3Client::new(settings(&f.s3, f.s3.secret_key(), 60)).unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    let req = short.presign_get(&object("t3/x.txt"), two_hours_ago).unwrap();
    assert!(req.url.contains("X-Amz-Expires=60"));
    assert_eq!(send(&f.http, &req, None).await.status(), 403);
    let fresh = short.presign_get(&object("t3/x.txt"), SystemTime::now()).unwrap();
    assert_eq!(send(&f.http, &fresh, None).await.status(), 200);
    f.s3.shutdown().await;
}

#[tokio::test]
async fn presigned_put_binds_length_and_sse_and_never_overwrites() {
    let f = fixture().await;
    let key = "t4/upload.bin";
    let body = b"exactly twenty bytes".to_vec();
    let req = f.client.presign_put(&object(key), body.len() as u64, None, None, SystemTime::now()).unwrap();
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["content-length", "content-type", "if-none-match", "x-amz-server-side-encryption"]);

    let longer = [body.as_slice(), b"!"].concat();
    assert_eq!(send(&f.http, &req, Some(&longer)).await.status(), 403);
    assert_eq!(send(&f.http, &req, Some(&body[1..])).await.status(), 403);
    let mut no_sse = req.clone();
    no_sse.headers.retain(|(n, _)| n != "x-amz-server-side-encryption");
    assert_eq!(send(&f.http, &no_sse, Some(&body)).await.status(), 403);
    let mut kms = req.clone();
    kms.headers
        .iter_mut()
        .filter(|(n, _)| n == "x-amz-server-side-encryption")
        .for_each(|(_, v)| *v = "aws:kms".into());
    assert_eq!(send(&f.http, &kms, Some(&body)).await.status(), 403);
    let mut overwrite_ok = req.clone();
    overwrite_ok.headers.retain(|(n, _)| n != "if-none-match");
    assert_eq!(send(&f.http, &overwrite_ok, Some(&body)).await.status(), 403);
    assert!(!f.client.object_exists(&object(key)).await.unwrap(), "a refused PUT stored something");

    assert_eq!(send(&f.http, &req, Some(&body)).await.status(), 200);
    assert_eq!(get(&f, key).await, (200, body.clone()));

    // Even a fresh, valid URL cannot replace it.
    let again = f.client.presign_put(&object(key), body.len() as u64, None, None, SystemTime::now()).unwrap();
    assert_eq!(send(&f.http, &again, Some(b"twenty other bytes!!")).await.status(), 412);
    assert_eq!(get(&f, key).await, (200, body));
    f.s3.shutdown().await;
}

#[tokio::test]
async fn every_header_a_presigned_request_asks_for_is_signed() {
    // S3 refuses unsigned `x-amz-*` headers (`HeadersNotSigned`), and an unsigned header is one an
    // uploader could change: the client must be asked to send signed headers only.
    let f = fixture().await;
    let body = b"signed headers only".to_vec();
    let digest = Sha256::digest(&body).into();
    let req = f
        .client
        .presign_put(&object("t4a/x.bin"), body.len() as u64, Some(digest), Some("text/plain"), SystemTime::now())
        .unwrap();
    let signed = req.url.split("X-Amz-SignedHeaders=").nth(1).unwrap().split('&').next().unwrap().replace("%3B", ";");
    let signed: Vec<&str> = signed.split(';').collect();
    assert!(signed.contains(&"host"), "{signed:?}");
    for (name, _) in &req.headers {
        assert!(signed.contains(&name.as_str()), "{name} is sent but not signed: {signed:?}");
    }
    assert_eq!(req.headers.len() + 1, signed.len(), "{signed:?}");
    assert_eq!(send(&f.http, &req, Some(&body)).await.status(), 200);
    assert!(f.client.presign_get(&object("t4a/x.bin"), SystemTime::now()).unwrap().headers.is_empty());
    f.s3.shutdown().await;
}

#[tokio::test]
async fn content_type_is_pinned_and_the_media_type_travels_as_metadata() {
    let f = fixture().await;
    let key = "t4b/note.txt";
    let body = b"ciphertext stand-in".to_vec();
    let req =
        f.client.presign_put(&object(key), body.len() as u64, None, Some("text/plain"), SystemTime::now()).unwrap();
    // The uploader cannot choose how S3 serves the bytes, nor change the declared media type.
    let mut html = req.clone();
    html.headers.iter_mut().filter(|(n, _)| n == "content-type").for_each(|(_, v)| *v = "text/html".into());
    assert_eq!(send(&f.http, &html, Some(&body)).await.status(), 403);
    let mut other = req.clone();
    other
        .headers
        .iter_mut()
        .filter(|(n, _)| n == "x-amz-meta-content-type")
        .for_each(|(_, v)| *v = "image/svg+xml".into());
    assert_eq!(send(&f.http, &other, Some(&body)).await.status(), 403);
    assert!(!f.client.object_exists(&object(key)).await.unwrap());

    assert_eq!(send(&f.http, &req, Some(&body)).await.status(), 200);
    let url = f.client.presign_get(&object(key), SystemTime::now()).unwrap().url;
    let resp = f.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert_eq!(resp.headers()["x-amz-meta-content-type"], "text/plain");
    f.s3.shutdown().await;
}

#[tokio::test]
async fn presigned_put_binds_the_sha256() {
    let f = fixture().await;
    let key = "t5/hashed.bin";
    let body = b"the body the vendor signed".to_vec();
    let other = b"the body an attacker wants".to_vec();
    assert_eq!(body.len(), other.len());
    let req = f
        .client
        .presign_put(&object(key), body.len() as u64, Some(Sha256::digest(&body).into()), None, SystemTime::now())
        .unwrap();
    let refused = send(&f.http, &req, Some(&other)).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("XAmzContentSHA256Mismatch"));
    assert!(!f.client.object_exists(&object(key)).await.unwrap(), "a body with the wrong hash was stored");

    let mut rehashed = req.clone();
    for (name, value) in &mut rehashed.headers {
        match name.as_str() {
            "x-amz-content-sha256" => *value = hex::encode(Sha256::digest(&other)),
            "x-amz-checksum-sha256" => *value = base64_of(&Sha256::digest(&other)),
            _ => {}
        }
    }
    assert_eq!(send(&f.http, &rehashed, Some(&other)).await.status(), 403);
    assert!(!f.client.object_exists(&object(key)).await.unwrap());

    assert_eq!(send(&f.http, &req, Some(&body)).await.status(), 200);
    assert_eq!(get(&f, key).await, (200, body));
    f.s3.shutdown().await;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn racing_conditional_puts_have_one_winner() {
    let f = fixture().await;
    let key = "t6/race.bin";
    let bodies: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 64 * 1024]).collect();
    let answers = put_all_at_once(&f, key, &bodies).await;
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 412).count(), bodies.len() - 1, "{answers:?}");
    let winner = answers.iter().position(|s| *s == 200).unwrap();
    assert_eq!(get(&f, key).await, (200, bodies[winner].clone()));
    f.s3.shutdown().await;
}

async fn put_all_at_once(f: &Fixture, key: &str, bodies: &[Vec<u8>]) -> Vec<u16> {
    let mut tasks = Vec::new();
    for body in bodies {
        let req = f.client.presign_put(&object(key), body.len() as u64, None, None, SystemTime::now()).unwrap();
        let (http, body) = (f.http.clone(), body.clone());
        tasks.push(tokio::spawn(async move { send(&http, &req, Some(&body)).await.status().as_u16() }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn presigned_requests_never_show_their_signature() {
    let f = fixture().await;
    let req = f.client.presign_get(&object("t7/a b.txt"), SystemTime::now()).unwrap();
    assert!(req.url.starts_with(&format!("{}/{BUCKET}/t7/a%20b.txt?", f.s3.endpoint())));
    let signature = req.url.split("X-Amz-Signature=").nth(1).unwrap();
    assert_eq!(signature.len(), 64);
    let shown = format!("{req:?}");
    assert!(!shown.contains(signature) && !shown.contains("X-Amz-Credential"), "{shown}");
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert!((now + 299..=now + 301).contains(&req.expires_at));
    f.s3.shutdown().await;
}

#[tokio::test]
async fn session_tokens_are_signed_into_urls() {
    let f = fixture().await;
    assert_eq!(put(&f, "t8/x.txt", b"x").await.status(), 200);
    let mut with_token = settings(&f.s3, f.s3.secret_key(), 300);
    with_token.session_token = Some(Secret::new("FwoGZXIvYXdzE+token/with=chars".to_owned()));
    let client = S3Client::new(with_token).unwrap();
    let req = client.presign_get(&object("t8/x.txt"), SystemTime::now()).unwrap();
    assert!(req.url.contains("X-Amz-Security-Token=FwoGZXIvYXdzE%2Btoken%2Fwith%3Dchars"), "{req:?}");
    assert!(!format!("{req:?}").contains("FwoGZXIvYXdzE"));
    // s3s does not check session tokens, but the token is covered by the signature.
    assert_eq!(send(&f.http, &req, None).await.status(), 200);
    let mut swapped = req.clone();
    swapped.url = req.url.replace("FwoGZXIvYXdzE", "AAAAAAAAAAAAA");
    assert_eq!(send(&f.http, &swapped, None).await.status(), 403);
    f.s3.shutdown().await;
}
