//! The gatekeeper service a customer runs next to their bucket.
//!
//! Every check it makes comes from [`s3gk_protocol`]; this crate adds the I/O around them: the HTTP
//! API, configuration, client-IP resolution, geo lookup, the replay cache, S3 presigning and the
//! audit log. At this stage it is a skeleton that fixes the crate's place in the workspace.

#![forbid(unsafe_code)]

/// The protocol version this gatekeeper speaks.
pub const PROTOCOL_VERSION: u8 = s3gk_protocol::PROTOCOL_VERSION;
