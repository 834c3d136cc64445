//! The audience of a request: the gatekeeper id syntax, and [`GatekeeperId`], the checked id.
//!
//! A gatekeeper id is 1 to [`MAX_GATEKEEPER_ID_LEN`] bytes of `A-Z a-z 0-9 . _ - :`
//! (`docs/protocol.md` section 2). The request decoder, a gatekeeper's configuration and a
//! co-signer's configuration all check it here, so there is one rule. This module must never
//! build a [`GatekeeperId`] from text the check refused.

use core::fmt;

use crate::codec::DecodeProblem;
use crate::config::ConfigError;

/// The longest gatekeeper id, in bytes.
pub const MAX_GATEKEEPER_ID_LEN: usize = 128;

/// A gatekeeper's id, checked: only [`GatekeeperId::new`] builds one. The verifier's and the
/// co-signer's policies hold the audience as this type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GatekeeperId(String);

impl GatekeeperId {
    /// Checks the syntax of `id`.
    pub fn new(id: &str) -> Result<Self, ConfigError> {
        match check_gatekeeper_id(id.as_bytes()) {
            Ok(()) => Ok(Self(id.to_owned())),
            Err(_) => Err(ConfigError::InvalidGatekeeperId(id.chars().take(80).collect())),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GatekeeperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The gatekeeper id rule, as the problem a decoder reports: too short, too long, or a byte
/// outside the set.
pub(crate) fn check_gatekeeper_id(id: &[u8]) -> Result<(), DecodeProblem> {
    if id.is_empty() {
        return Err(DecodeProblem::TooShort);
    }
    if id.len() > MAX_GATEKEEPER_ID_LEN {
        return Err(DecodeProblem::TooLong);
    }
    if !id.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b':')) {
        return Err(DecodeProblem::InvalidValue);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gatekeeper_id_syntax() {
        for good in ["acme-gk", "a", "gk:eu-west-1.prod_2", &"x".repeat(128)] {
            assert_eq!(GatekeeperId::new(good).unwrap().as_str(), good);
        }
        assert_eq!(check_gatekeeper_id(b""), Err(DecodeProblem::TooShort));
        assert_eq!(check_gatekeeper_id("x".repeat(129).as_bytes()), Err(DecodeProblem::TooLong));
        for bad in ["", "a b", "a/b", "ä", &"x".repeat(129)] {
            assert!(matches!(GatekeeperId::new(bad), Err(ConfigError::InvalidGatekeeperId(_))), "{bad:?}");
        }
    }
}
