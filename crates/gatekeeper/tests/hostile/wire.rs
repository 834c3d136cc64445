//! HTTP/1.1 written by hand over a TCP connection from a chosen loopback address, so a case can
//! send what no well-behaved client library would: odd or oversized headers, chunked, stalled or
//! oversized bodies, wrong methods. The answer is parsed here too (status, headers, body, chunked
//! or not). Nothing here retries or follows redirects: one connection, one request, one answer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// The longest a case waits for an answer (a stalled body is answered after the gatekeeper's
/// request timeout, well below this).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// How the body goes out.
#[derive(Clone, Debug)]
pub enum BodyMode {
    /// `Content-Length` and the bytes.
    Plain,
    /// `Transfer-Encoding: chunked`, in chunks of this size.
    Chunked(usize),
    /// `Content-Length: declared`, but only the bytes given are sent; the connection stays open.
    Stall { declared: usize },
    /// The bytes as given, with no framing header added (the case sets its own).
    Raw,
}

/// One request, written exactly as described (plus `Host`, `Connection: close` and the body
/// framing header unless the case sets them itself).
#[derive(Clone, Debug)]
pub struct Raw {
    pub from: IpAddr,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub mode: BodyMode,
}

/// The answer as received.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `error.code` of a JSON error answer; `<bare>` for any other body.
    pub fn code(&self) -> String {
        match self.json() {
            Some(v) => v["error"]["code"].as_str().map_or_else(|| "<no code>".to_owned(), str::to_owned),
            None => "<bare>".to_owned(),
        }
    }
}

impl Raw {
    /// The bytes of the request head and body as they go on the wire (the stalled part excluded).
    fn encode(&self, host: &str) -> Vec<u8> {
        let has = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        let mut line = |name: &str, value: &[u8]| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        };
        if !has("host") {
            line("Host", host.as_bytes());
        }
        if !has("connection") {
            line("Connection", b"close");
        }
        match self.mode {
            BodyMode::Plain if !has("content-length") && !has("transfer-encoding") => {
                line("Content-Length", self.body.len().to_string().as_bytes());
            }
            BodyMode::Chunked(_) if !has("transfer-encoding") => line("Transfer-Encoding", b"chunked"),
            BodyMode::Stall { declared } => line("Content-Length", declared.to_string().as_bytes()),
            _ => {}
        }
        for (name, value) in &self.headers {
            line(name, value);
        }
        out.extend_from_slice(b"\r\n");
        match self.mode {
            BodyMode::Plain | BodyMode::Stall { .. } | BodyMode::Raw => out.extend_from_slice(&self.body),
            BodyMode::Chunked(size) => {
                for chunk in self.body.chunks(size.max(1)) {
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        out
    }
}

/// Sends `raw` to `server` and reads the whole answer (the server closes the connection).
pub async fn send(server: SocketAddr, raw: &Raw) -> Result<Answer, String> {
    let socket = match raw.from {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|e| format!("socket: {e}"))?;
    socket.bind(SocketAddr::new(raw.from, 0)).map_err(|e| format!("bind {}: {e}", raw.from))?;
    let stream = socket.connect(server).await.map_err(|e| format!("connect: {e}"))?;
    let (mut reader, mut writer) = stream.into_split();
    let bytes = raw.encode(&server.to_string());
    // Write while reading: a server may answer (413, 431) before it has read everything.
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        let _ = writer.flush().await;
        writer
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(ANSWER_TIMEOUT, reader.read_to_end(&mut received)).await;
    let _writer = write.await;
    match read {
        Err(_) => return Err(format!("no answer within {ANSWER_TIMEOUT:?}")),
        Ok(Err(e)) if received.is_empty() => return Err(format!("read: {e}")),
        Ok(_) => {}
    }
    parse(&received)
}

/// Parses one HTTP/1.1 answer.
fn parse(bytes: &[u8]) -> Result<Answer, String> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no complete answer head")?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut answer = Answer { status, headers, body: Vec::new() };
    let rest = &bytes[end + 4..];
    answer.body = if answer.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = answer.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..len).ok_or("body shorter than content-length")?.to_vec()
    } else {
        rest.to_vec()
    };
    Ok(answer)
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or("chunk size line")?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(rest.get(..size).ok_or("truncated chunk")?);
        rest = rest.get(size + 2..).ok_or("truncated chunk end")?;
    }
}
