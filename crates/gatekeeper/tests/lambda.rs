//! The Lambda adapter with real API Gateway event payloads: REST API (v1) and HTTP API (v2).
//! Run with `cargo test -p s3gk-gatekeeper --features lambda --test lambda`.
#![cfg(feature = "lambda")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use http_body_util::BodyExt as _;
use s3gk_gatekeeper::{http, lambda};
use s3gk_protocol::Operation;
use serde_json::{json, Value};

fn rest_event(body: &Value, source_ip: Option<&str>) -> String {
    let mut identity = json!({});
    if let Some(ip) = source_ip {
        identity = json!({ "sourceIp": ip });
    }
    json!({
        "resource": "/{proxy+}",
        "path": "/v1/authorize",
        "httpMethod": "POST",
        "headers": { "content-type": "application/json", "x-forwarded-for": "8.8.8.8" },
        "multiValueHeaders": { "content-type": ["application/json"], "x-forwarded-for": ["8.8.8.8"] },
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": { "proxy": "v1/authorize" },
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "abc", "stage": "prod", "requestId": "r1",
            "identity": identity, "resourcePath": "/{proxy+}", "httpMethod": "POST", "apiId": "api",
            "path": "/prod/v1/authorize", "protocol": "HTTP/1.1", "requestTimeEpoch": 0
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    })
    .to_string()
}

fn http_api_event(body: &Value, source_ip: &str) -> String {
    http_api_call("POST", "/v1/authorize", body, source_ip)
}

fn http_api_call(method: &str, path: &str, body: &Value, source_ip: &str) -> String {
    json!({
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": { "content-type": "application/json" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "example.com", "domainPrefix": "example",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "test" },
            "requestId": "r2", "routeKey": "ANY /{proxy+}", "stage": "$default", "time": "29/Nov/2026:09:00:00 +0000", "timeEpoch": 0
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    })
    .to_string()
}

async fn invoke(stack: &Stack, event: &str) -> (u16, Value) {
    let req = lambda_http::request::from_str(event).expect("a valid API Gateway event");
    let response = lambda::handle(http::app(stack.gk.clone()), req).await;
    let status = response.status().as_u16();
    // Every answer on Lambda carries the same security headers as on a server, refusals included.
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("cache-control", "no-store"), ("referrer-policy", "no-referrer")]
    {
        assert_eq!(response.headers().get(name).and_then(|v| v.to_str().ok()), Some(value), "{name} ({status})");
    }
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn receipt_ip(answer: &Value) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(answer["receipt"]["bytes"].as_str().unwrap()).unwrap();
    s3gk_protocol::sign::Receipt::decode(&bytes).unwrap().client_ip().to_string()
}

#[tokio::test]
async fn rest_and_http_api_events_use_the_context_source_ip() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);

    // REST API: the X-Forwarded-For header names a US address, but the source is not a trusted
    // proxy, so the context's loopback source IP is the client.
    let body = client.signed(&client.request(Operation::Get, "tickets/1/a"));
    let (status, answer) = invoke(&stack, &rest_event(&body, Some("127.0.0.9"))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(receipt_ip(&answer), "127.0.0.9");

    let body = client.signed(&client.request(Operation::Get, "tickets/1/b"));
    let (status, answer) = invoke(&stack, &http_api_event(&body, "127.0.0.8")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(receipt_ip(&answer), "127.0.0.8");

    // A public source address outside the allowed countries is denied like on a server.
    let body = client.signed(&client.request(Operation::Get, "tickets/1/c"));
    let (status, answer) = invoke(&stack, &http_api_event(&body, "133.11.0.1")).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_country"));

    let body = client.signed(&client.request(Operation::Get, "tickets/1/d"));
    let (status, answer) = invoke(&stack, &rest_event(&body, None)).await;
    assert_eq!((status, code(&answer)), (400, "no_source_ip"));
    stack.stop().await;
}

#[tokio::test]
async fn error_answers_on_lambda_have_the_json_shape_and_the_security_headers() {
    // `invoke` checks the security headers of every answer.
    let stack = Stack::start(Options::default()).await;
    let (status, answer) = invoke(&stack, &http_api_call("GET", "/v1/nothing", &Value::Null, "127.0.0.8")).await;
    assert_eq!((status, code(&answer)), (404, "not_found"), "{answer}");
    let (status, answer) = invoke(&stack, &http_api_call("GET", "/v1/authorize", &Value::Null, "127.0.0.8")).await;
    assert_eq!((status, code(&answer)), (405, "method_not_allowed"), "{answer}");
    let (status, answer) = invoke(&stack, &http_api_call("GET", "/healthz", &Value::Null, "127.0.0.8")).await;
    assert_eq!((status, answer), (200, json!({ "status": "ok" })));
    stack.stop().await;
}

#[tokio::test]
async fn the_viewer_is_served_on_lambda_with_its_policy_and_the_wasm_stays_binary() {
    use lambda_http::IntoResponse as _;
    let client = common::viewer::client_dir();
    let opts =
        Options { viewer: common::viewer::section(&client, "https://helpdesk.vendor.example"), ..Options::default() };
    let stack = Stack::start(opts).await;
    let policy = stack.gk.settings.viewer.as_ref().unwrap().policy().clone();
    for (path, text) in [("/v1/viewer/", true), ("/v1/viewer/client/s3_gatekeeper_client_bg.wasm", false)] {
        let event = http_api_call("GET", path, &Value::Null, "127.0.0.8");
        let req = lambda_http::request::from_str(&event).expect("a valid API Gateway event");
        let response = lambda::handle(http::app(stack.gk.clone()), req).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers().get("content-security-policy"), Some(&policy), "{path}");
        assert_eq!(response.headers().get("x-content-type-options").unwrap(), "nosniff");
        // What lambda_http hands API Gateway: the page as text, the module as binary (base64 on
        // the wire), byte for byte.
        match response.into_response().await.into_body() {
            lambda_http::Body::Text(page) if text => assert!(page.starts_with("<!doctype html>"), "{page}"),
            lambda_http::Body::Binary(bytes) if !text => assert_eq!(bytes, common::viewer::WASM),
            other => panic!("{path}: {other:?}"),
        }
    }
    stack.stop().await;
}
