//! Browser decryption throughput against raw WebCrypto AES-GCM on the same machine (the budget
//! in the design: "close to raw WebCrypto throughput"). Run in headless Chromium with
//!
//! ```sh
//! CARGO_TARGET_DIR=$HOME/.cache/s3gk-wasm-target CHROMEDRIVER=/usr/bin/chromedriver \
//!   CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo bench --target wasm32-unknown-unknown --bench decrypt
//! ```
//!
//! Each iteration handles one 4 MiB object (64 chunks of 64 KiB): the library's streaming
//! decryptor fed in 64 KiB pieces, against the bare `crypto.subtle.decrypt` calls for the same
//! chunks, one at a time and all at once.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use js_sys::{Array, Promise, Reflect, Uint8Array};
use s3_gatekeeper_client::protocol::object::{self, MasterKey, DEFAULT_CHUNK_SIZE};
use s3_gatekeeper_client::protocol::{KeyId, ObjectKey};
use s3_gatekeeper_client::ObjectDecryptor;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_bench, wasm_bindgen_test_configure, Criterion};
use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};

wasm_bindgen_test_configure!(run_in_browser);

const OBJECT_LEN: usize = 4 << 20;

fn subtle() -> SubtleCrypto {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
    Reflect::get(&crypto, &"subtle".into()).unwrap().unchecked_into()
}

fn params(counter: u32) -> AesGcmParams {
    let mut nonce = [0u8; 12];
    nonce[7..11].copy_from_slice(&counter.to_be_bytes());
    AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(&nonce[..]))
}

/// A WebCrypto key and the object's chunks sealed under it, for the raw baseline.
async fn raw_chunks(plaintext: &[u8]) -> (CryptoKey, Vec<Uint8Array>) {
    let subtle = subtle();
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let key = subtle.import_key_with_str("raw", &Uint8Array::from(&[7u8; 32][..]), "AES-GCM", false, &usages);
    let key: CryptoKey = JsFuture::from(key.unwrap()).await.unwrap().unchecked_into();
    let mut sealed = Vec::new();
    for (i, chunk) in plaintext.chunks(DEFAULT_CHUNK_SIZE as usize).enumerate() {
        let promise = subtle.encrypt_with_object_and_u8_array(&params(i as u32), &key, chunk).unwrap();
        sealed.push(Uint8Array::new(&JsFuture::from(promise).await.unwrap()));
    }
    (key, sealed)
}

#[wasm_bindgen_bench]
async fn decrypt_4_mib(c: &mut Criterion) {
    let plaintext: Vec<u8> = (0..OBJECT_LEN).map(|i| (i % 251) as u8).collect();
    let key = MasterKey::from_bytes(KeyId::new("mk-1").unwrap(), [9; 32])
        .object_key("bucket", &ObjectKey::parse("tickets/1/big.bin").unwrap());
    // The benchmarked futures must not borrow from this function: the inputs live for the run.
    let ciphertext: &'static [u8] =
        object::encrypt(key.write_key([3; 32]), DEFAULT_CHUNK_SIZE, &plaintext).unwrap().leak();
    let keys: &'static [_] = vec![key].leak();
    let (raw_key, raw) = raw_chunks(&plaintext).await;
    let (raw_key, raw): (&'static CryptoKey, &'static [Uint8Array]) = (Box::leak(Box::new(raw_key)), raw.leak());

    c.bench_async_function("library: ObjectDecryptor, 4 MiB in 64 KiB pieces", |b| {
        Box::pin(b.iter_future(|| async {
            let mut decryptor = ObjectDecryptor::new(keys);
            let mut out = 0;
            for piece in ciphertext.chunks(DEFAULT_CHUNK_SIZE as usize) {
                out += decryptor.push(piece).await.unwrap().iter().map(Uint8Array::length).sum::<u32>();
            }
            out += decryptor.finish().await.unwrap().iter().map(Uint8Array::length).sum::<u32>();
            assert_eq!(out as usize, OBJECT_LEN);
        }))
    })
    .await;

    let subtle: &'static SubtleCrypto = Box::leak(Box::new(subtle()));
    c.bench_async_function("raw WebCrypto: 64 x decrypt(64 KiB), one at a time", |b| {
        Box::pin(b.iter_future(|| async {
            for (i, chunk) in raw.iter().enumerate() {
                let promise = subtle.decrypt_with_object_and_js_u8_array(&params(i as u32), raw_key, chunk).unwrap();
                JsFuture::from(promise).await.unwrap();
            }
        }))
    })
    .await;

    c.bench_async_function("raw WebCrypto: 64 x decrypt(64 KiB), all at once", |b| {
        Box::pin(b.iter_future(|| async {
            let all: Array = raw
                .iter()
                .enumerate()
                .map(|(i, chunk)| -> JsValue {
                    subtle.decrypt_with_object_and_js_u8_array(&params(i as u32), raw_key, chunk).unwrap().into()
                })
                .collect();
            JsFuture::from(Promise::all(&all)).await.unwrap();
        }))
    })
    .await;
}
