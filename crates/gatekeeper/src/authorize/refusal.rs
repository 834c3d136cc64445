//! Why the pipeline refused a request: a protocol check's [`Denial`], or one of the service's own
//! reasons. Each has the stable code the HTTP answer and the audit entry carry.
//!
//! This module must never put internals (S3 responses, storage errors) into a message.

use s3gk_protocol::Denial;

use crate::s3::S3Error;

/// Why a request was refused.
#[non_exhaustive]
#[derive(Debug)]
pub enum Refusal {
    /// A protocol check refused it.
    Denied(Denial),
    /// `X-Forwarded-For` from a trusted proxy could not be parsed.
    ForwardedFor,
    /// S3 could not be reached or answered with an error while building the answer.
    S3(S3Error),
    /// The shared replay cache could not be asked, so the nonce could not be checked (fail closed).
    ReplayUnavailable,
    /// The operating system's random source failed, so no upload salt could be drawn.
    EntropyUnavailable,
    /// The decision could not be written to the audit log, so it is refused (fail closed).
    AuditUnavailable,
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Denied(d) => d.code(),
            Refusal::ForwardedFor => "malformed_forwarded_for",
            Refusal::S3(e) => e.code(),
            Refusal::ReplayUnavailable => "replay_unavailable",
            Refusal::EntropyUnavailable => "entropy_unavailable",
            Refusal::AuditUnavailable => "audit_unavailable",
        }
    }

    /// A short message for the client.
    pub fn message(&self) -> String {
        match self {
            Refusal::Denied(d) => d.to_string(),
            Refusal::ForwardedFor => "the X-Forwarded-For header from a trusted proxy is malformed".into(),
            Refusal::S3(e) => e.to_string(),
            Refusal::ReplayUnavailable => "the replay cache is unavailable; try again later".into(),
            Refusal::EntropyUnavailable => "no randomness available for the upload; try again later".into(),
            Refusal::AuditUnavailable => "audit log unavailable; request refused".into(),
        }
    }
}

impl From<Denial> for Refusal {
    fn from(d: Denial) -> Self {
        Refusal::Denied(d)
    }
}
