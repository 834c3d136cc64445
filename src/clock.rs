//! The client's view of the gatekeeper's clock.
//!
//! A request's validity window is checked against the gatekeeper's clock, so the client measures
//! how far its own clock is off once (from `/v1/info`'s `server_time`) and corrects every later
//! reading. This module reads no clock itself: local time comes in as JS milliseconds.

/// The correction from the local clock to the gatekeeper's, in whole seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clock {
    offset_secs: i64,
}

/// Whole Unix seconds from JS milliseconds (`Date.now()`); negative or NaN readings give 0.
pub(crate) fn unix_secs(local_ms: f64) -> u64 {
    // `as` saturates: NaN and negatives become 0, which the gatekeeper then refuses as expired.
    (local_ms / 1000.0).floor() as u64
}

impl Clock {
    /// The correction that makes `local_ms` read as `server_time`.
    pub(crate) fn from_server_time(server_time: u64, local_ms: f64) -> Self {
        let server = i128::from(server_time);
        let local = i128::from(unix_secs(local_ms));
        let offset = (server - local).clamp(i128::from(i64::MIN), i128::from(i64::MAX));
        Self { offset_secs: i64::try_from(offset).unwrap_or_default() }
    }

    /// This clock moved by `secs` (tests use it to pretend the local clock is wrong).
    #[must_use]
    pub(crate) fn shifted(self, secs: i64) -> Self {
        Self { offset_secs: self.offset_secs.saturating_add(secs) }
    }

    /// The gatekeeper's time, in Unix seconds, when the local clock reads `local_ms`.
    pub(crate) fn now(&self, local_ms: f64) -> u64 {
        unix_secs(local_ms).saturating_add_signed(self.offset_secs)
    }

    /// The correction, in seconds.
    #[cfg(test)]
    pub(crate) fn offset_secs(&self) -> i64 {
        self.offset_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrects_a_slow_and_a_fast_local_clock() {
        let slow = Clock::from_server_time(1_800_000_000, 1_799_999_000_000.0);
        assert_eq!(slow.offset_secs(), 1000);
        assert_eq!(slow.now(1_799_999_010_500.0), 1_800_000_010);
        let fast = Clock::from_server_time(1_800_000_000, 1_800_000_500_999.0);
        assert_eq!(fast.now(1_800_000_500_999.0), 1_800_000_000);
    }

    #[test]
    fn odd_readings_never_panic() {
        assert_eq!(unix_secs(f64::NAN), 0);
        assert_eq!(unix_secs(-5.0), 0);
        assert_eq!(Clock::from_server_time(u64::MAX, 0.0).now(0.0), i64::MAX.unsigned_abs());
        assert_eq!(Clock::from_server_time(0, 1e15).now(0.0), 0);
        assert_eq!(Clock::default().shifted(-120).now(100_000.0), 0);
        assert_eq!(Clock::default().shifted(-120).now(200_000.0), 80);
    }
}
