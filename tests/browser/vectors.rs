//! The spec's `object` vectors (`vectors/object-*.txt`) through the browser's decryptor on
//! WebCrypto, fed in pieces of several sizes; and WebCrypto's encryption opened by the protocol's
//! RustCrypto decryptor, so each side reads the other's output.
//!
//! `tests/vector_list.rs` checks natively that [`VECTORS`] names every object vector in `vectors/`.

use std::collections::HashMap;

use js_sys::Uint8Array;
use s3_gatekeeper_client::protocol::object::{self, MasterKey, ObjectKeyMaterial};
use s3_gatekeeper_client::protocol::{KeyId, ObjectKey};
use s3_gatekeeper_client::{decrypt_object, encrypt_object, ObjectDecryptor};
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! vectors {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../vectors/", $name)))),*]
    };
}

/// Every `kind: object` vector, by file name.
pub(crate) const VECTORS: &[(&str, &str)] = vectors![
    "object-bad-magic.txt",
    "object-extended.txt",
    "object-flipped-body-bit.txt",
    "object-flipped-header-bit.txt",
    "object-flipped-tag-bit.txt",
    "object-header-only.txt",
    "object-missing-final-chunk.txt",
    "object-moved-to-other-bucket.txt",
    "object-moved-to-other-key.txt",
    "object-ok-1-byte.txt",
    "object-ok-empty.txt",
    "object-ok-one-chunk-plus-1.txt",
    "object-ok-one-chunk.txt",
    "object-ok-several-chunks.txt",
    "object-ok-two-full-chunks.txt",
    "object-reordered.txt",
    "object-truncated-at-chunk-boundary.txt",
    "object-truncated.txt",
    "object-unknown-master-key-id.txt",
    "object-wrong-master-key.txt",
];

/// One vector file: `name: value` lines.
fn fields(text: &str) -> HashMap<&str, &str> {
    text.lines().filter_map(|line| line.split_once(": ").or_else(|| line.strip_suffix(':').map(|n| (n, "")))).collect()
}

fn hex(value: &str) -> Vec<u8> {
    hex::decode(value).expect("vectors hold lower-case hex")
}

/// The per-object key the vector's decryptor derives (spec section 9).
fn object_key(v: &HashMap<&str, &str>) -> ObjectKeyMaterial {
    let master = MasterKey::from_bytes(
        KeyId::new(v["master_key_id"]).expect("key id"),
        hex(v["master_key"]).try_into().expect("32 bytes"),
    );
    let name = String::from_utf8(hex(v["object_key"])).expect("utf-8 key");
    master.object_key(v["bucket"], &ObjectKey::parse(&name).expect("a valid object key"))
}

#[wasm_bindgen_test]
async fn every_object_vector_gives_its_result_through_webcrypto() {
    let mut checked = 0;
    for (file, text) in VECTORS {
        let v = fields(text);
        assert_eq!(v["kind"], "object", "{file}");
        let keys = [object_key(&v)];
        let ciphertext = hex(v["ciphertext"]);
        for piece in [1, 7, 64, ciphertext.len().max(1)] {
            let result = decrypt_object(&keys, &ciphertext, piece).await;
            match v["expect"] {
                "ok" => assert_eq!(result.expect(file), hex(v["plaintext"]), "{file}, pieces of {piece}"),
                code => assert_eq!(result.expect_err(file).code(), code, "{file}, pieces of {piece}"),
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 20);
}

#[wasm_bindgen_test]
async fn the_decryptor_really_runs_on_webcrypto() {
    let (_, text) = VECTORS.iter().find(|(f, _)| *f == "object-ok-several-chunks.txt").expect("vector");
    let v = fields(text);
    let mut decryptor = ObjectDecryptor::new(&[object_key(&v)]);
    assert!(!decryptor.keyed(), "keyed only once the header verified");
    let parts = decryptor.push(&hex(v["ciphertext"])).await.expect("decrypts");
    assert!(decryptor.keyed());
    let mut plaintext: Vec<u8> = parts.iter().flat_map(|p| p.to_vec()).collect();
    plaintext.extend(decryptor.finish().await.expect("complete").iter().flat_map(|p| p.to_vec()));
    assert_eq!(plaintext, hex(v["plaintext"]));
}

#[wasm_bindgen_test]
async fn webcrypto_and_rustcrypto_read_each_others_objects() {
    let key = MasterKey::from_bytes(KeyId::new("mk-1").expect("id"), [7; 32])
        .object_key("bucket", &ObjectKey::parse("tickets/1/a").expect("key"));
    let keys = std::slice::from_ref(&key);
    for len in [0usize, 1, 65_535, 65_536, 65_537, 200_000] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let sealed = encrypt_object(key.write_key([9; 32]), &Uint8Array::from(plaintext.as_slice()))
            .await
            .expect("encrypts")
            .to_vec();
        assert_eq!(object::decrypt(keys, &sealed).expect("RustCrypto opens WebCrypto's"), plaintext);
        let soft = object::encrypt(key.write_key([3; 32]), object::DEFAULT_CHUNK_SIZE, &plaintext).expect("encrypts");
        let opened = decrypt_object(keys, &soft, 10_000).await;
        assert_eq!(opened.expect("WebCrypto opens RustCrypto's"), plaintext, "{len} bytes");
    }
}

#[wasm_bindgen_test]
async fn a_failed_decryptor_stays_failed() {
    let key = MasterKey::from_bytes(KeyId::new("mk-1").expect("id"), [7; 32])
        .object_key("bucket", &ObjectKey::parse("k").expect("key"));
    let mut sealed = object::encrypt(key.write_key([3; 32]), 16, &[5u8; 100]).expect("encrypts");
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    let mut decryptor = ObjectDecryptor::new(&[key]);
    let early = decryptor.push(&sealed).await.expect("the damage is in the final chunk");
    assert!(!early.is_empty(), "verified chunks are released before the end");
    assert_eq!(decryptor.finish().await.expect_err("damaged").code(), "decryption_failed");
}
