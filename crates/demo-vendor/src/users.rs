//! The demo vendor's users and what each may see: the vendor's own permission model, checked
//! before it co-signs anything.
//!
//! | user | password | may read and write |
//! |---|---|---|
//! | `alice` | `alice-demo` | `tickets/1001/`, `tickets/1002/` |
//! | `bob` | `bob-demo` | `tickets/2001/` |
//!
//! The passwords are public demo values. Checks here must never match a prefix by plain string
//! containment on a key that has not passed the protocol's key syntax check (so `..`, `//` and
//! friends are refused first), and never accept a prefix outside the user's own.

use s3gk_protocol::error::KeyProblem;
use s3gk_protocol::policy::object_key::{check_syntax, KeyKind};
use s3gk_protocol::Operation;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// A demo login and its permissions.
#[derive(Debug, Serialize)]
pub struct DemoUser {
    /// The login name.
    pub username: &'static str,
    /// The demo password (public: printed at start-up).
    pub password: &'static str,
    /// Prefixes (each ending in `/`) the user may read and write.
    pub prefixes: &'static [&'static str],
}

/// Every demo user.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser { username: "alice", password: "alice-demo", prefixes: &["tickets/1001/", "tickets/1002/"] },
    DemoUser { username: "bob", password: "bob-demo", prefixes: &["tickets/2001/"] },
];

/// Why the vendor will not co-sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PermissionProblem {
    /// The key or prefix is not well-formed (the protocol's own key check).
    Key(KeyProblem),
    /// Well-formed, but not this user's.
    Denied,
}

/// The user with this name and password. Every user's name and password are compared, in
/// constant time, whatever the input, so timing reveals neither which names exist nor how much
/// of a password matched.
pub(crate) fn authenticate(username: &str, password: &str) -> Option<&'static DemoUser> {
    let name = Sha256::digest(username.as_bytes());
    let pass = Sha256::digest(password.as_bytes());
    let mut found: Option<&'static DemoUser> = None;
    for user in DEMO_USERS {
        let matches: Choice = name.ct_eq(&Sha256::digest(user.username.as_bytes()))
            & pass.ct_eq(&Sha256::digest(user.password.as_bytes()));
        if bool::from(matches) {
            found = Some(user);
        }
    }
    found
}

/// The user named `username`.
#[cfg(test)]
pub(crate) fn by_name(username: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.username == username)
}

impl DemoUser {
    /// Whether this user may perform `operation` on `key` (an object key for get and put, a
    /// prefix for list_prefix).
    pub(crate) fn may(&self, operation: &Operation, key: &str) -> Result<(), PermissionProblem> {
        let kind = match operation {
            Operation::Get | Operation::Put { .. } => KeyKind::Object,
            Operation::ListPrefix => KeyKind::Prefix,
            // An operation this vendor does not know is not one it allows.
            _ => return Err(PermissionProblem::Denied),
        };
        check_syntax(key, kind).map_err(PermissionProblem::Key)?;
        // Every granted prefix ends with '/', and the key has no empty or dot segments, so
        // `starts_with` is aligned to whole segments: tickets/1001/ does not cover tickets/10010/.
        if self.prefixes.iter().any(|p| key.starts_with(p)) {
            Ok(())
        } else {
            Err(PermissionProblem::Denied)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert_eq!(authenticate("alice", "alice-demo").unwrap().username, "alice");
        assert_eq!(authenticate("bob", "bob-demo").unwrap().username, "bob");
        for (u, p) in [("alice", "bob-demo"), ("alice", "alice-demo "), ("Alice", "alice-demo"), ("", ""), ("eve", "x")]
        {
            assert!(authenticate(u, p).is_none(), "{u}/{p}");
        }
    }

    #[test]
    fn permissions_are_segment_aligned_and_checked_after_syntax() {
        let alice = by_name("alice").unwrap();
        let put = Operation::Put { content_length: 100, sha256: None, content_type: None };
        assert_eq!(alice.may(&Operation::Get, "tickets/1001/a.png"), Ok(()));
        assert_eq!(alice.may(&put, "tickets/1002/new.txt"), Ok(()));
        assert_eq!(alice.may(&Operation::ListPrefix, "tickets/1001/"), Ok(()));
        assert_eq!(alice.may(&Operation::ListPrefix, "tickets/1001/sub/"), Ok(()));
        assert_eq!(alice.may(&Operation::ListPrefix, "tickets/"), Err(PermissionProblem::Denied));
        assert_eq!(alice.may(&Operation::Get, "tickets/10010/a"), Err(PermissionProblem::Denied));
        assert_eq!(alice.may(&Operation::Get, "tickets/2001/x"), Err(PermissionProblem::Denied));
        assert_eq!(
            alice.may(&Operation::Get, "tickets/1001/../2001/x"),
            Err(PermissionProblem::Key(KeyProblem::DotSegment))
        );
        assert_eq!(
            alice.may(&Operation::ListPrefix, "tickets/1001"),
            Err(PermissionProblem::Key(KeyProblem::PrefixNotDirectory))
        );
        let bob = by_name("bob").unwrap();
        assert_eq!(bob.may(&Operation::ListPrefix, "tickets/1001/"), Err(PermissionProblem::Denied));
        assert_eq!(bob.may(&Operation::Get, "tickets/2001/ticket.json"), Ok(()));
    }
}
