//! The browser client against a real dev stack, in headless Chromium: what a page gets from
//! `getObjectStream` and `getObject`, next to raw WebCrypto and a plain `fetch` of the same
//! bytes. It prints figures and never fails on timing. Run it with
//!
//! ```sh
//! bash scripts/bench-browser.sh     # rounds: S3GK_BENCH_RUNS=7 S3GK_BENCH_SMALL_RUNS=20 (defaults)
//! ```
//!
//! which starts a dev stack on free loopback ports and hands this file its JSON line and its
//! (throwaway) master key at compile time (`S3GK_DEVSTACK_JSON`, `S3GK_BENCH_MASTER_KEY`).
//!
//! 1. **64 MiB.** One object uploaded with `putObject`, then read to the end with
//!    `getObjectStream` (handshake, S3 over loopback HTTP, decryption as the bytes arrive). The
//!    baselines use the same ciphertext, fetched into memory once: raw `crypto.subtle.decrypt`
//!    over its 1024 sealed chunks, one at a time and all in flight (the data key, nonces and
//!    chunk bounds come from the protocol's [`OpenFramer`] keyed like the gatekeeper keys it,
//!    and every tag verifies); the library's `ObjectDecryptor` on the in-memory bytes; and a
//!    plain `fetch` of the object.
//! 2. **1 MiB.** `getObject` against a plain `fetch` of the same ciphertext from a presigned URL
//!    (the hidden hook `presigned_get_url`: a fresh grant, never shown to JS), and `getObject`'s
//!    two halves: the handshake alone (that hook: vendor co-sign and gatekeeper authorize round
//!    trips, receipt verified) and fetch plus decryption alone (`ObjectHandle.bytes()` of a
//!    `readPrefix` grant).
//!
//! Each figure is the median of the runs, with the fastest and slowest; the measurements of one
//! round run back to back, so background load spreads over all of them. MB is 10^6 bytes of
//! plaintext. The raw baseline builds its AES-GCM parameter objects before the clock starts; the
//! library builds one per chunk from wasm, which is most of the gap between the two. Both S3
//! paths are bound by the dev stack's S3 server (about 150 MB/s, and about 40 ms more per GET
//! than with `TCP_NODELAY`), not by the client.
//!
//! Sample output (2 cores, Chromium 156 headless; wasm in cargo's bench profile, the dev stack
//! built with `--profile bench`):
//!
//! ```text
//! ==== s3-gatekeeper browser benchmark (2026-11-29T10:32Z) ====
//! machine: 2 cores, Chromium 156.0.8078.108, load average 1.06 1.99 2.29 (before)
//! machine: 2 cores, Chromium 156.0.8078.108, load average 1.25 1.98 2.28 (after)
//! 64 MiB object (1024 sealed chunks of 64 KiB), median of 7 runs (min-max)
//!   getObjectStream read to the end (handshake+S3+decrypt)     394.2 ms    170 MB/s  (327-670 ms)
//!   raw WebCrypto decrypt, one chunk at a time, in memory       63.2 ms   1062 MB/s  (59-100 ms)
//!   raw WebCrypto decrypt, all chunks in flight, in memory      61.0 ms   1100 MB/s  (55-74 ms)
//!   raw WebCrypto, one at a time, params built per chunk        85.7 ms    783 MB/s  (81-131 ms)
//!   library ObjectDecryptor on the in-memory ciphertext         79.7 ms    842 MB/s  (69-107 ms)
//!   plain fetch of the ciphertext (S3 over loopback)           417.0 ms    161 MB/s  (360-761 ms)
//!   putObject (encrypt + upload)                               636.8 ms (one run)
//!   throughput ratios (budget: >= 0.80x raw WebCrypto)
//!     getObjectStream / raw one-at-a-time                       0.16x
//!     getObjectStream / raw all-in-flight                       0.15x
//!     getObjectStream / plain fetch                             1.06x
//!     ObjectDecryptor / raw one-at-a-time                       0.79x
//!     ObjectDecryptor / raw, params built per chunk             1.08x
//! 1 MiB object, median of 20 runs (min-max)
//!   getObject (co-sign + authorize + fetch + decrypt)          59.80 ms  (18.5-65.7 ms)
//!   plain fetch of the same ciphertext (presigned URL)         54.70 ms  (13.3-65.3 ms)
//!     of getObject: handshake (co-sign + authorize + verify)    6.50 ms  (5.5-13.1 ms)
//!     of getObject: fetch + decrypt (ObjectHandle.bytes())     53.50 ms  (9.2-62.2 ms)
//!   time ratios
//!     getObject / plain fetch                                   1.09x
//!     (fetch + decrypt) / plain fetch                           0.98x
//! ```

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use futures_util::StreamExt;
use js_sys::{Array, ArrayBuffer, Function, Promise, Reflect, Uint8Array};
use s3_gatekeeper_client::protocol::object::{MasterKey, ObjectKeyMaterial, OpenFramer, OpenStep, NONCE_LEN};
use s3_gatekeeper_client::protocol::{KeyId, ObjectKey};
use s3_gatekeeper_client::{GatekeeperClient, ObjectDecryptor};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_bench, wasm_bindgen_test_configure, Criterion};
use web_sys::{AesGcmParams, CryptoKey, RequestCache, RequestCredentials, RequestInit, SubtleCrypto};

