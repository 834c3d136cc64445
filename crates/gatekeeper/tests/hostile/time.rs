//! Time windows (docs/protocol.md section 6.1; SECURITY.md T6): windows that are empty, inverted,
//! longer than `max_lifetime` (300 s here), not yet valid or expired beyond `max_skew` (60 s),
//! and the `u64` edges where an unchecked addition would wrap. The order of the checks is part of
//! the contract, so a window with several faults gets the first one's code. Controls at the
//! inclusive edges show the window is not refused wholesale. Edges are chosen so the test's clock
//! and the gatekeeper's may tick apart by a few seconds without changing any answer.
//! No row asserts a duration: only the answer to a window is checked.

use super::harness::{row, send, Case, Threat::Time, AUDITED};
use crate::common::now;

const INVALID: &str = "invalid_time_window";
const TOO_LONG: &str = "lifetime_too_long";
const NOT_YET: &str = "not_yet_valid";
const EXPIRED: &str = "expired";

/// `(name, (issued_at, expires_at) from the current time, status, code)`.
type Window = (&'static str, fn(u64) -> (u64, u64), u16, &'static str);

const TABLE: &[Window] = &[
    ("expires_equals_issued", |n| (n, n), 403, INVALID),
    ("expires_one_second_before_issued", |n| (n, n - 1), 403, INVALID),
    ("inverted_by_a_day", |n| (n + 86_400, n), 403, INVALID),
    ("both_zero", |_| (0, 0), 403, INVALID),
    ("both_u64_max", |_| (u64::MAX, u64::MAX), 403, INVALID),
    ("issued_u64_max_expires_zero", |_| (u64::MAX, 0), 403, INVALID),
    ("issued_now_expires_zero", |n| (n, 0), 403, INVALID),
    ("lifetime_301_seconds", |n| (n, n + 301), 403, TOO_LONG),
    ("lifetime_an_hour", |n| (n, n + 3600), 403, TOO_LONG),
    ("lifetime_from_zero_to_u64_max", |_| (0, u64::MAX), 403, TOO_LONG),
    ("lifetime_from_now_to_u64_max", |n| (n, u64::MAX), 403, TOO_LONG),
    ("lifetime_2_pow_63", |n| (n, n + (1 << 63)), 403, TOO_LONG),
    ("lifetime_301_ending_now", |n| (n - 301, n), 403, TOO_LONG),
    ("lifetime_too_long_and_expired", |_| (1, 1_000_000), 403, TOO_LONG),
    ("issued_beyond_the_skew", |n| (n + 70, n + 120), 403, NOT_YET),
    ("issued_in_an_hour", |n| (n + 3600, n + 3660), 403, NOT_YET),
    ("issued_next_year", |n| (n + 31_536_000, n + 31_536_100), 403, NOT_YET),
    ("issued_at_2_pow_63", |_| (1 << 63, (1 << 63) + 60), 403, NOT_YET),
    ("window_ending_at_u64_max", |_| (u64::MAX - 10, u64::MAX), 403, NOT_YET),
    ("window_ending_at_2_pow_64_minus_2", |_| (u64::MAX - 300, u64::MAX - 1), 403, NOT_YET),
    ("expired_just_beyond_the_skew", |n| (n - 100, n - 61), 403, EXPIRED),
    ("expired_an_hour_ago", |n| (n - 3700, n - 3600), 403, EXPIRED),
    ("expired_at_the_epoch", |_| (0, 1), 403, EXPIRED),
    ("expired_at_2_pow_30", |_| ((1 << 30) - 60, 1 << 30), 403, EXPIRED),
    ("expired_full_lifetime_ago", |n| (n - 400, n - 100), 403, EXPIRED),
    // Controls: the inclusive edges are valid.
    ("control_lifetime_exactly_300", |n| (n, n + 300), 200, ""),
    ("control_issued_at_the_skew_edge", |n| (n + 60, n + 120), 200, ""),
    ("control_expired_within_the_skew", |n| (n - 100, n - 50), 200, ""),
];

pub fn cases() -> Vec<Case> {
    TABLE
        .iter()
        .map(|&(name, window, status, code)| {
            let how = send(move |f| {
                let (issued_at, expires_at) = window(now());
                f.with(|r| {
                    r.issued_at = issued_at;
                    r.expires_at = expires_at;
                })
            });
            row(name, Time, how, status, code, AUDITED)
        })
        .collect()
}
