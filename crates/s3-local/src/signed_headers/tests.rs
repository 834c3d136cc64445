use super::*;

const SIG: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn uri(query: &str) -> Uri {
    format!("/reports/key?{query}").parse().expect("test uri")
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

fn presigned(signed: &str) -> Uri {
    uri(&format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders={signed}&X-Amz-Signature={SIG}"))
}

fn authorization(signed: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders={signed}, Signature={SIG}"
    )
}

fn not_signed(names: &[&str]) -> Result<(), Refusal> {
    Err(Refusal::NotSigned(names.iter().map(|n| (*n).to_owned()).collect()))
}

#[test]
fn presigned_requests_may_send_only_signed_x_amz_headers_and_the_payload_hash() {
    let sent = headers(&[("x-amz-copy-source", "other/key"), ("x-amz-meta-a", "1"), ("x-amz-meta-a", "2")]);
    assert_eq!(check(&presigned("host"), &sent), not_signed(&["x-amz-copy-source", "x-amz-meta-a"]));
    assert_eq!(check(&presigned("host;x-amz-meta-a"), &sent), not_signed(&["x-amz-copy-source"]));
    assert_eq!(check(&presigned("host%3Bx-amz-copy-source%3Bx-amz-meta-a"), &sent), Ok(()));

    let hashed =
        headers(&[("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amzn-trace-id", "t"), ("range", "bytes=0-1")]);
    assert_eq!(check(&presigned("host"), &hashed), Ok(()));
}

#[test]
fn header_signed_requests_must_sign_every_x_amz_header() {
    let sent = |auth: &str| {
        headers(&[
            ("authorization", auth),
            ("x-amz-date", "20250101T000000Z"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ])
    };
    let all = authorization("host;x-amz-content-sha256;x-amz-date");
    assert_eq!(check(&uri("list-type=2"), &sent(&all)), Ok(()));
    let without_hash = authorization("host;x-amz-date");
    assert_eq!(check(&uri("list-type=2"), &sent(&without_hash)), not_signed(&["x-amz-content-sha256"]));
    let mut foo = sent(&all);
    foo.insert("x-amz-foo", HeaderValue::from_static("bar"));
    assert_eq!(check(&uri("list-type=2"), &foo), not_signed(&["x-amz-foo"]));
}

#[test]
fn the_query_is_decoded_as_s3s_decodes_it() {
    // `s3s` percent-decodes parameter names, so this is a presigned request to it, and to us.
    let encoded = uri(&format!("X-Amz-%53ignature={SIG}&X-Amz-SignedHeaders=host"));
    assert_eq!(check(&encoded, &headers(&[("x-amz-meta-a", "1")])), not_signed(&["x-amz-meta-a"]));
    // A lower-case name is not the parameter `s3s` looks for; the request is then anonymous to it.
    let lower = uri(&format!("x-amz-signature={SIG}&x-amz-signedheaders=host"));
    assert_eq!(check(&lower, &headers(&[("x-amz-meta-a", "1")])), Ok(()));
}

#[test]
fn malformed_signed_header_lists_are_refused() {
    let sent = headers(&[]);
    for list in
        ["", "host;", ";host", "host;;x-amz-meta-a", "Host", "host,x-amz-meta-a", "host+x", "host;x/y", "h%C3%A9"]
    {
        assert_eq!(check(&presigned(list), &sent), Err(Refusal::BadQuery), "{list:?}");
    }
    let missing = uri(&format!("X-Amz-Signature={SIG}"));
    assert_eq!(check(&missing, &sent), Err(Refusal::BadQuery));
    let twice = uri(&format!("X-Amz-Signature={SIG}&X-Amz-SignedHeaders=host&X-Amz-SignedHeaders=host;x-amz-meta-a"));
    assert_eq!(check(&twice, &sent), Err(Refusal::BadQuery));
}

#[test]
fn malformed_authorization_headers_are_refused() {
    let good = authorization("host;x-amz-date");
    let bad = [
        good.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 "),
        good.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256"),
        good.replace("/aws4_request", "/aws4_request/x"),
        good.replace("AK/", "/"),
        good.replace(&format!("Signature={SIG}"), "Signature=abc"),
        good.replace("SignedHeaders=", "SignedHeaders=;"),
        good.replace(", Signature", " Signature"),
        // `s3s` would read a different list here (its access key id runs to the first `/`).
        format!("AWS4-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-amz-meta-a,Signature={SIG}/20250101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature={SIG}"),
        "AWS Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x".to_owned(),
        String::new(),
    ];
    for value in &bad {
        let sent = headers(&[("authorization", value)]);
        assert_eq!(check(&uri("a=b"), &sent), Err(Refusal::BadAuthorization), "{value:?}");
    }
    let twice = headers(&[("authorization", &good), ("authorization", &good)]);
    assert_eq!(check(&uri("a=b"), &twice), Err(Refusal::BadAuthorization));
    let mut latin1 = HeaderMap::new();
    latin1.insert(AUTHORIZATION, HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 \xe9").expect("value"));
    assert_eq!(check(&uri("a=b"), &latin1), Err(Refusal::BadAuthorization));
    assert_eq!(check(&uri("a=b"), &headers(&[("authorization", &good), ("x-amz-date", "d")])), Ok(()));
}

#[test]
fn sigv2_and_anonymous_requests_pass_through() {
    let sent = headers(&[("x-amz-meta-a", "1")]);
    assert_eq!(check(&uri("a=b"), &sent), Ok(()));
    assert_eq!(check(&uri("AWSAccessKeyId=AK&Expires=1&Signature=abc"), &sent), Ok(()));
    let v2 = headers(&[("authorization", "AWS AK:c2lnbmF0dXJl"), ("x-amz-meta-a", "1")]);
    assert_eq!(check(&uri("a=b"), &v2), Ok(()));
}

#[test]
fn refusals_are_s3_error_documents() {
    let refusal = Refusal::NotSigned(vec!["x-amz-a&b".to_owned(), "x-amz-meta-a".to_owned()]);
    let response = refusal.response();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/xml");
    assert_eq!(Refusal::BadQuery.response().status(), StatusCode::BAD_REQUEST);
    assert_eq!(Refusal::BadAuthorization.response().status(), StatusCode::BAD_REQUEST);
}