use support::{client, field, login, stack, unique};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "../tests/browser/support.rs"]
#[allow(dead_code)]
mod support;
#[path = "browser_stack/upload.rs"]
mod upload;
use upload::{data_of, stream_of};

/// The dev stack's master key id (`MASTER_KEY_ID` in `crates/devstack/src/gatekeeper.rs`).
const MASTER_KEY_ID: &str = "mk-dev-1";
const BIG: usize = 64 << 20;
const SMALL: usize = 1 << 20;
const PIECE: usize = 64 << 10;

/// A number of rounds from a build-time variable, else `default`.
fn runs(name: &str, value: Option<&str>, default: usize) -> usize {
    value.map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} is not a number: {v}")))
}

fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).expect("performance").now()
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

fn min(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(0.0, f64::max)
}

/// Prints one ratio of the figures.
fn ratio(name: &str, value: f64) {
    console_log!("    {name:<54} {value:>7.2}x");
}

/// MB/s for `bytes` in `ms`.
fn mbps(bytes: usize, ms: f64) -> f64 {
    bytes as f64 / ms / 1000.0
}

fn subtle() -> SubtleCrypto {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
    Reflect::get(&crypto, &"subtle".into()).unwrap().unchecked_into()
}

/// A plain `fetch` of `url` read to the end, with the library's settings (no cookies, no cache).
async fn plain_fetch(url: &str) -> ArrayBuffer {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_credentials(RequestCredentials::Omit);
    init.set_cache(RequestCache::NoStore);
    let request = web_sys::Request::new_with_str_and_init(url, &init).unwrap();
    let window = web_sys::window().expect("window");
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&request)).await.unwrap().unchecked_into();
    assert_eq!(response.status(), 200, "plain fetch of the presigned URL");
    JsFuture::from(response.array_buffer().unwrap()).await.unwrap().unchecked_into()
}

/// Reads a plaintext stream to the end; with `check`, compares every byte with the pattern.
async fn drain(stream: web_sys::ReadableStream, check: bool) -> usize {
    let mut parts = wasm_streams::ReadableStream::from_raw(stream).into_stream();
    let mut at = 0;
    while let Some(part) = parts.next().await {
        let part: Uint8Array = part.expect("verified chunk").unchecked_into();
        if check {
            assert!(part.to_vec().iter().enumerate().all(|(i, b)| *b == pattern(at + i)), "content at {at}");
        }
        at += part.length() as usize;
    }
    at
}

/// `{ name: "AES-GCM", iv: nonce, tagLength: 128 }`.
fn params(nonce: &[u8; NONCE_LEN]) -> AesGcmParams {
    let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(&nonce[..]));
    params.set_tag_length(128);
    params
}

/// The object's sealed chunks as views into `buffer`, with their nonces and the data key, all
/// as the protocol's framer finds them (so the raw baseline opens exactly the library's chunks).
struct RawObject {
    key: CryptoKey,
    chunks: Vec<(AesGcmParams, Uint8Array)>,
    nonces: Vec<[u8; NONCE_LEN]>,
}

