//! Refusals that need a real connection, sent as raw HTTP/1.1 over TCP on loopback: header blocks
//! past hyper's old limits, past its new ones, requests that are not HTTP, and bodies that stall or
//! do not decode (a silent S3 is in `s3_faults.rs`). Each client connects from its own
//! 127.0.0.x address, so the audit entries of each case are found by address.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use s3gk_gatekeeper::audit::SearchQuery;
use s3gk_gatekeeper::authorize::Gatekeeper;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use common::*;

/// A 2 s request timeout: a stalled body is refused after 1 s.
fn options() -> Options {
    Options { request_timeout_ms: 2000, ..Options::default() }
}

fn addr(stack: &Stack) -> SocketAddr {
    stack.base.trim_start_matches("http://").parse().unwrap()
}

async fn connect(server: SocketAddr, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// The status, lower-cased header block and body of an answer: whatever arrived until the server
/// closed the connection.
async fn answer(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    // A reset after the answer (the server closing with unread input) ends the answer too.
    while let Ok(n @ 1..) = stream.read(&mut chunk).await {
        raw.extend_from_slice(&chunk[..n]);
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head, raw[split..].to_vec())
}

/// Sends `head` (a request line and header lines, without the blank line) and `body`.
async fn exchange(server: SocketAddr, from: &str, head: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut stream = connect(server, from).await;
    let mut request = format!("{head}connection: close\r\n\r\n").into_bytes();
    request.extend_from_slice(body);
    // The server may refuse before reading everything; what matters is what it answers.
    let _ = stream.write_all(&request).await;
    answer(&mut stream).await
}

fn code(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["error"]["code"].as_str().unwrap_or("<not a JSON error>").to_owned()
}

fn assert_secure(head: &str) {
    for line in ["x-content-type-options: nosniff", "cache-control: no-store", "referrer-policy: no-referrer"] {
        assert!(head.contains(line), "{line} missing: {head}");
    }
}

/// The reasons of the audit entries from `ip`, waiting (up to 10 s) until `n` are there: a refusal
/// by the HTTP parser is audited after hyper has answered.
async fn reasons(gk: &Arc<Gatekeeper>, ip: &str, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let (audit, query) = (gk.audit.clone(), SearchQuery { ip: Some(ip.to_owned()), ..SearchQuery::default() });
        let entries = tokio::task::spawn_blocking(move || audit.search(&query)).await.unwrap().unwrap();
        if entries.len() >= n {
            return entries.into_iter().map(|e| e.entry.reason().to_owned()).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} audit entries from {ip}");
}

const POST: &str = "POST /v1/authorize HTTP/1.1\r\nhost: gk\r\ncontent-type: application/json\r\n";

#[tokio::test]
async fn header_blocks_over_the_configured_limits_are_refused_by_the_guard_and_audited() {
    let stack = Stack::start(options()).await;
    // One 20 KB header: over max_header_bytes (4096) and over hyper's former 8 KiB buffer.
    let head = format!("{POST}x-padding: {}\r\ncontent-length: 0\r\n", "p".repeat(20_000));
    let (status, head, body) = exchange(addr(&stack), "127.0.0.31", &head, b"").await;
    assert_eq!((status, code(&body).as_str()), (431, "headers_too_large"), "{head}");
    assert_secure(&head);
    assert_eq!(reasons(&stack.gk, "127.0.0.31", 1).await, ["headers_too_large"]);

    // 150 one-line headers, about 1.6 KB: over max_headers (100) and over hyper's former default.
    let lines: String = (0..150).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let (status, head, body) =
        exchange(addr(&stack), "127.0.0.32", &format!("{POST}{lines}content-length: 0\r\n"), b"").await;
    assert_eq!((status, code(&body).as_str()), (431, "too_many_headers"), "{head}");
    assert_secure(&head);
    assert_eq!(reasons(&stack.gk, "127.0.0.32", 1).await, ["too_many_headers"]);
    stack.stop().await;
}

#[tokio::test]
async fn requests_the_http_parser_refuses_are_audited_at_the_connection() {
    let stack = Stack::start(options()).await;
    // 500 header lines: past hyper's own limit (four times max_headers); it answers a bare 431.
    let lines: String = (0..500).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let (status, head, _) = exchange(addr(&stack), "127.0.0.33", &format!("{POST}{lines}"), b"").await;
    assert_eq!(status, 431, "{head}");
    assert_eq!(reasons(&stack.gk, "127.0.0.33", 1).await, ["headers_too_large"]);

    // One 300 KB header: past hyper's buffer (four times max_header_bytes, at least 64 KiB). The
    // answer may be lost to the reset of the unread input; the audit entry is not.
    let (status, head, _) =
        exchange(addr(&stack), "127.0.0.34", &format!("{POST}x-padding: {}\r\n", "p".repeat(300_000)), b"").await;
    assert!(status == 431 || status == 0, "{head}");
    assert_eq!(reasons(&stack.gk, "127.0.0.34", 1).await, ["headers_too_large"]);

    // Not HTTP: a header line without a colon.
    let (status, head, _) = exchange(addr(&stack), "127.0.0.35", &format!("{POST}no colon here\r\n"), b"").await;
    assert_eq!(status, 400, "{head}");
    assert_eq!(reasons(&stack.gk, "127.0.0.35", 1).await, ["malformed_http"]);
    stack.stop().await;
}

#[tokio::test]
async fn a_stalled_body_is_refused_and_audited_once() {
    let stack = Stack::start(options()).await;
    let mut stream = connect(addr(&stack), "127.0.0.36").await;
    // Ten of the hundred bytes announced, then nothing; the connection stays open.
    stream.write_all(format!("{POST}content-length: 100\r\n\r\n{{\"request\"").as_bytes()).await.unwrap();
    let (status, head, body) = answer(&mut stream).await;
    assert_eq!((status, code(&body).as_str()), (503, "timeout"), "{head}");
    assert_secure(&head);
    // Audited before the answer, once: the per-request timeout that follows adds nothing.
    assert_eq!(reasons(&stack.gk, "127.0.0.36", 1).await, ["timeout"]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(reasons(&stack.gk, "127.0.0.36", 1).await, ["timeout"]);
    stack.stop().await;
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_refused_and_audited() {
    let stack = Stack::start(options()).await;
    let head = format!("{POST}transfer-encoding: chunked\r\n");
    let (status, head, body) = exchange(addr(&stack), "127.0.0.37", &head, b"zz-not-a-chunk-size\r\n\r\n").await;
    assert_eq!((status, code(&body).as_str()), (400, "malformed_body"), "{head}");
    assert_eq!(reasons(&stack.gk, "127.0.0.37", 1).await, ["malformed_body"]);
    stack.stop().await;
}
