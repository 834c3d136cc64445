//! The JS API against the real dev stack: local S3 (SigV4 checked), the real gatekeeper and the
//! demo vendor, started by `scripts/browser-tests.sh` (a second stack with `--deny-local` gives
//! the gatekeeper's ACL denial). Demo user `alice` may use `tickets/1001/` and `tickets/1002/`.
//! Keys carry a random part, since objects are never overwritten and the stack's data persists.

use futures_util::StreamExt;
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use s3_gatekeeper_client::GatekeeperClient;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{client, code, config, field, login, message, stack, unique};

/// Calls a JS method by its JS name and awaits the promise it returns.
async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let result = function.apply(target, &args.iter().collect::<Array>())?;
    match result.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(value) => Ok(value),
    }
}

fn bytes_of(value: &JsValue) -> Vec<u8> {
    value.dyn_ref::<Uint8Array>().expect("a Uint8Array").to_vec()
}

/// The receipts of the last call; the first is checked against the stack and `key`, and only it
/// carries its signed form.
fn last_receipts(client: &GatekeeperClient, key: &str) -> Array {
    let receipts: Array = client.last_receipts().dyn_into().expect("an array");
    let receipt = receipts.get(0);
    let get = |name: &str| Reflect::get(&receipt, &name.into()).expect(name);
    let s = stack();
    assert_eq!(get("key").as_string().as_deref(), Some(key));
    assert_eq!(get("verified").as_bool(), Some(true));
    assert_eq!(get("gatekeeperKeyId").as_string(), Some(field(&s, "gatekeeper_key_id")));
    assert_eq!(get("vendorKeyId").as_string(), Some(field(&s, "vendor_key_id")));
    assert_eq!(get("clientIp").as_string().as_deref(), Some("127.0.0.1"));
    assert!(get("sequence").as_f64().is_some_and(|s| s >= 1.0));
    // The receipt as signed, for a receipts file; the objects of a prefix read have none of their own.
    let signed = get("signed");
    let of_signed = |name: &str| Reflect::get(&signed, &name.into()).expect(name);
    assert_eq!(of_signed("key_id").as_string(), Some(field(&s, "gatekeeper_key_id")));
    assert_eq!(of_signed("sequence").as_f64(), get("sequence").as_f64());
    assert!(of_signed("signature").as_string().is_some_and(|b64| b64.len() == 88));
    assert!(receipts.iter().skip(1).all(|r| !Reflect::has(&r, &"signed".into()).unwrap_or(true)));
    receipts
}

/// The single receipt of a one-object call.
fn last_receipt(client: &GatekeeperClient, key: &str) {
    assert_eq!(last_receipts(client, key).length(), 1, "one receipt for one object");
}

/// The `data` of a read's `{ data, contentType, receipt }`.
fn data_of(read: &JsValue) -> JsValue {
    Reflect::get(read, &"data".into()).expect("data")
}

/// The `status` of a rejected promise's error.
fn status(error: &JsValue) -> Option<f64> {
    Reflect::get(error, &"status".into()).expect("status").as_f64()
}

/// An options object.
fn options_with(fields: &[(&str, JsValue)]) -> JsValue {
    let options = js_sys::Object::new();
    for (name, value) in fields {
        Reflect::set(&options, &(*name).into(), value).expect("set");
    }
    options.into()
}

/// Reads a blob: URL back.
async fn fetch_blob(url: &str) -> Vec<u8> {
    let window = web_sys::window().expect("window");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url)).await.expect("blob").unchecked_into();
    let buffer = JsFuture::from(response.array_buffer().expect("body")).await.expect("bytes");
    Uint8Array::new(&buffer).to_vec()
}

