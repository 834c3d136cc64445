//! The service's one clock seam: everything in the gatekeeper that needs the time asks the
//! [`Clock`] in its state, so tests can set or step it and nothing reads the system clock behind
//! their back.
//!
//! Only the time window's check and the audit log's timestamps use the clock; audit sequence
//! numbers never do (the writer counts), so a clock that steps backwards or forwards cannot
//! reorder or fork the chain. This module must never be the source of an ordering decision.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where the time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Seconds since the Unix epoch (0 before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch (0 before it; saturating far in the future).
pub fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