/// The dev stack's per-object key for `key`, derived from its master key like the gatekeeper's.
fn object_keys(bucket: &str, key: &str) -> [ObjectKeyMaterial; 1] {
    let Some(hex_key) = option_env!("S3GK_BENCH_MASTER_KEY") else {
        panic!("S3GK_BENCH_MASTER_KEY is not set: run scripts/bench-browser.sh");
    };
    let master: [u8; 32] = hex::decode(hex_key).unwrap().try_into().unwrap();
    [MasterKey::from_bytes(KeyId::new(MASTER_KEY_ID).unwrap(), master)
        .object_key(bucket, &ObjectKey::parse(key).unwrap())]
}

async fn raw_object(buffer: &ArrayBuffer, keys: &[ObjectKeyMaterial]) -> RawObject {
    let ciphertext = Uint8Array::new(buffer).to_vec();
    let mut framer = OpenFramer::new(keys);
    let mut spans = Vec::new();
    let (mut at, mut raw_key) = (0, None);
    while at < ciphertext.len() {
        let (taken, step) = framer.push(&ciphertext[at..]).unwrap();
        at += taken;
        match step {
            OpenStep::NeedInput => {}
            OpenStep::Header { data_key, .. } => raw_key = Some(data_key.as_bytes().to_vec()),
            OpenStep::Chunk(chunk) => {
                let len = chunk.ciphertext().len();
                spans.push((*chunk.nonce(), at - len, len));
            }
        }
    }
    let last = framer.finish().unwrap();
    spans.push((*last.nonce(), ciphertext.len() - last.ciphertext().len(), last.ciphertext().len()));

    let usages = Array::of1(&"decrypt".into());
    let raw_key = Uint8Array::from(raw_key.expect("a header").as_slice());
    let import = subtle().import_key_with_str("raw", &raw_key, "AES-GCM", false, &usages).unwrap();
    let key = JsFuture::from(import).await.unwrap().unchecked_into();
    let chunks = spans
        .iter()
        .map(|(nonce, offset, len)| {
            (params(nonce), Uint8Array::new_with_byte_offset_and_length(buffer, *offset as u32, *len as u32))
        })
        .collect();
    RawObject { key, chunks, nonces: spans.iter().map(|(nonce, ..)| *nonce).collect() }
}

impl RawObject {
    /// `crypto.subtle.decrypt` of every chunk, one at a time; returns the plaintext length.
    async fn one_at_a_time(&self, subtle: &SubtleCrypto) -> usize {
        let mut out = 0;
        for (params, chunk) in &self.chunks {
            let promise = subtle.decrypt_with_object_and_js_u8_array(params, &self.key, chunk).unwrap();
            out += JsFuture::from(promise).await.expect("tag verifies").unchecked_into::<ArrayBuffer>().byte_length();
        }
        out as usize
    }

    /// The same, building each chunk's parameters (a JS object and its `iv`) from wasm in the
    /// timed loop, as the library does.
    async fn one_at_a_time_fresh_params(&self, subtle: &SubtleCrypto) -> usize {
        let mut out = 0;
        for ((_, chunk), nonce) in self.chunks.iter().zip(&self.nonces) {
            let promise = subtle.decrypt_with_object_and_js_u8_array(&params(nonce), &self.key, chunk).unwrap();
            out += JsFuture::from(promise).await.expect("tag verifies").unchecked_into::<ArrayBuffer>().byte_length();
        }
        out as usize
    }

    /// The same with every chunk's promise in flight at once.
    async fn all_at_once(&self, subtle: &SubtleCrypto) -> usize {
        let all: Array = self
            .chunks
            .iter()
            .map(|(params, chunk)| -> JsValue {
                subtle.decrypt_with_object_and_js_u8_array(params, &self.key, chunk).unwrap().into()
            })
            .collect();
        let plain: Array = JsFuture::from(Promise::all(&all)).await.expect("tags verify").unchecked_into();
        plain.iter().map(|b| b.unchecked_into::<ArrayBuffer>().byte_length() as usize).sum()
    }
}