#[wasm_bindgen_test]
async fn put_then_get_as_bytes_text_json_and_blob_url() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let key = format!("tickets/1001/{}/report.json", unique());
    let json = br#"{"ticket":1001,"ok":true}"#;
    let options = js_sys::Object::new();
    Reflect::set(&options, &"contentType".into(), &"application/json".into()).expect("set");
    let receipt =
        client.put_object(key.clone(), Uint8Array::from(&json[..]).into(), options.into()).await.expect("uploads");
    assert_eq!(Reflect::get(&receipt, &"key".into()).expect("key").as_string(), Some(key.clone()));
    last_receipt(&client, &key);

    assert_eq!(bytes_of(&data_of(&client.get_object(key.clone(), JsValue::UNDEFINED).await.expect("reads"))), json);
    last_receipt(&client, &key);
    assert_eq!(
        data_of(&client.get_text(key.clone(), JsValue::UNDEFINED).await.expect("text"))
            .as_string()
            .expect("text")
            .as_bytes(),
        json
    );
    let parsed = data_of(&client.get_json(key.clone(), JsValue::UNDEFINED).await.expect("json"));
    assert_eq!(Reflect::get(&parsed, &"ticket".into()).expect("field").as_f64(), Some(1001.0));
    let read = client.get_object_url(key.clone(), JsValue::UNDEFINED).await.expect("blob url");
    assert_eq!(
        Reflect::get(&read, &"contentType".into()).expect("type").as_string().as_deref(),
        Some("application/json")
    );
    let url = data_of(&read).as_string().expect("url");
    assert!(url.starts_with("blob:"));
    assert_eq!(fetch_blob(&url).await, json);
    web_sys::Url::revoke_object_url(&url).expect("revoke");

    let html = client
        .get_object_url(key.clone(), options_with(&[("mimeType", "text/html; charset=utf-8".into())]))
        .await
        .expect_err("active type");
    assert_eq!(code(html), "invalid_argument");
    let again = client
        .put_object(key.clone(), Uint8Array::from(&b"x"[..]).into(), JsValue::UNDEFINED)
        .await
        .expect_err("never overwritten");
    assert!(message(&again).contains("412"), "{}", message(&again));
    assert_eq!(status(&again), Some(412.0));
    assert_eq!(code(again), "already_exists");

    // The media type is signed into the request: malformed or unknown options never reach the network.
    for (name, value) in [("contentType", "text/html; charset=utf-8"), ("contentType", "Image/PNG"), ("colour", "red")]
    {
        let options = js_sys::Object::new();
        Reflect::set(&options, &name.into(), &value.into()).expect("set");
        let other = format!("tickets/1001/{}/x.bin", unique());
        let refused =
            client.put_object(other, Uint8Array::from(&b"x"[..]).into(), options.into()).await.expect_err(name);
        assert_eq!(code(refused), "invalid_argument", "{name}: {value}");
    }
}

#[wasm_bindgen_test]
async fn a_prefix_is_read_with_one_round_trip_each_and_parallel_handles() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let prefix = format!("tickets/1002/{}/", unique());
    let files: [(&str, &[u8]); 3] = [("a.txt", b"first"), ("b.json", b"[1,2,3]"), ("shots/c.bin", &[0, 159, 255, 1])];
    for (name, data) in files {
        client
            .put_object(format!("{prefix}{name}"), Uint8Array::from(data).into(), JsValue::UNDEFINED)
            .await
            .expect("uploads");
    }
    let performance = web_sys::window().and_then(|w| w.performance()).expect("performance");
    performance.clear_resource_timings();
    let read = client.read_prefix(prefix.clone(), JsValue::UNDEFINED).await.expect("reads the prefix");
    let count = |path: &str| {
        let entries = performance.get_entries_by_type("resource");
        entries
            .iter()
            .filter(|e| {
                Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).is_some_and(|n| n.ends_with(path))
            })
            .count()
    };
    assert_eq!((count("/api/cosign"), count("/v1/authorize")), (1, 1), "one vendor and one gatekeeper round trip");
    let receipts = last_receipts(&client, &prefix);
    let keys: Vec<Option<String>> =
        receipts.iter().map(|r| Reflect::get(&r, &"key".into()).expect("key").as_string()).collect();
    let mut expected = vec![Some(prefix.clone())];
    expected.extend(files.iter().map(|(name, _)| Some(format!("{prefix}{name}"))));
    assert_eq!(keys, expected, "the prefix's receipt, then one entry per object");

    let objects: Array = Reflect::get(&read, &"objects".into()).expect("objects").dyn_into().expect("array");
    assert_eq!(objects.length(), 3);
    let mut reads = Vec::new();
    for (handle, (name, _)) in objects.iter().zip(files) {
        assert_eq!(Reflect::get(&handle, &"key".into()).expect("key").as_string(), Some(format!("{prefix}{name}")));
        assert!(Reflect::get(&handle, &"size".into()).expect("size").as_f64().is_some_and(|n| n > 80.0));
        reads.push(async move { call(&handle, "bytes", &[]).await });
    }
    let contents = futures_util::future::join_all(reads).await;
    for (content, (_, data)) in contents.iter().zip(files) {
        assert_eq!(bytes_of(content.as_ref().expect("reads in parallel")), data);
    }
    assert_eq!((count("/api/cosign"), count("/v1/authorize")), (1, 1), "handles need no further handshake");

    let first = objects.get(0);
    assert_eq!(call(&first, "text", &[]).await.expect("text").as_string().as_deref(), Some("first"));
    let second = objects.get(1);
    let list = call(&second, "json", &[]).await.expect("json");
    assert_eq!(list.dyn_ref::<Array>().map(Array::length), Some(3));
    assert_eq!(code(call(&first, "json", &[]).await.expect_err("not json")), "not_json");
    let binary = objects.get(2);
    assert_eq!(code(call(&binary, "text", &[]).await.expect_err("not utf-8")), "not_text");
    let url = call(&binary, "blobUrl", &["image/png".into()]).await.expect("blob url").as_string().expect("string");
    assert_eq!(fetch_blob(&url).await, files[2].1);
    let stream = call(&binary, "stream", &[]).await.expect("stream");
    let mut parts = wasm_streams::ReadableStream::from_raw(stream.unchecked_into()).into_stream();
    let mut streamed = Vec::new();
    while let Some(part) = parts.next().await {
        streamed.extend(bytes_of(&part.expect("verified chunk")));
    }
    assert_eq!(streamed, files[2].1);
}

