//! Why a configuration value is refused: a CIDR, a country code, a key id, a gatekeeper id, a root
//! prefix, a key or a time policy that the protocol cannot accept.
//!
//! Configuration is checked once, when a gatekeeper or a co-signer starts, by the constructors of
//! the checked types ([`crate::KeyId`], [`crate::GatekeeperId`],
//! [`crate::policy::object_key::RootPrefix`], …), which all answer with a [`ConfigError`]. This
//! module depends on nothing else in the crate, so every module can use it. Its messages quote at
//! most a short prefix of the refused value and must never include a secret key's bytes.

use core::fmt;

/// A configuration value the protocol cannot accept (CIDR, country code, key id, root prefix).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Not `address/length`, a length out of range, or host bits set.
    InvalidCidr(String),
    /// Not two ASCII letters.
    InvalidCountry(String),
    /// Not 1–64 characters of `A-Z a-z 0-9 . _ -`.
    InvalidKeyId(String),
    /// Not empty or a valid key prefix ending with `/`.
    InvalidRootPrefix(String),
    /// A key of the wrong length or a weak public key.
    InvalidKey(&'static str),
    /// A time policy out of bounds.
    InvalidTimePolicy(&'static str),
    /// A gatekeeper id that is empty, too long or has characters outside `A-Z a-z 0-9 . _ - :`.
    InvalidGatekeeperId(String),
}

impl ConfigError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        "invalid_config"
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidCidr(s) => write!(f, "invalid cidr {s:?}"),
            ConfigError::InvalidCountry(s) => write!(f, "invalid country code {s:?}"),
            ConfigError::InvalidKeyId(s) => write!(f, "invalid key id {s:?}"),
            ConfigError::InvalidRootPrefix(s) => write!(f, "invalid root prefix {s:?}"),
            ConfigError::InvalidKey(why) => write!(f, "invalid key: {why}"),
            ConfigError::InvalidTimePolicy(why) => write!(f, "invalid time policy: {why}"),
            ConfigError::InvalidGatekeeperId(s) => write!(f, "invalid gatekeeper id {s:?}"),
        }
    }
}

impl std::error::Error for ConfigError {}
