//! The demo vendor's users and what each may see: the vendor's own permission model, checked
//! before it co-signs anything.
//!
//! | user | password | may read and write |
//! |---|---|---|
//! | `alice` | `alice-demo` | `tickets/1001/`, `tickets/1002/` |
//! | `bob` | `bob-demo` | `tickets/2001/` |
//!
//! The passwords are public demo values. Checks here match a prefix by string containment, which is
//! sound only on a key that passed the protocol's key syntax check (so `..`, `//` and friends are
//! refused first): they take the checked [`CheckedKey`], never text, and must never accept a
//! prefix outside the user's own.

use s3gk_protocol::policy::object_key::CheckedKey;
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
    /// Whether this user may read and write under `key`: an object key (get and put) or a prefix
    /// (list_prefix), checked by the protocol (a co-signer gets it from
    /// `CosignCandidate::key`).
    pub(crate) fn may(&self, key: &CheckedKey) -> bool {
        // Every granted prefix ends with '/', and a checked key has no empty or dot segments, so
        // `starts_with` is aligned to whole segments: tickets/1001/ does not cover tickets/10010/.
        self.prefixes.iter().any(|p| key.as_str().starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3gk_protocol::policy::object_key::{check_syntax, KeyKind, KeyProblem};

    #[test]
    fn logins() {
        assert_eq!(authenticate("alice", "alice-demo").unwrap().username, "alice");
        assert_eq!(authenticate("bob", "bob-demo").unwrap().username, "bob");
        for (u, p) in [("alice", "bob-demo"), ("alice", "alice-demo "), ("Alice", "alice-demo"), ("", ""), ("eve", "x")]
        {
            assert!(authenticate(u, p).is_none(), "{u}/{p}");
        }
    }

    /// Whether `user` may use `key` as `kind`: the key check first, as a co-signer does.
    fn may(user: &DemoUser, key: &str, kind: KeyKind) -> Result<bool, KeyProblem> {
        check_syntax(key, kind).map(|checked| user.may(&checked))
    }

    #[test]
    fn permissions_are_segment_aligned_and_checked_after_syntax() {
        let alice = by_name("alice").unwrap();
        assert_eq!(may(alice, "tickets/1001/a.png", KeyKind::Object), Ok(true));
        assert_eq!(may(alice, "tickets/1002/new.txt", KeyKind::Object), Ok(true));
        assert_eq!(may(alice, "tickets/1001/", KeyKind::Prefix), Ok(true));
        assert_eq!(may(alice, "tickets/1001/sub/", KeyKind::Prefix), Ok(true));
        assert_eq!(may(alice, "tickets/", KeyKind::Prefix), Ok(false));
        assert_eq!(may(alice, "tickets/10010/a", KeyKind::Object), Ok(false));
        assert_eq!(may(alice, "tickets/2001/x", KeyKind::Object), Ok(false));
        assert_eq!(may(alice, "tickets/1001/../2001/x", KeyKind::Object), Err(KeyProblem::DotSegment));
        assert_eq!(may(alice, "tickets/1001", KeyKind::Prefix), Err(KeyProblem::PrefixNotDirectory));
        let bob = by_name("bob").unwrap();
        assert_eq!(may(bob, "tickets/1001/", KeyKind::Prefix), Ok(false));
        assert_eq!(may(bob, "tickets/2001/ticket.json", KeyKind::Object), Ok(true));
    }
}