#[wasm_bindgen_test]
async fn twenty_mib_stream_through_with_bounded_memory() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let key = format!("tickets/1001/{}/big.bin", unique());
    let len = 20 << 20;
    let pattern = |i: usize| (i % 251) as u8;
    let data: Vec<u8> = (0..len).map(pattern).collect();
    client
        .put_object(key.clone(), Uint8Array::from(data.as_slice()).into(), JsValue::UNDEFINED)
        .await
        .expect("uploads 20 MiB");
    drop(data);
    let stream = data_of(&client.get_object_stream(key, JsValue::UNDEFINED).await.expect("stream"));
    let mut parts = wasm_streams::ReadableStream::from_raw(stream.unchecked_into()).into_stream();
    let (mut at, mut largest) = (0usize, 0usize);
    while let Some(part) = parts.next().await {
        let part = bytes_of(&part.expect("verified chunk"));
        assert!(part.iter().enumerate().all(|(i, b)| *b == pattern(at + i)), "content at {at}");
        at += part.len();
        largest = largest.max(part.len());
    }
    assert_eq!(at, len);
    assert!(largest <= 65_536, "chunks arrive one at a time, not as one buffer ({largest})");
}

#[wasm_bindgen_test]
async fn damaged_ciphertext_fails_as_decryption_failed_also_mid_stream() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let key = format!("tickets/1001/{}/damaged.bin", unique());
    // Eleven chunks; the flipped byte is in the last, so verified chunks stream out first.
    let len = 10 * 65_536 + 100;
    client
        .hooks()
        .put_damaged_object(&key, &vec![7u8; len], 10 * 65_552 + 100)
        .await
        .expect("uploads through a valid grant");
    assert_eq!(
        code(client.get_object(key.clone(), JsValue::UNDEFINED).await.expect_err("damaged")),
        "decryption_failed"
    );
    let stream = data_of(&client.get_object_stream(key, JsValue::UNDEFINED).await.expect("the fetch itself succeeds"));
    let mut parts = wasm_streams::ReadableStream::from_raw(stream.unchecked_into()).into_stream();
    let mut released = 0;
    let error = loop {
        match parts.next().await {
            Some(Ok(part)) => released += bytes_of(&part).len(),
            Some(Err(error)) => break error,
            None => panic!("a damaged stream must error, not end"),
        }
    };
    assert!(released >= 65_536 && released < len, "verified chunks come before the error ({released})");
    assert_eq!(code(error), "decryption_failed");
}

#[wasm_bindgen_test]
async fn a_receipt_signed_by_an_unpinned_key_is_refused() {
    let s = stack();
    login(&s, "alice").await;
    let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    let pinned = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, other.as_bytes());
    let client = GatekeeperClient::new(config(&s, &pinned)).expect("valid config");
    let error = client.get_object("tickets/1001/anything".into(), JsValue::UNDEFINED).await.expect_err("unpinned key");
    assert_eq!(code(error), "bad_receipt_signature");
    assert_eq!(Array::from(&client.last_receipts()).length(), 0);
}

