//! The gatekeeper service a customer runs next to their bucket.
//!
//! Every check it makes comes from [`s3gk_protocol`]; this crate adds the I/O around them:
//!
//! - [`config`]: the TOML configuration, secrets by reference, and `check-config`;
//! - [`client_ip`] and [`geo`]: who is asking, and from which country;
//! - [`replay`]: nonces already used;
//! - [`audit`]: the hash-chained, checkpointed, durable audit log (fail closed);
//! - [`s3`]: SigV4 presigning and listing against Amazon S3 or any compatible store;
//! - [`authorize`]: the pipeline of checks, in the order `docs/protocol.md` fixes;
//! - [`http`]: the HTTP API (`app(state) -> Router`, `serve_gatekeeper(listener, state, shutdown)`);
//! - [`metrics`]: Prometheus counters and latency histogram;
//! - [`service`]: assembling all of the above from [`config::Settings`]; [`keygen`]: new keys;
//! - [`clock`]: the one clock seam every part asks for the time;
//! - [`viewer`]: the isolated viewer's page, policy and pinned files (`/v1/viewer/`).
//!
//! Built with the `lambda` feature, `lambda` runs the same router on AWS Lambda.

#![forbid(unsafe_code)]

pub mod audit;
pub mod authorize;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod geo;
pub mod http;
pub mod keygen;
pub mod metrics;
pub mod postgres;
pub mod replay;
pub mod s3;
pub mod secret;
pub mod service;
pub mod viewer;

#[cfg(feature = "lambda")]
pub mod lambda;

/// The protocol version this gatekeeper speaks.
pub const PROTOCOL_VERSION: u8 = s3gk_protocol::PROTOCOL_VERSION;
