//! Request and receipt decoding never panic, and whatever decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3gk_protocol::sign::Receipt;
use s3gk_protocol::AccessRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = AccessRequest::decode(data) {
        let again = request.encode().expect("a decoded request is within every limit");
        assert_eq!(again, data, "decoding accepted a non-canonical encoding");
    }
    if let Ok(receipt) = Receipt::decode(data) {
        assert_eq!(receipt.encode(), data, "decoding accepted a non-canonical receipt");
    }
});