/// The library's `ObjectDecryptor` on ciphertext already in memory, fed in 64 KiB pieces.
async fn in_memory(keys: &[ObjectKeyMaterial], ciphertext: &[u8]) -> usize {
    let mut decryptor = ObjectDecryptor::new(keys);
    let mut out = 0;
    for piece in ciphertext.chunks(PIECE) {
        out += decryptor.push(piece).await.unwrap().iter().map(Uint8Array::length).sum::<u32>();
    }
    out += decryptor.finish().await.unwrap().iter().map(Uint8Array::length).sum::<u32>();
    out as usize
}

/// Calls a JS method by its JS name and awaits the promise it returns.
async fn call(target: &JsValue, method: &str) -> JsValue {
    let function: Function = Reflect::get(target, &method.into()).unwrap().dyn_into().unwrap();
    JsFuture::from(function.call0(target).unwrap().unchecked_into::<Promise>()).await.unwrap()
}

/// Times `f` once, in milliseconds, with what it returned.
macro_rules! timed {
    ($e:expr) => {{
        let start = now();
        let value = $e;
        (now() - start, value)
    }};
}

#[wasm_bindgen_bench]
async fn browser_stack(_c: &mut Criterion) {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let dir = format!("tickets/1001/{}/", unique());
    big_object(&client, &field(&s, "bucket"), &dir).await;
    small_object(&client, &dir).await;
    let mib = runs("S3GK_BENCH_UPLOAD_MIB", option_env!("S3GK_BENCH_UPLOAD_MIB"), 1024) as u32;
    upload::large_upload(JsValue::from(support::client(&s)), &format!("{dir}large-upload.bin"), mib).await;
}

/// 64 MiB: upload, then the stream against the baselines on the same ciphertext.
async fn big_object(client: &GatekeeperClient, bucket: &str, dir: &str) {
    let rounds = runs("S3GK_BENCH_RUNS", option_env!("S3GK_BENCH_RUNS"), 7);
    let subtle = subtle();
    let key = format!("{dir}big-64mib.bin");
    let data = Uint8Array::from((0..BIG).map(pattern).collect::<Vec<u8>>().as_slice());
    let (put_ms, receipt) = timed!(client.put_object(key.clone(), data.into(), JsValue::UNDEFINED).await);
    receipt.expect("uploads 64 MiB");
    let url = client.hooks().presigned_get_url(&key).await.expect("a grant");
    let buffer = plain_fetch(&url).await;
    let keys = object_keys(bucket, &key);
    let raw = raw_object(&buffer, &keys).await;
    let ciphertext = Uint8Array::new(&buffer).to_vec();
    // Warm-up, checking every path once: the content, and that every raw tag verifies.
    let stream = stream_of(client, &key).await;
    assert_eq!(drain(stream, true).await, BIG);
    assert_eq!(raw.one_at_a_time(&subtle).await, BIG);
    assert_eq!(raw.all_at_once(&subtle).await, BIG);
    assert_eq!(raw.one_at_a_time_fresh_params(&subtle).await, BIG);
    assert_eq!(in_memory(&keys, &ciphertext).await, BIG);

    let (mut streamed, mut sequential, mut parallel, mut fresh, mut decryptor, mut fetched) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (ms, len) = timed!(drain(stream_of(client, &key).await, false).await);
        assert_eq!(len, BIG);
        streamed.push(ms);
        sequential.push(timed!(raw.one_at_a_time(&subtle).await).0);
        parallel.push(timed!(raw.all_at_once(&subtle).await).0);
        fresh.push(timed!(raw.one_at_a_time_fresh_params(&subtle).await).0);
        decryptor.push(timed!(in_memory(&keys, &ciphertext).await).0);
        let url = client.hooks().presigned_get_url(&key).await.expect("a grant");
        fetched.push(timed!(plain_fetch(&url).await).0);
    }
    let (stream_ms, seq_ms, par_ms) = (median(&streamed), median(&sequential), median(&parallel));
    let (fresh_ms, dec_ms, fetch_ms) = (median(&fresh), median(&decryptor), median(&fetched));
    let row = |name: &str, samples: &[f64]| {
        let (ms, low, high) = (median(samples), min(samples), max(samples));
        console_log!("  {name:<56} {ms:>7.1} ms {:>6.0} MB/s  ({low:.0}-{high:.0} ms)", mbps(BIG, ms));
    };
    console_log!("64 MiB object ({} sealed chunks of 64 KiB), median of {rounds} runs (min-max)", raw.chunks.len());
    row("getObjectStream read to the end (handshake+S3+decrypt)", &streamed);
    row("raw WebCrypto decrypt, one chunk at a time, in memory", &sequential);
    row("raw WebCrypto decrypt, all chunks in flight, in memory", &parallel);
    row("raw WebCrypto, one at a time, params built per chunk", &fresh);
    row("library ObjectDecryptor on the in-memory ciphertext", &decryptor);
    row("plain fetch of the ciphertext (S3 over loopback)", &fetched);
    console_log!("  {:<56} {put_ms:>7.1} ms (one run)", "putObject (encrypt + upload)");
    console_log!("  throughput ratios (budget: >= 0.80x raw WebCrypto)");
    ratio("getObjectStream / raw one-at-a-time", seq_ms / stream_ms);
    ratio("getObjectStream / raw all-in-flight", par_ms / stream_ms);
    ratio("getObjectStream / plain fetch", fetch_ms / stream_ms);
    ratio("ObjectDecryptor / raw one-at-a-time", seq_ms / dec_ms);
    ratio("ObjectDecryptor / raw, params built per chunk", fresh_ms / dec_ms);
}

