//! Seed corpora and dictionaries for the fuzz targets in `fuzz/`, made from the test vectors.
//!
//! `s3gk-vectors fuzz-seeds REPO OUT` reads `REPO/vectors/*.txt` and the shipped configuration files
//! and writes `OUT/<target>/<seed>` for every target and `OUT/<target>.dict` (libFuzzer dictionary
//! syntax). Each target's input format is described in the `//!` comment of
//! `fuzz/fuzz_targets/<target>.rs`; the functions here write exactly those formats, and
//! `fuzz/floors.txt` fails the fuzz run if they stop matching (coverage after loading the seeds
//! collapses). Every request, receipt, signature, cosign, object and write-key vector gives inputs;
//! generation fails if a vector that should decode does not. Output is deterministic, so reruns
//! give identical corpora.

mod dict;
mod service;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use s3gk_protocol::AccessRequest;

/// One vector file: its name without `.txt`, and its fields.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) fields: BTreeMap<String, String>,
}

impl Case {
    pub(crate) fn kind(&self) -> &str {
        self.text("kind").unwrap_or("")
    }

    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    pub(crate) fn hex(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.text(key).map(|v| hex::decode(v).map_err(|e| format!("{}: {key}: {e}", self.name))).transpose()
    }

    pub(crate) fn number(&self, key: &str) -> Option<u64> {
        self.text(key).and_then(|v| v.parse().ok())
    }

    fn ok(&self) -> bool {
        self.text("expect") == Some("ok")
    }
}

/// The corpora and dictionaries being written.
pub(crate) struct Corpora {
    out: PathBuf,
    seeds: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
    pub(crate) tokens: BTreeMap<&'static str, BTreeSet<Vec<u8>>>,
}

impl Corpora {
    /// Adds seed `name` to `target` (a later seed with the same name replaces it).
    pub(crate) fn seed(&mut self, target: &'static str, name: &str, bytes: Vec<u8>) {
        self.seeds.entry(target).or_default().insert(name.to_owned(), bytes);
    }

    /// Adds dictionary tokens to `target`.
    pub(crate) fn tokens<T: AsRef<[u8]>>(&mut self, target: &'static str, tokens: impl IntoIterator<Item = T>) {
        let set = self.tokens.entry(target).or_default();
        set.extend(tokens.into_iter().map(|t| t.as_ref().to_vec()).filter(|t| !t.is_empty() && t.len() <= 128));
    }
}

/// The fuzz targets, in the order `scripts/fuzz.sh` runs them.
pub(crate) const TARGETS: [&str; 9] = [
    "decode_request",
    "decode_receipt",
    "verify_request",
    "decrypt_object",
    "open_framer",
    "client_ip",
    "config",
    "audit_chain",
    "authorize_http",
];

pub(crate) fn generate(repo: &Path, out: &Path) -> Result<String, String> {
    let cases = load(&repo.join("vectors"))?;
    let mut c = Corpora { out: out.to_owned(), seeds: BTreeMap::new(), tokens: BTreeMap::new() };
    for case in &cases {
        requests(&mut c, case)?;
        objects(&mut c, case)?;
        service::client_ip(&mut c, case);
        service::authorize(&mut c, case)?;
    }
    service::config(&mut c, repo)?;
    service::audit(&mut c);
    dict::protocol(&mut c, &cases)?;
    c.write()
}

fn load(dir: &Path) -> Result<Vec<Case>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let fields =
                text.lines().filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_owned(), v.to_owned()))).collect();
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(Case { name, fields })
        })
        .collect()
}

/// `now - issued_at` of a request, as the `clock` byte of `verify_request`.
fn clock(request: &[u8], now: u64) -> u8 {
    let issued = AccessRequest::decode(request).map_or(now, |r| r.issued_at);
    let offset = i64::try_from(now.wrapping_sub(issued)).unwrap_or(0).clamp(-128, 127);
    i8::try_from(offset).unwrap_or(0).to_be_bytes()[0]
}

