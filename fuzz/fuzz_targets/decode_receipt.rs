//! Receipt decoding (`docs/protocol.md` section 4.3) on raw bytes.
//!
//! Input: the bytes of an encoded receipt. Seeds: every receipt of `vectors/`. Oracle: decoding
//! never panics; whatever decodes re-encodes to exactly the input, carries a request of 1 to
//! `MAX_REQUEST_LEN` bytes and never an IPv4-mapped IPv6 address (which must travel as family 4).
#![no_main]

use core::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use s3gk_protocol::policy::acl::normalize_ip;
use s3gk_protocol::request::MAX_REQUEST_LEN;
use s3gk_protocol::sign::Receipt;

fuzz_target!(|data: &[u8]| {
    if let Ok(receipt) = Receipt::decode(data) {
        assert_eq!(receipt.encode(), data, "decoding accepted a non-canonical receipt");
        assert!((1..=MAX_REQUEST_LEN).contains(&receipt.request().len()));
        let ip: IpAddr = receipt.client_ip();
        assert_eq!(normalize_ip(ip), ip, "a mapped address decoded as family 6");
    }
});
