//! Object key and prefix syntax, containment in the gatekeeper's root prefix, and the checked
//! types the check produces (`docs/protocol.md` section 6.2).
//!
//! A key is a `/`-separated path of non-empty segments, none of them `.` or `..`, with no leading
//! `/`, no control characters (C0, DEL, C1) and no backslash, at most [`MAX_KEY_LEN`] bytes. A
//! prefix follows the same rules and must end with `/`, so a grant for `tickets/1/` never covers
//! `tickets/10/`. The root prefix is empty (the whole bucket) or itself a prefix.
//!
//! This is the project's only implementation of key syntax. Its result is a type: an
//! [`ObjectKey`] or a [`KeyPrefix`] exists only for text that passed the check, and presigning
//! and key release take those types, so code that skips the check does not compile. This module
//! must never build either type from text the check refused.

use core::fmt;

use crate::config::ConfigError;

/// The longest object key or prefix, in bytes (S3's own limit).
pub const MAX_KEY_LEN: usize = 1024;

/// Whether a string names one object or a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// One object: must not end with `/`.
    Object,
    /// A prefix: must end with `/`.
    Prefix,
}

/// Why an object key or prefix is refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is the empty string.
    Empty,
    /// Longer than [`MAX_KEY_LEN`] bytes.
    TooLong,
    /// Starts with `/`.
    LeadingSlash,
    /// Contains an empty segment (`a//b`, or a trailing `/` on an object key).
    EmptySegment,
    /// Contains a `.` or `..` segment.
    DotSegment,
    /// Contains a control character or a backslash.
    ForbiddenChar,
    /// A prefix that does not end with `/`.
    PrefixNotDirectory,
    /// Not inside the configured root prefix.
    OutsideRoot,
}

impl KeyProblem {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            KeyProblem::Empty => "key_empty",
            KeyProblem::TooLong => "key_too_long",
            KeyProblem::LeadingSlash => "key_leading_slash",
            KeyProblem::EmptySegment => "key_empty_segment",
            KeyProblem::DotSegment => "key_dot_segment",
            KeyProblem::ForbiddenChar => "key_forbidden_char",
            KeyProblem::PrefixNotDirectory => "key_prefix_not_directory",
            KeyProblem::OutsideRoot => "key_outside_root",
        }
    }

    /// The message for people.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            KeyProblem::Empty => "object key is empty",
            KeyProblem::TooLong => "object key is too long",
            KeyProblem::LeadingSlash => "object key starts with '/'",
            KeyProblem::EmptySegment => "object key has an empty segment",
            KeyProblem::DotSegment => "object key has a '.' or '..' segment",
            KeyProblem::ForbiddenChar => "object key has a control character or backslash",
            KeyProblem::PrefixNotDirectory => "prefix does not end with '/'",
            KeyProblem::OutsideRoot => "object key is outside the gatekeeper's root prefix",
        }
    }
}

/// Declares a checked key type: a `String` only [`check`], [`check_syntax`] and its own `parse`
/// (the syntax of section 6.2 as `$kind`) can build, with `as_str`, `Display` and `Into<String>`.
macro_rules! checked_key {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks `text`'s syntax as ", $what, " (section 6.2, steps 1 to 6). Text from")]
            #[doc = "elsewhere than a verified request, such as a key S3 listed, becomes one only here."]
            pub fn parse(text: &str) -> Result<Self, KeyProblem> {
                syntax(text, $kind)?;
                Ok(Self(text.to_owned()))
            }

            /// The checked text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(checked: $name) -> Self {
                checked.0
            }
        }
    };
}

checked_key!(
    /// The name of one object, checked. Presigning and key derivation take this type.
    ObjectKey,
    KeyKind::Object,
    "an object key"
);

checked_key!(
    /// A prefix of object keys (ending with `/`, included), checked. Listing takes this type.
    KeyPrefix,
    KeyKind::Prefix,
    "a prefix"
);

/// What the key check of a request produces: an object key (get, put) or a prefix (list_prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckedKey {
    /// The key of one object.
    Object(ObjectKey),
    /// A prefix.
    Prefix(KeyPrefix),
}

