//! The browser tests embed the spec's object vectors by name (`tests/browser/vectors.rs`, with
//! `include_str!`); this native test fails when a vector file of kind `object` is added to
//! `vectors/` without being listed there, so no vector silently escapes the WebCrypto check.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::Path;

#[test]
fn the_browser_tests_list_every_object_vector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = fs::read_to_string(root.join("tests/browser/vectors.rs")).unwrap();
    let mut object_vectors = 0;
    for entry in fs::read_dir(root.join("vectors")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        if text.lines().next() != Some("kind: object") {
            continue;
        }
        object_vectors += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(listed.contains(&format!("\"{name}\"")), "{name} is missing from tests/browser/vectors.rs");
    }
    assert!(object_vectors >= 20, "found only {object_vectors} object vectors");
}

#[test]
fn the_browser_tests_list_every_signature_and_receipt_vector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = fs::read_to_string(root.join("tests/browser/strict.rs")).unwrap();
    let mut count = 0;
    for entry in fs::read_dir(root.join("vectors")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        if !matches!(text.lines().next(), Some("kind: signature" | "kind: receipt")) {
            continue;
        }
        count += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(listed.contains(&format!("\"{name}\"")), "{name} is missing from tests/browser/strict.rs");
    }
    assert!(count >= 31, "found only {count} signature and receipt vectors");
}
