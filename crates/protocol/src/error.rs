//! Every way the protocol can say no, gathered from the modules that own each concern.
//!
//! Nothing is defined here: each error lives beside the check that produces it (decoding in
//! [`crate::codec`], key syntax in [`crate::policy::object_key`], the time window in
//! [`crate::policy::time`], the ACL in [`crate::policy::acl`], the gatekeeper's verdict in
//! [`crate::sign`], receipts in [`crate::sign`]'s receipt module, objects in [`crate::object`],
//! configuration in [`crate::config`]). This module only re-exports them, so the paths
//! `s3gk_protocol::error::…` keep working; nothing in this crate imports from it, and it must
//! never define a type of its own.
//!
//! The codes returned by `code()` are part of the wire contract: the gatekeeper's HTTP answers and
//! the browser library's JS errors carry them unchanged, and `docs/protocol.md` lists them all.
//! Renaming one is a breaking change. Messages are short, lowercase, and never include secrets.

pub use crate::codec::{DecodeError, DecodeProblem, Field};
pub use crate::config::ConfigError;
pub use crate::object::ObjectError;
pub use crate::policy::acl::AclDenial;
pub use crate::policy::object_key::KeyProblem;
pub use crate::policy::time::TimeProblem;
pub use crate::sign::{Denial, ReceiptError};