/// Request and receipt seeds: `decode_request`, `decode_receipt`, `verify_request`.
fn requests(c: &mut Corpora, case: &Case) -> Result<(), String> {
    const IP: [u8; 4] = [203, 0, 113, 7];
    for key in ["request", "sent_request"] {
        let Some(request) = case.hex(key)? else { continue };
        if case.ok() && AccessRequest::decode(&request).is_err() {
            return Err(format!("{}: an ok vector's {key} does not decode", case.name));
        }
        c.seed("decode_request", &case.name, request.clone());
        let now = case.number("now").unwrap_or(1_800_000_030);
        for (flags, suffix) in [(0x01u8, "signed"), (0x03, "signed-key-2"), (0x09, "signed-bad-vendor-bit")] {
            let seed = [&[flags, clock(&request, now)][..], &IP, &request].concat();
            c.seed("verify_request", &format!("{}-{suffix}", case.name), seed);
        }
    }
    if let Some(receipt) = case.hex("receipt")? {
        c.seed("decode_receipt", &case.name, receipt);
    }
    if case.kind() == "signature" {
        let id = case.text("presented_vendor_key_id").unwrap_or("").as_bytes();
        let offset = case.number("now").unwrap_or(0).wrapping_sub(1_800_000_030);
        let mut seed = vec![0x80, u8::try_from(offset).unwrap_or(0)];
        seed.extend_from_slice(&IP);
        seed.push(u8::try_from(id.len()).map_err(|_| "a long key id".to_owned())?);
        seed.extend_from_slice(id);
        for key in ["vendor_signature", "client_signature", "request"] {
            seed.extend(case.hex(key)?.ok_or_else(|| format!("{}: no {key}", case.name))?);
        }
        c.seed("verify_request", &format!("{}-raw", case.name), seed);
    }
    Ok(())
}

/// Object seeds: `decrypt_object` (raw and seal modes) and `open_framer`.
fn objects(c: &mut Corpora, case: &Case) -> Result<(), String> {
    if !matches!(case.kind(), "object" | "write-key") {
        return Ok(());
    }
    let Some(ciphertext) = case.hex("ciphertext")? else { return Ok(()) };
    let name = case.hex("stored_object_key")?.or(case.hex("object_key")?).unwrap_or_default();
    let name_len = u8::try_from(name.len()).map_err(|_| format!("{}: a long object key", case.name))?;
    let named = [&[name_len][..], &name].concat();
    for mode in [0u8, 16] {
        c.seed("decrypt_object", &format!("{}-raw-{mode}", case.name), [&[mode][..], &named, &ciphertext].concat());
    }
    for (i, pieces) in [&[1u8][..], &[7, 0, 13], &[100], &[16, 16, 1]].iter().enumerate() {
        let split = [&[u8::try_from(pieces.len()).unwrap_or(0)][..], pieces].concat();
        c.seed("open_framer", &format!("{}-pieces-{i}", case.name), [&named[..], &split, &ciphertext].concat());
    }
    if let (true, Some(plaintext)) = (case.ok(), case.hex("plaintext")?) {
        for damage in 0u8..8 {
            let seed = [&[1u8, 16, damage, 0, 40][..], &plaintext].concat();
            c.seed("decrypt_object", &format!("{}-seal-{damage}", case.name), seed);
        }
    }
    Ok(())
}

impl Corpora {
    fn write(self) -> Result<String, String> {
        let mut total = 0;
        for target in TARGETS {
            let dir = self.out.join(target);
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let seeds = self.seeds.get(target).filter(|s| !s.is_empty());
            let seeds = seeds.ok_or_else(|| format!("no seeds for fuzz target {target}"))?;
            for (name, bytes) in seeds {
                std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"))?;
            }
            total += seeds.len();
            let tokens = self.tokens.get(target).cloned().unwrap_or_default();
            let path = self.out.join(format!("{target}.dict"));
            std::fs::write(&path, dict::render(&tokens)).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(format!("wrote {total} seeds for {} fuzz targets to {}", TARGETS.len(), self.out.display()))
    }
}
