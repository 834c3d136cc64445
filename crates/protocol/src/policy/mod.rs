//! Pure policy checks: each takes the facts as arguments and returns `Ok` or the reason it refuses.
//!
//! - [`time`]: the request's validity window against `now`, with bounded clock skew;
//! - [`object_key`]: object key and prefix syntax, and containment in the root prefix, producing
//!   the checked [`ObjectKey`](object_key::ObjectKey) and [`KeyPrefix`](object_key::KeyPrefix);
//! - [`acl`]: IP CIDR and country allow/deny lists, per operation, deny winning.
//!
//! Each module owns the error of its check. They must never read a clock, a database or the
//! network: every fact is an argument.

pub mod acl;
pub mod object_key;
pub mod time;
