//! Pure policy checks: each takes the facts as arguments and returns `Ok` or the reason it refuses.
//!
//! - [`time`]: the request's validity window against `now`, with bounded clock skew;
//! - [`object_key`]: object key and prefix syntax, and containment in the root prefix;
//! - [`acl`]: IP CIDR and country allow/deny lists, per operation, deny winning.
//!
//! None of them reads a clock, a database or the network.

pub mod acl;
pub mod object_key;
pub mod time;
