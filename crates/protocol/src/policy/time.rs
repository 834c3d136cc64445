//! The validity window of an access request.
//!
//! A request is valid from `issued_at - skew` to `expires_at + skew`, and its declared lifetime
//! (`expires_at - issued_at`) may not exceed the policy's maximum. The gatekeeper keeps a seen nonce
//! until `expires_at + skew`, after which this check alone refuses the request. A refusal is a
//! [`TimeProblem`] with its stable code.
//!
//! This module must never read a clock (`now` is an argument) and never overflow: additions
//! saturate at `u64::MAX` and subtractions at 0.

use crate::config::ConfigError;

/// The most a policy may allow for the lifetime of one request: one hour.
pub const MAX_LIFETIME_CAP: u64 = 3600;
/// The most a policy may allow for clock skew: ten minutes.
pub const MAX_SKEW_CAP: u64 = 600;

/// Why a request's validity window is refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeProblem {
    /// `expires_at` is not after `issued_at`.
    InvalidWindow,
    /// The window is longer than the policy's maximum lifetime.
    LifetimeTooLong,
    /// `issued_at` is further in the future than the allowed clock skew.
    NotYetValid,
    /// `expires_at` plus the allowed clock skew has passed.
    Expired,
    /// (Co-signer only, [`crate::cosign`].) `issued_at` is further in the past than the allowed
    /// clock skew: the request was not made just now.
    Stale,
}

impl TimeProblem {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TimeProblem::InvalidWindow => "invalid_time_window",
            TimeProblem::LifetimeTooLong => "lifetime_too_long",
            TimeProblem::NotYetValid => "not_yet_valid",
            TimeProblem::Expired => "expired",
            TimeProblem::Stale => "stale_request",
        }
    }

    /// The message for people.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TimeProblem::InvalidWindow => "request expires before it is issued",
            TimeProblem::LifetimeTooLong => "request lifetime exceeds the maximum",
            TimeProblem::NotYetValid => "request is not yet valid (check the clock)",
            TimeProblem::Expired => "request has expired",
            TimeProblem::Stale => "request was issued too long ago (check the clock)",
        }
    }
}

/// How long a request may live and how far clocks may disagree, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimePolicy {
    max_lifetime: u64,
    max_skew: u64,
}

impl Default for TimePolicy {
    /// Five minutes of lifetime, one minute of skew.
    fn default() -> Self {
        Self { max_lifetime: 300, max_skew: 60 }
    }
}

impl TimePolicy {
    /// A policy; lifetime must be 1..=[`MAX_LIFETIME_CAP`], skew 0..=[`MAX_SKEW_CAP`].
    pub fn new(max_lifetime: u64, max_skew: u64) -> Result<Self, ConfigError> {
        if max_lifetime == 0 || max_lifetime > MAX_LIFETIME_CAP {
            return Err(ConfigError::InvalidTimePolicy("max lifetime must be 1..=3600 seconds"));
        }
        if max_skew > MAX_SKEW_CAP {
            return Err(ConfigError::InvalidTimePolicy("max skew must be 0..=600 seconds"));
        }
        Ok(Self { max_lifetime, max_skew })
    }

    /// The longest lifetime allowed, in seconds.
    pub fn max_lifetime(&self) -> u64 {
        self.max_lifetime
    }

    /// The clock skew allowed, in seconds.
    pub fn max_skew(&self) -> u64 {
        self.max_skew
    }

    /// Checks a window against `now` (all Unix seconds). The checks run in the order of
    /// [`TimeProblem`]'s variants.
    pub fn check(&self, issued_at: u64, expires_at: u64, now: u64) -> Result<(), TimeProblem> {
        self.check_length(issued_at, expires_at)?;
        if issued_at > now.saturating_add(self.max_skew) {
            return Err(TimeProblem::NotYetValid);
        }
        if now > expires_at.saturating_add(self.max_skew) {
            return Err(TimeProblem::Expired);
        }
        Ok(())
    }