impl CheckedKey {
    /// The key or prefix as text.
    pub fn as_str(&self) -> &str {
        match self {
            CheckedKey::Object(key) => key.as_str(),
            CheckedKey::Prefix(prefix) => prefix.as_str(),
        }
    }
}

/// The part of the bucket a gatekeeper serves: `""` or a prefix ending with `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootPrefix(String);

impl RootPrefix {
    /// Checks `prefix` ("" for the whole bucket).
    pub fn new(prefix: &str) -> Result<Self, ConfigError> {
        if prefix.is_empty() || syntax(prefix, KeyKind::Prefix).is_ok() {
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

/// Checks the syntax of `key` as `kind`, then that it lies inside `root` (section 6.2, steps 1
/// to 7).
pub fn check(key: &str, kind: KeyKind, root: &RootPrefix) -> Result<CheckedKey, KeyProblem> {
    let checked = check_syntax(key, kind)?;
    if !key.starts_with(root.as_str()) {
        return Err(KeyProblem::OutsideRoot);
    }
    Ok(checked)
}

/// Checks the syntax of `key` as `kind`, without a root (section 6.2, steps 1 to 6): what a
/// co-signer and a client check.
pub fn check_syntax(key: &str, kind: KeyKind) -> Result<CheckedKey, KeyProblem> {
    Ok(match kind {
        KeyKind::Object => CheckedKey::Object(ObjectKey::parse(key)?),
        KeyKind::Prefix => CheckedKey::Prefix(KeyPrefix::parse(key)?),
    })
}

/// Section 6.2, steps 1 to 6, in order.
fn syntax(key: &str, kind: KeyKind) -> Result<(), KeyProblem> {
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
        check(k, KeyKind::Object, &RootPrefix::new("tenants/acme/").unwrap()).map(|_| ())
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
        let prefix = |k: &str| check(k, KeyKind::Prefix, &root).map(|_| ());
        assert_eq!(prefix("tenants/acme/t/1/"), Ok(()));
        assert_eq!(prefix("tenants/acme/"), Ok(()));
        assert_eq!(prefix("tenants/acme/t/1"), Err(KeyProblem::PrefixNotDirectory));
        assert_eq!(prefix("tenants/"), Err(KeyProblem::OutsideRoot));
        assert_eq!(prefix("tenants/acme/../"), Err(KeyProblem::DotSegment));
    }

    #[test]
    fn the_check_produces_the_checked_types() {
        let root = RootPrefix::new("t/").unwrap();
        let key = ObjectKey::parse("t/1/a.png").unwrap();
        assert_eq!(check("t/1/a.png", KeyKind::Object, &root), Ok(CheckedKey::Object(key.clone())));
        assert_eq!((key.as_str(), key.to_string()), ("t/1/a.png", "t/1/a.png".to_owned()));
        assert_eq!(String::from(key), "t/1/a.png");
        let prefix = KeyPrefix::parse("t/1/").unwrap();
        assert_eq!(check("t/1/", KeyKind::Prefix, &root), Ok(CheckedKey::Prefix(prefix.clone())));
        assert_eq!(check_syntax("t/1/", KeyKind::Prefix).unwrap().as_str(), prefix.as_str());
        // The same text as the other kind is refused, for the reason the spec gives.
        assert_eq!(ObjectKey::parse("t/1/"), Err(KeyProblem::EmptySegment));
        assert_eq!(KeyPrefix::parse("t/1/a.png"), Err(KeyProblem::PrefixNotDirectory));
        // `parse` is the syntax check alone; containment in a root is `check`'s.
        assert!(ObjectKey::parse("elsewhere/a").is_ok());
        assert_eq!(check("elsewhere/a", KeyKind::Object, &root), Err(KeyProblem::OutsideRoot));
        for bad in ["", "/a", "a//b", "./a", "a\\b", "a\u{7f}"] {
            assert_eq!(ObjectKey::parse(bad).err(), check_syntax(bad, KeyKind::Object).err(), "{bad:?}");
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?}");
        }
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
