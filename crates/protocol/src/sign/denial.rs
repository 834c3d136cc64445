//! Why the gatekeeper refuses an access request: [`Denial`], one variant per check of
//! `docs/protocol.md` section 5, in the order they run, each with its stable code.
//!
//! A denial is what the sans-I/O checks decide. Refusals that come from the service around them
//! (the audit log, a shared replay store, S3, the network) belong to the service and never appear
//! here. Every cryptographic failure of one role is one variant, so a denial is no oracle. This
//! module must never put a key, a signature or request bytes into a message.

use core::fmt;

use crate::codec::DecodeError;
use crate::policy::acl::{AclDenial, CountryCode};
use crate::policy::object_key::KeyProblem;
use crate::policy::time::TimeProblem;

/// Why the gatekeeper refuses an access request. One variant per check, in the order they run.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The request bytes do not decode (includes an unsupported version).
    Malformed(DecodeError),
    /// The request names another gatekeeper.
    WrongAudience,
    /// The object key or prefix is refused.
    Key(KeyProblem),
    /// The validity window is refused.
    Time(TimeProblem),
    /// No vendor key with that id is configured.
    UnknownVendorKey,
    /// The vendor signature does not verify (any cause: bad bytes, weak key, wrong key).
    BadVendorSignature,
    /// The client session signature does not verify (any cause).
    BadClientSignature,
    /// The nonce was already used.
    Replay,
    /// The client IP is denied, or not in the allow list.
    AclDeniedIp,
    /// The client's country is denied, not allowed, or unknown.
    AclDeniedCountry {
        /// The country, if the lookup found one.
        country: Option<CountryCode>,
    },
}

impl Denial {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::Malformed(e) => e.code(),
            Denial::WrongAudience => "wrong_audience",
            Denial::Key(p) => p.code(),
            Denial::Time(p) => p.code(),
            Denial::UnknownVendorKey => "unknown_vendor_key",
            Denial::BadVendorSignature => "bad_vendor_signature",
            Denial::BadClientSignature => "bad_client_signature",
            Denial::Replay => "replayed_nonce",
            Denial::AclDeniedIp => AclDenial::Ip.code(),
            Denial::AclDeniedCountry { country } => AclDenial::Country { country: *country }.code(),
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::Malformed(e) => e.fmt(f),
            Denial::WrongAudience => f.write_str("request is for another gatekeeper"),
            Denial::Key(p) => f.write_str(p.describe()),
            Denial::Time(p) => f.write_str(p.describe()),
            Denial::UnknownVendorKey => f.write_str("unknown vendor key id"),
            Denial::BadVendorSignature => f.write_str("vendor signature is invalid"),
            Denial::BadClientSignature => f.write_str("client signature is invalid"),
            Denial::Replay => f.write_str("request was already used"),
            Denial::AclDeniedIp => AclDenial::Ip.fmt(f),
            Denial::AclDeniedCountry { country } => AclDenial::Country { country: *country }.fmt(f),
        }
    }
}

impl std::error::Error for Denial {}

impl From<DecodeError> for Denial {
    fn from(e: DecodeError) -> Self {
        Denial::Malformed(e)
    }
}

impl From<AclDenial> for Denial {
    fn from(d: AclDenial) -> Self {
        match d {
            AclDenial::Ip => Denial::AclDeniedIp,
            AclDenial::Country { country } => Denial::AclDeniedCountry { country },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_denials_keep_their_codes_and_messages() {
        let fr: Option<CountryCode> = "FR".parse().ok();
        for (acl, code, message) in [
            (AclDenial::Ip, "acl_denied_ip", "access denied: client address is not allowed"),
            (AclDenial::Country { country: fr }, "acl_denied_country", "access denied: country FR is not allowed"),
            (AclDenial::Country { country: None }, "acl_denied_country", "access denied: client country is unknown"),
        ] {
            let denial = Denial::from(acl);
            assert_eq!((denial.code(), denial.to_string()), (code, message.to_owned()));
            assert_eq!((acl.code(), acl.to_string()), (code, message.to_owned()));
        }
        assert_eq!(Denial::Replay.code(), "replayed_nonce");
    }
}
