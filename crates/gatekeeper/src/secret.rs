//! Secrets from configuration: where they come from, and a wrapper that never prints them.
//!
//! A secret in the TOML file is a *reference*, never the value: `env:NAME` reads an environment
//! variable, `file:/path` reads a file (trailing newline trimmed). [`Secret`] zeroizes its value on
//! drop and its `Debug` prints `Secret(<redacted>)`, so a secret cannot reach a log by accident.

use core::fmt;

use zeroize::{Zeroize, Zeroizing};

/// A secret value. Read it with [`Secret::expose`], only where it is used.
#[derive(Clone)]
pub struct Secret<T: Zeroize>(Zeroizing<T>);

impl<T: Zeroize> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The value. Call sites should be few and obvious.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a secret reference could not be resolved. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// Not `env:NAME` or `file:/path`.
    BadReference,
    /// The environment variable is not set (or not UTF-8).
    MissingEnv(String),
    /// The file could not be read.
    Unreadable(String),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::BadReference => {
                f.write_str("must be a reference: \"env:NAME\" or \"file:/path\", never the secret itself")
            }
            SecretError::MissingEnv(name) => write!(f, "environment variable {name} is not set"),
            SecretError::Unreadable(why) => write!(f, "cannot read secret file: {why}"),
        }
    }
}

/// Resolves a reference with `env` as the environment (injected so tests need not mutate it).
pub fn resolve(reference: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Secret<String>, SecretError> {
    if let Some(name) = reference.strip_prefix("env:") {
        if name.is_empty() {
            return Err(SecretError::BadReference);
        }
        return env(name).map(Secret::new).ok_or_else(|| SecretError::MissingEnv(name.to_owned()));
    }
    if let Some(path) = reference.strip_prefix("file:") {
        let mut text = std::fs::read_to_string(path).map_err(|e| SecretError::Unreadable(format!("{path}: {e}")))?;
        let trimmed_len = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(trimmed_len);
        return Ok(Secret::new(text));
    }
    Err(SecretError::BadReference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_and_values_never_print() {
        let env = |k: &str| (k == "GK_KEY").then(|| "s3cr3t".to_owned());
        let s = resolve("env:GK_KEY", &env).unwrap();
        assert_eq!(s.expose(), "s3cr3t");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(resolve("env:NOPE", &env).unwrap_err(), SecretError::MissingEnv("NOPE".into()));
        assert_eq!(resolve("s3cr3t", &env).unwrap_err(), SecretError::BadReference);
        assert!(!SecretError::BadReference.to_string().contains("s3cr3t"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "abc\n").unwrap();
        assert_eq!(resolve(&format!("file:{}", path.display()), &env).unwrap().expose(), "abc");
        assert!(matches!(resolve("file:/nonexistent/x", &env), Err(SecretError::Unreadable(_))));
    }
}
