//! Prometheus metrics: decisions by outcome and reason, and the authorize latency histogram.
//!
//! Rendered by hand in the text exposition format; labels are stable reason codes only, never
//! keys, addresses or anything a client chose, so the label set stays small and holds no data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The gatekeeper's counters.
#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts one decision. `outcome` is `granted` or `denied`; `reason` a stable code.
    pub fn decision(&self, outcome: &'static str, reason: &'static str) {
        let mut map = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((outcome, reason)).or_insert(0) += 1;
    }

    /// Records one authorize call's duration.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP gatekeeper_decisions_total Authorization decisions by outcome and reason code.\n");
        out.push_str("# TYPE gatekeeper_decisions_total counter\n");
        for ((outcome, reason), n) in self.decisions.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "gatekeeper_decisions_total{{outcome=\"{outcome}\",reason=\"{reason}\"}} {n}");
        }
        out.push_str("# HELP gatekeeper_authorize_duration_seconds Time to answer POST /v1/authorize.\n");
        out.push_str("# TYPE gatekeeper_authorize_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let n = bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "gatekeeper_authorize_duration_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "gatekeeper_authorize_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "gatekeeper_authorize_duration_seconds_sum {sum}");
        let _ = writeln!(out, "gatekeeper_authorize_duration_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.decision("granted", "granted");
        m.decision("denied", "expired");
        m.decision("denied", "expired");
        m.observe(Duration::from_micros(700));
        m.observe(Duration::from_secs(3));
        let text = m.render();
        assert!(text.contains("gatekeeper_decisions_total{outcome=\"denied\",reason=\"expired\"} 2\n"));
        assert!(text.contains("gatekeeper_decisions_total{outcome=\"granted\",reason=\"granted\"} 1\n"));
        assert!(text.contains("gatekeeper_authorize_duration_seconds_bucket{le=\"0.0005\"} 0\n"));
        assert!(text.contains("gatekeeper_authorize_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("gatekeeper_authorize_duration_seconds_bucket{le=\"2.5\"} 1\n"));
        assert!(text.contains("gatekeeper_authorize_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("gatekeeper_authorize_duration_seconds_count 2\n"));
    }
}
