//! Object key and prefix syntax, and containment in the gatekeeper's root prefix.
//!
//! A key is a `/`-separated path of non-empty segments, none of them `.` or `..`, with no leading
//! `/`, no control characters (C0, DEL, C1) and no backslash, at most [`MAX_KEY_LEN`] bytes. A
//! prefix follows the same rules and must end with `/`, so a grant for `tickets/1/` never covers
//! `tickets/10/`. The root prefix is empty (the whole bucket) or itself a prefix.

use crate::error::{ConfigError, KeyProblem};
use crate::MAX_KEY_LEN;

/// Whether a string names one object or a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// One object: must not end with `/`.
    Object,
    /// A prefix: must end with `/`.
    Prefix,
}

/// The part of the bucket a gatekeeper serves: `""` or a prefix ending with `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootPrefix(String);

impl RootPrefix {
    /// Checks `prefix` ("" for the whole bucket).
    pub fn new(prefix: &str) -> Result<Self, ConfigError> {
        if prefix.is_empty() || check_syntax(prefix, KeyKind::Prefix).is_ok() {
            Ok(Self(prefix.to_owned()))
        } else {
            Err(ConfigError::InvalidRootPrefix(prefix.chars().take(80).collect()))
        }
    }

    /// The prefix as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks the syntax of `key` as `kind`, then that it lies inside `root`.
pub fn check(key: &str, kind: KeyKind, root: &RootPrefix) -> Result<(), KeyProblem> {
    check_syntax(key, kind)?;
    if !key.starts_with(root.as_str()) {
        return Err(KeyProblem::OutsideRoot);
    }
    Ok(())
}

/// Checks the syntax of `key` as `kind`, without a root.
pub fn check_syntax(key: &str, kind: KeyKind) -> Result<(), KeyProblem> {
    if key.is_empty() {
        return Err(KeyProblem::Empty);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(KeyProblem::TooLong);
    }
    if key.starts_with('/') {
        return Err(KeyProblem::LeadingSlash);
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return Err(KeyProblem::ForbiddenChar);
    }
    let body = match kind {
        KeyKind::Object => key,
        KeyKind::Prefix => key.strip_suffix('/').ok_or(KeyProblem::PrefixNotDirectory)?,
    };
    for segment in body.split('/') {
        match segment {
            "" => return Err(KeyProblem::EmptySegment),
            "." | ".." => return Err(KeyProblem::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(k: &str) -> Result<(), KeyProblem> {
        check(k, KeyKind::Object, &RootPrefix::new("tenants/acme/").unwrap())
    }

    #[test]
    fn each_problem_for_its_cause() {
        assert_eq!(obj("tenants/acme/t/1.png"), Ok(()));
        assert_eq!(obj("tenants/acme/t/ä b.png"), Ok(()));
        assert_eq!(obj(""), Err(KeyProblem::Empty));
        assert_eq!(obj(&format!("tenants/acme/{}", "a".repeat(1024))), Err(KeyProblem::TooLong));
        assert_eq!(obj("/tenants/acme/x"), Err(KeyProblem::LeadingSlash));
        assert_eq!(obj("tenants/acme//x"), Err(KeyProblem::EmptySegment));
        assert_eq!(obj("tenants/acme/x/"), Err(KeyProblem::EmptySegment));
        assert_eq!(obj("tenants/acme/../other/x"), Err(KeyProblem::DotSegment));
        assert_eq!(obj("tenants/acme/./x"), Err(KeyProblem::DotSegment));
        assert_eq!(obj("tenants/acme/x\ny"), Err(KeyProblem::ForbiddenChar));
        assert_eq!(obj("tenants/acme/x\u{85}y"), Err(KeyProblem::ForbiddenChar));
        assert_eq!(obj("tenants/acme/x\\..\\y"), Err(KeyProblem::ForbiddenChar));
        assert_eq!(obj("tenants/acmex/y"), Err(KeyProblem::OutsideRoot));
        assert_eq!(obj("tenants/other/y"), Err(KeyProblem::OutsideRoot));
        // Dots inside a segment are fine.
        assert_eq!(obj("tenants/acme/..x/.y"), Ok(()));
    }

    #[test]
    fn prefixes_are_directories() {
        let root = RootPrefix::new("tenants/acme/").unwrap();
        assert_eq!(check("tenants/acme/t/1/", KeyKind::Prefix, &root), Ok(()));
        assert_eq!(check("tenants/acme/", KeyKind::Prefix, &root), Ok(()));
        assert_eq!(check("tenants/acme/t/1", KeyKind::Prefix, &root), Err(KeyProblem::PrefixNotDirectory));
        assert_eq!(check("tenants/", KeyKind::Prefix, &root), Err(KeyProblem::OutsideRoot));
        assert_eq!(check("tenants/acme/../", KeyKind::Prefix, &root), Err(KeyProblem::DotSegment));
    }

    #[test]
    fn root_prefix_syntax() {
        assert!(RootPrefix::new("").is_ok());
        assert!(RootPrefix::new("a/b/").is_ok());
        for bad in ["a", "/a/", "a//", "../", "a/../"] {
            assert!(RootPrefix::new(bad).is_err(), "{bad:?}");
        }
    }
}
