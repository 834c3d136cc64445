//! Why the dev stack could not start: one variant per part, each message naming the part.
//!
//! Messages never contain key material (the errors they wrap do not either).

use std::fmt;

use s3gk_gatekeeper::config::ConfigErrors;
use s3gk_gatekeeper::service::StartError;

use crate::keys::KeysError;
use crate::seed::SeedError;

/// Why the stack could not start.
#[non_exhaustive]
#[derive(Debug)]
pub enum DevStackError {
    /// A bad option (port range, origin).
    Option(String),
    /// A folder, port or file could not be used.
    Io(String, std::io::Error),
    /// `keys.json` could not be read or created.
    Keys(KeysError),
    /// The generated gatekeeper configuration was refused (a bug, or a bad option such as the
    /// country database path).
    Config(ConfigErrors),
    /// The gatekeeper could not start.
    Gatekeeper(StartError),
    /// Seeding failed.
    Seed(SeedError),
}

impl fmt::Display for DevStackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevStackError::Option(why) => f.write_str(why),
            DevStackError::Io(what, e) => write!(f, "{what}: {e}"),
            DevStackError::Keys(e) => write!(f, "keys: {e}"),
            DevStackError::Config(e) => write!(f, "gatekeeper configuration:\n{e}"),
            DevStackError::Gatekeeper(e) => write!(f, "gatekeeper: {e}"),
            DevStackError::Seed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DevStackError {}
