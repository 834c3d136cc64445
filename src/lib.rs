//! The s3-gatekeeper browser client.
//!
//! This crate becomes the WebAssembly library on a vendor's report page: it collects the vendor's
//! co-signature, performs the handshake with the customer's gatekeeper, fetches objects from S3 with
//! the presigned URLs it receives and decrypts them in the page. All encodings, signatures and the
//! object format come from [`s3gk_protocol`]; this crate adds only the browser I/O around them.
//!
//! At this stage it is a skeleton: it re-exports the protocol core so the workspace's layout and
//! dependency direction are fixed. The JS API is tracked separately.

#![forbid(unsafe_code)]

pub use s3gk_protocol as protocol;
