//! The crash test's comparison of what clients received with what the log holds, read from
//! `gatekeeper audit export` (JSON Lines, binary values in hex; `docs/audit.md` section 8).
//!
//! A grant counts as kept only if the entry at its receipt's seq is granted, for the same key,
//! with the same request bytes, vendor and client signatures and, as its gatekeeper signature,
//! the receipt's signature; for a prefix read, each object's entry too. A re-sent grant's body
//! counts as audited only if a later entry refused those request bytes with `replayed_nonce`.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead as _;
use std::path::Path;

use serde::Deserialize;

use crate::client::GrantRecord;
use crate::{Context as _, Fallible};

/// One line of the export, the fields compared.
#[derive(Deserialize)]
struct ExportLine {
    seq: u64,
    key: String,
    decision: String,
    reason: String,
    request: String,
    vendor_signature: Option<String>,
    client_signature: Option<String>,
    gatekeeper_signature: Option<String>,
}

/// An entry of the log, as compared.
pub(crate) struct Logged {
    key: String,
    granted: bool,
    reason: String,
    request: Vec<u8>,
    vendor_signature: Option<Vec<u8>>,
    client_signature: Option<Vec<u8>>,
    gatekeeper_signature: Option<Vec<u8>>,
}

/// The log read from an export file: entries by seq.
pub(crate) struct Log {
    pub(crate) entries: BTreeMap<u64, Logged>,
}

impl Log {
    /// Reads an export file.
    pub(crate) fn read(path: &Path) -> Fallible<Log> {
        let file = std::fs::File::open(path).context("open the export")?;
        let mut entries = BTreeMap::new();
        for line in std::io::BufReader::new(file).lines() {
            let line = line.context("read the export")?;
            if line.trim().is_empty() {
                continue;
            }
            let e: ExportLine = serde_json::from_str(&line).context("an export line")?;
            let hex_field = |v: &Option<String>| -> Fallible<Option<Vec<u8>>> {
                v.as_deref().map(hex::decode).transpose().context("hex in the export")
            };
            let logged = Logged {
                key: e.key,
                granted: e.decision == "granted",
                reason: e.reason,
                request: hex::decode(&e.request).context("hex in the export")?,
                vendor_signature: hex_field(&e.vendor_signature)?,
                client_signature: hex_field(&e.client_signature)?,
                gatekeeper_signature: hex_field(&e.gatekeeper_signature)?,
            };
            if entries.insert(e.seq, logged).is_some() {
                return Err(format!("the export lists seq {} twice", e.seq));
            }
        }
        Ok(Log { entries })
    }

    /// The last seq, if any.
    pub(crate) fn head(&self) -> Option<u64> {
        self.entries.keys().next_back().copied()
    }
}

/// What a comparison found.
#[derive(Default)]
pub(crate) struct Findings {
    /// Grants compared.
    pub(crate) grants: u64,
    /// Objects of prefix reads compared.
    pub(crate) objects: u64,
    /// Grants (or objects) not in the log as received, with the first few reasons.
    pub(crate) lost: u64,
    pub(crate) problems: Vec<String>,
    /// Re-sent bodies whose refusal was found in the log.
    pub(crate) replays_audited: u64,
}

impl Findings {
    fn problem(&mut self, text: String) {
        self.lost += 1;
        if self.problems.len() < 10 {
            self.problems.push(text);
        }
    }
}

/// Compares `grants` (and the re-sent bodies `replays`, as indexes into `grants`) with `log`.
pub(crate) fn compare(log: &Log, grants: &[GrantRecord], replays: &[usize]) -> Findings {
    let mut found = Findings::default();
    for g in grants {
        found.grants += 1;
        let seq = g.receipt.sequence;
        let signature = g.receipt.signature.decode();
        let vendor = g.body.vendor_signature.decode();
        let client = g.body.client_signature.decode();
        match log.entries.get(&seq) {
            None => found.problem(format!("seq {seq}: granted to a client, missing from the log")),
            Some(e) if !e.granted => found.problem(format!("seq {seq}: granted to a client, logged as {}", e.reason)),
            Some(e) if e.request != g.request || e.key != g.key => {
                found.problem(format!("seq {seq}: the log holds another request"));
            }
            Some(e) if e.gatekeeper_signature != signature || signature.is_none() => {
                found.problem(format!("seq {seq}: the log's gatekeeper signature is not the receipt's"));
            }
            Some(e) if e.vendor_signature != vendor || e.client_signature != client => {
                found.problem(format!("seq {seq}: the log's vendor or client signature differs"));
            }
            Some(_) => {}
        }
        for (key, object_seq) in &g.objects {
            found.objects += 1;
            match log.entries.get(object_seq) {
                Some(e) if e.granted && &e.key == key && e.request == g.request => {}
                _ => {
                    found.problem(format!("seq {object_seq}: an object of prefix read {seq} is not logged as granted"))
                }
            }
        }
    }
    let mut refused: HashMap<&[u8], Vec<u64>> = HashMap::new();
    for (seq, e) in &log.entries {
        if !e.granted && e.reason == "replayed_nonce" {
            refused.entry(e.request.as_slice()).or_default().push(*seq);
        }
    }
    for &index in replays {
        let Some(g) = grants.get(index) else { continue };
        let later = refused.get(g.request.as_slice()).is_some_and(|seqs| seqs.iter().any(|s| *s > g.receipt.sequence));
        if later {
            found.replays_audited += 1;
        } else {
            found.problem(format!(
                "seq {}: its re-sent body was refused but the refusal is not in the log",
                g.receipt.sequence
            ));
        }
    }
    found
}

/// Shows the comparison can fail: with one grant's entry taken out of `log` and another's request
/// bytes changed, it must find exactly those two grants lost.
pub(crate) fn canary(mut log: Log, grants: &[GrantRecord]) -> Fallible<()> {
    let (Some(first), Some(last)) = (grants.first(), grants.last()) else { return Ok(()) };
    if first.receipt.sequence == last.receipt.sequence {
        return Ok(());
    }
    log.entries.remove(&first.receipt.sequence);
    let changed = log.entries.get_mut(&last.receipt.sequence).context("the last grant's entry")?;
    changed.request.push(0);
    let pair = [first.clone(), last.clone()];
    let found = compare(&log, &pair, &[]);
    if found.lost == 2 {
        Ok(())
    } else {
        Err(format!("the comparison missed a removed or changed entry ({} of 2 found)", found.lost))
    }
}

/// Seqs that two grants (or objects) received both name: each must be used once.
pub(crate) fn reused_seqs(grants: &[GrantRecord]) -> Vec<u64> {
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for g in grants {
        *seen.entry(g.receipt.sequence).or_default() += 1;
        for (_, seq) in &g.objects {
            *seen.entry(*seq).or_default() += 1;
        }
    }
    let mut twice: Vec<u64> = seen.into_iter().filter(|(_, n)| *n > 1).map(|(seq, _)| seq).collect();
    twice.sort_unstable();
    twice
}
