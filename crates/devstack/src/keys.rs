//! The dev stack's keys: made once with the operating system's random source, kept in
//! `keys.json` in the data folder (mode 600), and reused on every later start.
//!
//! | field | what |
//! |---|---|
//! | `gatekeeper_signing_seed` | the gatekeeper's Ed25519 seed (receipts, audit checkpoints) |
//! | `vendor_signing_seed` | the vendor co-signer's Ed25519 seed |
//! | `master_key` | the gatekeeper's master data key |
//! | `admin_token` | the gatekeeper's admin API bearer token |
//!
//! Everything is hex. This module must never print, log or put into an error message any of
//! these values, and never replace an existing `keys.json` (that would make stored objects
//! unreadable): a file it cannot read is an error, not a reason to start over.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore as _};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The file name inside the data folder.
pub const KEYS_FILE: &str = "keys.json";

/// The dev stack's secrets. `Debug` prints none of them.
pub struct DevKeys {
    /// The gatekeeper's Ed25519 seed.
    pub gatekeeper_seed: Zeroizing<[u8; 32]>,
    /// The vendor's Ed25519 seed.
    pub vendor_seed: Zeroizing<[u8; 32]>,
    /// The master data key.
    pub master_key: Zeroizing<[u8; 32]>,
    /// The admin API token (64 hex digits).
    pub admin_token: Zeroizing<String>,
}

impl std::fmt::Debug for DevKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevKeys(<redacted>)")
    }
}

/// Why the keys could not be loaded or created. Never contains key material.
#[non_exhaustive]
#[derive(Debug)]
pub enum KeysError {
    /// The file could not be read or written.
    Io(PathBuf, io::Error),
    /// The file exists but is not a valid keys file.
    Invalid(PathBuf, &'static str),
}

impl std::fmt::Display for KeysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeysError::Io(path, e) => write!(f, "{}: {e}", path.display()),
            KeysError::Invalid(path, why) => {
                write!(f, "{}: {why} (move it away to start with new keys and empty data)", path.display())
            }
        }
    }
}

impl std::error::Error for KeysError {}

/// The file's layout (version 1).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    version: u32,
    gatekeeper_signing_seed: String,
    vendor_signing_seed: String,
    master_key: String,
    admin_token: String,
}

impl DevKeys {
    /// Loads `dir/keys.json`, or creates it with fresh random keys if it does not exist.
    /// Returns the keys and whether they were just created.
    pub fn load_or_create(dir: &Path) -> Result<(DevKeys, bool), KeysError> {
        let path = dir.join(KEYS_FILE);
        match fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                Ok((parse(&path, &bytes)?, false))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let keys = DevKeys::random();
                write_new(&path, &keys).map_err(|e| KeysError::Io(path.clone(), e))?;
                Ok((keys, true))
            }
            Err(e) => Err(KeysError::Io(path, e)),
        }
    }

    fn random() -> DevKeys {
        let key = || {
            let mut k = Zeroizing::new([0u8; 32]);
            OsRng.fill_bytes(k.as_mut_slice());
            k
        };
        let token = key();
        DevKeys {
            gatekeeper_seed: key(),
            vendor_seed: key(),
            master_key: key(),
            admin_token: Zeroizing::new(hex::encode(token.as_slice())),
        }
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<DevKeys, KeysError> {
    let invalid = |why| KeysError::Invalid(path.to_path_buf(), why);
    let file: KeysFile = serde_json::from_slice(bytes).map_err(|_| invalid("not a valid keys file"))?;
    if file.version != 1 {
        return Err(invalid("unsupported keys file version"));
    }
    let key = |text: &str| {
        let mut out = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, out.as_mut_slice()).map(|()| out).map_err(|_| invalid("a key is not 64 hex digits"))
    };
    let token_ok = file.admin_token.len() >= 32 && file.admin_token.bytes().all(|b| b.is_ascii_hexdigit());
    if !token_ok {
        return Err(invalid("the admin token must be at least 32 hex digits"));
    }
    Ok(DevKeys {
        gatekeeper_seed: key(&file.gatekeeper_signing_seed)?,
        vendor_seed: key(&file.vendor_signing_seed)?,
        master_key: key(&file.master_key)?,
        admin_token: Zeroizing::new(file.admin_token.clone()),
    })
}

/// Writes a new keys file readable by its owner only; refuses to replace an existing one.
fn write_new(path: &Path, keys: &DevKeys) -> io::Result<()> {
    let file = KeysFile {
        version: 1,
        gatekeeper_signing_seed: hex::encode(keys.gatekeeper_seed.as_slice()),
        vendor_signing_seed: hex::encode(keys.vendor_seed.as_slice()),
        master_key: hex::encode(keys.master_key.as_slice()),
        admin_token: keys.admin_token.to_string(),
    };
    let text = Zeroizing::new(serde_json::to_string_pretty(&file).map_err(io::Error::other)?);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options.open(path)?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = DevKeys::load_or_create(dir.path()).unwrap();
        assert!(created);
        let (again, created) = DevKeys::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(*first.gatekeeper_seed, *again.gatekeeper_seed);
        assert_eq!(*first.master_key, *again.master_key);
        assert_ne!(*first.gatekeeper_seed, *first.vendor_seed);
        assert_eq!(format!("{first:?}"), "DevKeys(<redacted>)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(KEYS_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(dir.path().join(KEYS_FILE), "{}").unwrap();
        let err = DevKeys::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a valid keys file"), "{err}");
    }
}