#[wasm_bindgen_test]
async fn a_client_whose_clock_is_an_hour_slow_is_refused_by_the_co_signer() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    client.hooks().skew_clock(-3600);
    // The co-signer checks issued_at against its own clock (protocol.md 4.1) before signing.
    let error = client.get_object("tickets/1001/anything".into(), JsValue::UNDEFINED).await.expect_err("stale");
    assert!(message(&error).contains("co-sign"), "{}", message(&error));
    assert_eq!(code(error), "stale_request");
}

#[wasm_bindgen_test]
async fn the_vendor_refuses_keys_outside_the_users_prefixes_and_strangers() {
    let s = stack();
    login(&s, "alice").await;
    let error =
        client(&s).get_object("tickets/2001/report.json".into(), JsValue::UNDEFINED).await.expect_err("bob's ticket");
    assert_eq!(code(error), "vendor_denied");
    let bad_key =
        client(&s).get_object("tickets/1001/../2001/x".into(), JsValue::UNDEFINED).await.expect_err("dot segment");
    assert_eq!(code(bad_key), "key_dot_segment");

    let omit = config(&s, &field(&s, "gatekeeper_public_key"));
    Reflect::set(&omit, &"credentials".into(), &"omit".into()).expect("set");
    let stranger = GatekeeperClient::new(omit).expect("config");
    assert_eq!(
        code(stranger.get_object("tickets/1001/x".into(), JsValue::UNDEFINED).await.expect_err("no cookie")),
        "not_logged_in"
    );
}

#[wasm_bindgen_test]
async fn a_replayed_request_is_refused() {
    let s = stack();
    login(&s, "alice").await;
    let client = client(&s);
    let key = format!("tickets/1001/{}/once.txt", unique());
    client.put_object(key.clone(), Uint8Array::from(&b"once"[..]).into(), JsValue::UNDEFINED).await.expect("uploads");
    client.get_object(key, JsValue::UNDEFINED).await.expect("reads");
    let error = client.hooks().replay_last_authorization().await.expect_err("replayed");
    assert_eq!(error.code(), "replayed_nonce");
}

#[wasm_bindgen_test]
async fn the_gatekeeper_acl_denies_a_stack_that_denies_loopback() {
    let Some(line) = option_env!("S3GK_DEVSTACK_DENY_JSON") else {
        panic!("S3GK_DEVSTACK_DENY_JSON is not set: run scripts/browser-tests.sh");
    };
    let denying: serde_json::Value = serde_json::from_str(line).expect("the denying stack's JSON line");
    login(&denying, "alice").await;
    let error = client(&denying).get_object("tickets/1001/x".into(), JsValue::UNDEFINED).await.expect_err("denied");
    assert!(message(&error).contains("access denied"), "{}", message(&error));
    assert_eq!(code(error), "acl_denied_ip");
}

#[wasm_bindgen_test]
async fn configuration_mistakes_are_invalid_config() {
    let s = stack();
    let bad = config(&s, "not base64");
    assert_eq!(code(GatekeeperClient::new(bad).map(drop).expect_err("bad key")), "invalid_config");
    let typo = config(&s, &field(&s, "gatekeeper_public_key"));
    Reflect::set(&typo, &"gatekeeperURL".into(), &"x".into()).expect("set");
    let error = GatekeeperClient::new(typo).map(drop).expect_err("unknown field");
    assert!(message(&error).contains("gatekeeperURL"), "{}", message(&error));
    let wrong_id = config(&s, &field(&s, "gatekeeper_public_key"));
    Reflect::set(&wrong_id, &"gatekeeperId".into(), &"someone-else".into()).expect("set");
    let client = GatekeeperClient::new(wrong_id).expect("syntax is fine");
    assert_eq!(
        code(client.get_object("tickets/1001/x".into(), JsValue::UNDEFINED).await.expect_err("other id")),
        "invalid_config"
    );
}

#[wasm_bindgen_test]
async fn the_js_names_are_camel_case() {
    let s = stack();
    let client = JsValue::from(client(&s));
    for name in [
        "getObject",
        "getText",
        "getJson",
        "getObjectUrl",
        "getObjectStream",
        "getBlob",
        "readPrefix",
        "putObject",
        "lastReceipts",
    ] {
        let method = Reflect::get(&client, &name.into()).expect(name);
        assert!(method.is_function(), "{name}");
    }
    let receipts = call(&client, "lastReceipts", &[]).await.expect("receipts");
    assert_eq!(receipts.dyn_ref::<Array>().map(Array::length), Some(0));
}
