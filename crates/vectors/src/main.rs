//! Generates the test vectors of `docs/protocol.md` and checks signatures made elsewhere.
//!
//! `s3gk-vectors generate DIR` rewrites every vector file in DIR from fixed seeds. Each case states
//! the outcome it is meant to have; generation fails if the protocol crate disagrees, so a vector
//! file is never just a record of whatever the code happened to do.
//!
//! `s3gk-vectors fuzz-seeds REPO OUT` writes the fuzz targets' seed corpora and dictionaries,
//! made from the vectors in `REPO/vectors` and the shipped configuration files (`fuzz_seeds`).
//!
//! `s3gk-vectors check-interop FILE` runs a request and signatures produced by another
//! implementation (see `scripts/interop.py`) through the gatekeeper's full verification.

#![forbid(unsafe_code)]
// A generator over fixed inputs: a failed unwrap is a bug in the generator, reported by the test run.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod cosign;
mod forgery;
mod fuzz_seeds;
mod interop;
mod object;
mod policy;
mod request;
mod signature;
mod vector;
mod write_key;

use std::path::Path;
use std::process::ExitCode;

use vector::Vector;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", dir] => generate(Path::new(dir)),
        ["check-interop", file] => interop::check(Path::new(file)),
        ["fuzz-seeds", repo, out] => fuzz_seeds::generate(Path::new(repo), Path::new(out)),
        _ => Err("usage: s3gk-vectors generate DIR | check-interop FILE | fuzz-seeds REPO OUT".to_owned()),
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("s3gk-vectors: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(dir: &Path) -> Result<String, String> {
    let mut all: Vec<Vector> = Vec::new();
    all.extend(request::vectors()?);
    all.extend(signature::vectors()?);
    all.extend(policy::vectors()?);
    all.extend(object::vectors()?);
    all.extend(write_key::vectors()?);
    all.extend(cosign::vectors()?);

    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "txt") {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for v in &all {
        if !names.insert(v.file_name()) {
            return Err(format!("duplicate vector name {}", v.file_name()));
        }
        std::fs::write(dir.join(v.file_name()), v.render()).map_err(|e| e.to_string())?;
    }
    Ok(format!("wrote {} vectors to {}", all.len(), dir.display()))
}

/// A fixed 32-byte seed derived from a label, so every key in the vectors is reproducible.
pub(crate) fn seed(label: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(format!("s3-gatekeeper test vectors: {label}")).into()
}

/// Checks that a case's actual outcome is the one it was written to have.
pub(crate) fn expect(name: &str, intended: &str, actual: &str) -> Result<(), String> {
    if intended == actual {
        Ok(())
    } else {
        Err(format!("vector {name}: intended {intended}, the protocol crate says {actual}"))
    }
}