/// 1 MiB: `getObject` against a plain fetch of the same bytes, and its two halves.
async fn small_object(client: &GatekeeperClient, dir: &str) {
    let rounds = runs("S3GK_BENCH_SMALL_RUNS", option_env!("S3GK_BENCH_SMALL_RUNS"), 20);
    let key = format!("{dir}small-1mib.bin");
    let data = Uint8Array::from((0..SMALL).map(pattern).collect::<Vec<u8>>().as_slice());
    client.put_object(key.clone(), data.into(), JsValue::UNDEFINED).await.expect("uploads 1 MiB");
    let bytes = data_of(&client.get_object(key.clone(), JsValue::UNDEFINED).await.expect("reads"))
        .unchecked_into::<Uint8Array>()
        .to_vec();
    assert!(bytes.len() == SMALL && bytes.iter().enumerate().all(|(i, b)| *b == pattern(i)), "content");

    let (mut whole, mut handshake, mut fetched, mut handle_read) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (ms, bytes) = timed!(client.get_object(key.clone(), JsValue::UNDEFINED).await.expect("reads"));
        assert_eq!(data_of(&bytes).unchecked_into::<Uint8Array>().length() as usize, SMALL);
        whole.push(ms);
        let (ms, url) = timed!(client.hooks().presigned_get_url(&key).await.expect("a grant"));
        handshake.push(ms);
        fetched.push(timed!(plain_fetch(&url).await).0);
        let read = client.read_prefix(dir.to_owned(), JsValue::UNDEFINED).await.expect("lists");
        let objects: Array = Reflect::get(&read, &"objects".into()).unwrap().unchecked_into();
        let handle = objects
            .iter()
            .find(|h| Reflect::get(h, &"key".into()).unwrap().as_string().as_deref() == Some(key.as_str()))
            .expect("the 1 MiB object is listed");
        let (ms, bytes) = timed!(call(&handle, "bytes").await);
        assert_eq!(bytes.unchecked_into::<Uint8Array>().length() as usize, SMALL);
        handle_read.push(ms);
    }
    let (whole_ms, fetch_ms, read_ms) = (median(&whole), median(&fetched), median(&handle_read));
    let row = |name: &str, samples: &[f64]| {
        let (ms, low, high) = (median(samples), min(samples), max(samples));
        console_log!("  {name:<56} {ms:>7.2} ms  ({low:.1}-{high:.1} ms)");
    };
    console_log!("1 MiB object, median of {rounds} runs (min-max)");
    row("getObject (co-sign + authorize + fetch + decrypt)", &whole);
    row("plain fetch of the same ciphertext (presigned URL)", &fetched);
    row("  of getObject: handshake (co-sign + authorize + verify)", &handshake);
    row("  of getObject: fetch + decrypt (ObjectHandle.bytes())", &handle_read);
    console_log!("  time ratios");
    ratio("getObject / plain fetch", whole_ms / fetch_ms);
    ratio("(fetch + decrypt) / plain fetch", read_ms / fetch_ms);
}
