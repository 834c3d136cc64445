//! Access request decoding (`docs/protocol.md` section 3.2) on raw bytes.
//!
//! Input: the bytes of an encoded request. Seeds: every request of `vectors/` (request, signature,
//! cosign and receipt vectors), so runs start past the domain label with every field reachable.
//! Oracle: decoding never panics; whatever decodes re-encodes to exactly the input (one encoding
//! per request), within `MAX_REQUEST_LEN`; every refusal names a field and has one of the two codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3gk_protocol::request::MAX_REQUEST_LEN;
use s3gk_protocol::AccessRequest;

fuzz_target!(|data: &[u8]| {
    match AccessRequest::decode(data) {
        Ok(request) => {
            let again = request.encode().expect("a decoded request is within every limit");
            assert_eq!(again, data, "decoding accepted a non-canonical encoding");
            assert!(data.len() <= MAX_REQUEST_LEN);
        }
        Err(e) => {
            assert!(matches!(e.code(), "malformed_request" | "unsupported_version"), "{e:?}");
            assert!(!e.field().name().is_empty());
        }
    }
});