    /// The co-signer's check of a window against its own clock `now` (`docs/protocol.md` 4.1):
    /// the window is valid and short, and `issued_at` is within the skew of `now` on either side,
    /// so a co-signature is only ever given for a request made now, never for one that starts
    /// later (`not_yet_valid`) or was made earlier (`stale_request`).
    pub fn check_cosign(&self, issued_at: u64, expires_at: u64, now: u64) -> Result<(), TimeProblem> {
        self.check_length(issued_at, expires_at)?;
        if issued_at > now.saturating_add(self.max_skew) {
            return Err(TimeProblem::NotYetValid);
        }
        if issued_at < now.saturating_sub(self.max_skew) {
            return Err(TimeProblem::Stale);
        }
        Ok(())
    }

    /// The window is not empty and not longer than the maximum lifetime.
    fn check_length(&self, issued_at: u64, expires_at: u64) -> Result<(), TimeProblem> {
        if expires_at <= issued_at {
            return Err(TimeProblem::InvalidWindow);
        }
        if expires_at - issued_at > self.max_lifetime {
            return Err(TimeProblem::LifetimeTooLong);
        }
        Ok(())
    }

    /// Until when (Unix seconds) a nonce from a request expiring at `expires_at` must be remembered.
    pub fn remember_nonce_until(&self, expires_at: u64) -> u64 {
        expires_at.saturating_add(self.max_skew)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_for_its_cause() {
        let p = TimePolicy::new(300, 60).unwrap();
        assert_eq!(p.check(1000, 1000, 1000), Err(TimeProblem::InvalidWindow));
        assert_eq!(p.check(1000, 1301, 1000), Err(TimeProblem::LifetimeTooLong));
        assert_eq!(p.check(1061, 1100, 1000), Err(TimeProblem::NotYetValid));
        assert_eq!(p.check(1000, 1100, 1161), Err(TimeProblem::Expired));
        // The edges are inclusive.
        assert_eq!(p.check(1060, 1100, 1000), Ok(()));
        assert_eq!(p.check(1000, 1100, 1160), Ok(()));
        assert_eq!(p.check(1000, 1300, 1000), Ok(()));
        // No overflow at the ends of u64.
        assert_eq!(p.check(u64::MAX - 10, u64::MAX, u64::MAX), Ok(()));
        assert_eq!(p.check(0, 1, u64::MAX), Err(TimeProblem::Expired));
    }

    #[test]
    fn the_cosigner_signs_only_windows_issued_now() {
        let p = TimePolicy::new(300, 60).unwrap();
        assert_eq!(p.check_cosign(1000, 1000, 1000), Err(TimeProblem::InvalidWindow));
        assert_eq!(p.check_cosign(1000, 1301, 1000), Err(TimeProblem::LifetimeTooLong));
        assert_eq!(p.check_cosign(1061, 1100, 1000), Err(TimeProblem::NotYetValid));
        assert_eq!(p.check_cosign(939, 1100, 1000), Err(TimeProblem::Stale));
        // Thirty days ahead, and a window that ended yesterday: both valid for the gatekeeper
        // at some time, neither signed now.
        assert_eq!(p.check_cosign(1000 + 30 * 86400, 1000 + 30 * 86400 + 60, 1000), Err(TimeProblem::NotYetValid));
        assert_eq!(p.check_cosign(100_000 - 86400, 100_000 - 86400 + 60, 100_000), Err(TimeProblem::Stale));
        // The edges are inclusive, and nothing overflows.
        assert_eq!(p.check_cosign(1060, 1100, 1000), Ok(()));
        assert_eq!(p.check_cosign(940, 1100, 1000), Ok(()));
        assert_eq!(p.check_cosign(0, 300, 0), Ok(()));
        assert_eq!(p.check_cosign(u64::MAX - 10, u64::MAX, u64::MAX), Ok(()));
    }

    #[test]
    fn policy_bounds() {
        assert!(TimePolicy::new(0, 0).is_err());
        assert!(TimePolicy::new(3601, 0).is_err());
        assert!(TimePolicy::new(60, 601).is_err());
        assert!(TimePolicy::new(3600, 600).is_ok());
    }
}
