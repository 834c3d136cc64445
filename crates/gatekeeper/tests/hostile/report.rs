//! Judging one case against its row and the audit entries it added, and the suite's summary.
//! A case passes only if every check of its row holds; nothing here may turn a failure into a
//! pass (an unreadable log, a missing entry, an extra grant all fail the case).

use std::io::Write as _;

use serde_json::Value;

use super::harness::{Case, Outcome, Threat, ANY_4XX, ANY_CODE};

/// The result of one case.
pub struct Report {
    pub group: &'static str,
    pub name: String,
    pub threat: Threat,
    pub control: bool,
    pub failures: Vec<String>,
    pub accepted: bool,
    pub unexpected_5xx: bool,
    pub expected_5xx: bool,
    pub unaudited: bool,
}

/// Checks `outcome` and the audit `entries` the case added against `case`.
pub fn judge(group: &'static str, case: &Case, outcome: Outcome, entries: &[Value]) -> Report {
    let mut failures = outcome.problems.clone();
    let status_ok = match case.status {
        ANY_4XX => (400..500).contains(&outcome.status),
        want => outcome.status == want,
    };
    if !status_ok || (case.code != ANY_CODE && outcome.code != case.code) {
        failures.push(format!("answered {} {:?}, want {} {:?}", outcome.status, outcome.code, case.status, case.code));
    }
    let granted = entries.iter().filter(|e| e["decision"] == "granted").count();
    let control = (200..300).contains(&case.status) && case.code.is_empty();
    let mut accepted = outcome.accepted && !control;
    if control && case.audited && granted == 0 {
        failures.push("granted, but no granted audit entry".to_owned());
    } else if !control && granted > outcome.grants {
        accepted = true;
        failures.push(format!("{granted} granted audit entries, {} expected", outcome.grants));
    }
    let denials: Vec<&Value> = entries.iter().filter(|e| e["decision"] != "granted").collect();
    let mut unaudited = false;
    if case.audited && !case.code.is_empty() {
        let matches = |e: &&Value| {
            e["reason"] == case.code
                && outcome.audit_ip.as_ref().is_none_or(|ip| e["client_ip"] == ip.as_str())
                && outcome.decoded.as_ref().is_none_or(|r| {
                    // The log keeps text as docs/audit.md says: U+0000 becomes U+FFFD.
                    e["nonce"] == hex::encode(r.nonce).as_str() && e["key"] == r.key.replace('\0', "\u{fffd}").as_str()
                })
        };
        if !denials.iter().any(matches) {
            unaudited = outcome.status >= 400;
            let seen: Vec<String> = denials
                .iter()
                .map(|e| format!("{} from {} nonce {} key {}", e["reason"], e["client_ip"], e["nonce"], e["key"]))
                .collect();
            failures.push(format!(
                "no audit entry {:?} from {:?} for {:?}; the log has {seen:?}",
                case.code,
                outcome.audit_ip,
                outcome.decoded.as_ref().map(|r| (hex::encode(r.nonce), r.key.clone()))
            ));
        }
    } else if !case.audited && !denials.is_empty() {
        failures.push(format!("not audited by design, yet the log has {} denials", denials.len()));
    }
    let is_5xx = outcome.status >= 500;
    let expected_5xx = is_5xx && case.status == outcome.status;
    Report {
        group,
        name: case.name.clone(),
        threat: case.threat,
        control,
        failures,
        accepted,
        unexpected_5xx: is_5xx && !expected_5xx,
        expected_5xx,
        unaudited,
    }
}

/// Prints every failed case and one summary line; panics if any case failed.
pub fn summarize(reports: &[Report]) {
    let failed: Vec<&Report> = reports.iter().filter(|r| !r.failures.is_empty()).collect();
    for r in &failed {
        eprintln!("FAILED {}/{} ({:?}): {}", r.group, r.name, r.threat, r.failures.join("; "));
    }
    let hostile = reports.iter().filter(|r| !r.control).count();
    let count = |f: fn(&Report) -> bool| reports.iter().filter(|r| f(r)).count();
    // Written to stderr directly, not through the test harness's capture: the line shows in the
    // test command's output whether the suite passes or not.
    let _ = writeln!(
        std::io::stderr(),
        "hostile suite: {} cases run ({hostile} hostile, {} controls), {} accepted, {} 5xx answers \
         ({} documented 5xx besides), {} unaudited refusals, {} failed",
        reports.len(),
        reports.len() - hostile,
        count(|r| r.accepted),
        count(|r| r.unexpected_5xx),
        count(|r| r.expected_5xx),
        count(|r| r.unaudited),
        failed.len(),
    );
    let mut by_threat: Vec<(Threat, usize)> = Vec::new();
    for r in reports {
        match by_threat.iter_mut().find(|(t, _)| *t == r.threat) {
            Some((_, n)) => *n += 1,
            None => by_threat.push((r.threat, 1)),
        }
    }
    let by_threat: Vec<String> = by_threat.iter().map(|(t, n)| format!("{t:?} {n}")).collect();
    let _ = writeln!(std::io::stderr(), "hostile suite by threat: {}", by_threat.join(", "));
    assert!(failed.is_empty(), "{} of {} hostile cases failed (listed above)", failed.len(), reports.len());
}
