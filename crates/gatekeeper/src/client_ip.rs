//! Who is asking: the client address behind the configured trusted proxies.
//!
//! The TCP peer is the client unless it is a trusted proxy. Only then is `X-Forwarded-For` read,
//! right to left (each proxy appends the address it saw), skipping the entries that are themselves
//! trusted proxies; the first untrusted entry is the client. Everything left of it was written by
//! a party we do not trust and is never looked at, so a client cannot choose its own address by
//! sending the header. Every address is normalised (`::ffff:a.b.c.d` becomes `a.b.c.d`) before it is
//! matched or returned.
//!
//! An entry must be a bare IPv4 or IPv6 address: ports (`1.2.3.4:80`, `[::1]:80`), brackets,
//! `unknown` and obfuscated identifiers are all refused as [`ClientIpError::Malformed`], which the
//! caller answers with 400 rather than guessing. This module must never fall back to an address it
//! could not parse, nor read the header from a peer that is not a trusted proxy.

use core::fmt;
use core::net::IpAddr;

use s3gk_protocol::policy::acl::{normalize_ip, Cidr};

/// The most `X-Forwarded-For` entries read, across all header lines.
pub const MAX_HOPS: usize = 32;

/// Why the client address could not be determined. The caller answers 400.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientIpError {
    /// An `X-Forwarded-For` entry is not a bare IP address (ports are refused too).
    Malformed,
    /// More than [`MAX_HOPS`] entries.
    TooManyHops,
}

impl ClientIpError {
    /// The stable code, as sent to the client.
    pub fn code(&self) -> &'static str {
        "malformed_forwarded_for"
    }
}

impl fmt::Display for ClientIpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientIpError::Malformed => f.write_str("malformed x-forwarded-for entry"),
            ClientIpError::TooManyHops => write!(f, "x-forwarded-for has more than {MAX_HOPS} entries"),
        }
    }
}

impl std::error::Error for ClientIpError {}

/// The client address for a connection from `peer` that carried the `X-Forwarded-For` header
/// lines `forwarded_for` (in the order received; several lines count as one comma-separated list).
///
/// If `peer` is not in `trusted`, it is the client and the header is ignored entirely, even when
/// malformed. Otherwise the header is parsed in full (any malformed entry, or more than
/// [`MAX_HOPS`] entries, is an error) and walked right to left: the first entry not in `trusted`
/// is the client; if every entry is trusted, the leftmost is; with no entries at all, the peer is.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> Result<IpAddr, ClientIpError> {
    let peer = normalize_ip(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Ok(peer);
    }
    let hops = parse_hops(forwarded_for)?;
    let client = hops.iter().rev().copied().find(|ip| !is_trusted(*ip)).or_else(|| hops.first().copied());
    Ok(client.unwrap_or(peer))
}

/// Every entry of every header line, left to right, normalised.
fn parse_hops(lines: &[&str]) -> Result<Vec<IpAddr>, ClientIpError> {
    let mut hops = Vec::new();
    for entry in lines.iter().flat_map(|line| line.split(',')) {
        if hops.len() == MAX_HOPS {
            return Err(ClientIpError::TooManyHops);
        }
        let ip: IpAddr = entry.trim().parse().map_err(|_| ClientIpError::Malformed)?;
        hops.push(normalize_ip(ip));
    }
    Ok(hops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies() -> Vec<Cidr> {
        ["10.0.0.0/8", "2001:db8:aa::/48"].iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_sends() {
        let t = proxies();
        assert_eq!(resolve(ip("203.0.113.7"), &["1.2.3.4"], &t), Ok(ip("203.0.113.7")));
        assert_eq!(resolve(ip("203.0.113.7"), &["10.0.0.1, 1.2.3.4"], &t), Ok(ip("203.0.113.7")));
        // Even a malformed header is ignored: it was never meant for us.
        assert_eq!(resolve(ip("203.0.113.7"), &["garbage"], &t), Ok(ip("203.0.113.7")));
        // No trusted proxies configured: the header is never read.
        assert_eq!(resolve(ip("10.0.0.1"), &["1.2.3.4"], &[]), Ok(ip("10.0.0.1")));
    }

    #[test]
    fn trusted_proxy_rightmost_untrusted_entry_wins() {
        let t = proxies();
        assert_eq!(resolve(ip("10.0.0.1"), &["198.51.100.9"], &t), Ok(ip("198.51.100.9")));
        // The client prepended a spoofed entry; the proxy appended what it really saw.
        assert_eq!(resolve(ip("10.0.0.1"), &["1.2.3.4, 198.51.100.9"], &t), Ok(ip("198.51.100.9")));
        // No header at all: the proxy itself is the client (e.g. a health check).
        assert_eq!(resolve(ip("10.0.0.1"), &[], &t), Ok(ip("10.0.0.1")));
    }

    #[test]
    fn chains_of_trusted_proxies_are_skipped() {
        let t = proxies();
        let xff = ["1.2.3.4, 198.51.100.9, 10.1.1.1", "10.2.2.2"];
        assert_eq!(resolve(ip("10.0.0.1"), &xff, &t), Ok(ip("198.51.100.9")));
        // Every entry trusted: the leftmost is the client.
        assert_eq!(resolve(ip("10.0.0.1"), &["10.9.9.9, 10.1.1.1"], &t), Ok(ip("10.9.9.9")));
    }

    #[test]
    fn ipv6_and_mapped_addresses() {
        let t = proxies();
        assert_eq!(resolve(ip("2001:db8:aa::1"), &["2001:db8:1::5"], &t), Ok(ip("2001:db8:1::5")));
        // A mapped peer matches an IPv4 proxy rule, and a mapped entry comes back as IPv4.
        assert_eq!(resolve(ip("::ffff:10.0.0.1"), &["::ffff:198.51.100.9"], &t), Ok(ip("198.51.100.9")));
        assert_eq!(resolve(ip("::ffff:203.0.113.7"), &["1.2.3.4"], &t), Ok(ip("203.0.113.7")));
        // A mapped entry inside the proxy range is skipped like its IPv4 form.
        assert_eq!(resolve(ip("10.0.0.1"), &["198.51.100.9, ::ffff:10.3.3.3"], &t), Ok(ip("198.51.100.9")));
        assert_eq!(resolve(ip("10.0.0.1"), &[" 2001:db8:1::5 ,2001:db8:aa::9"], &t), Ok(ip("2001:db8:1::5")));
    }

    #[test]
    fn malformed_entries_and_ports_are_refused() {
        let t = proxies();
        for bad in ["", "1.2.3.4,", "unknown", "1.2.3.4:80", "[2001:db8::1]", "[2001:db8::1]:443", "1.2.3", "_hidden"] {
            assert_eq!(resolve(ip("10.0.0.1"), &[bad], &t), Err(ClientIpError::Malformed), "{bad:?}");
        }
        // A malformed entry left of the client still fails: the header is parsed in full.
        assert_eq!(resolve(ip("10.0.0.1"), &["bogus, 198.51.100.9"], &t), Err(ClientIpError::Malformed));
    }

    #[test]
    fn hop_limit() {
        let t = proxies();
        let ok = vec!["10.0.0.2"; MAX_HOPS].join(",");
        assert_eq!(resolve(ip("10.0.0.1"), &[&ok], &t), Ok(ip("10.0.0.2")));
        let too_many = vec!["10.0.0.2"; MAX_HOPS + 1].join(",");
        assert_eq!(resolve(ip("10.0.0.1"), &[&too_many], &t), Err(ClientIpError::TooManyHops));
        let split = [ok.as_str(), "10.0.0.3"];
        assert_eq!(resolve(ip("10.0.0.1"), &split, &t), Err(ClientIpError::TooManyHops));
        assert_eq!(ClientIpError::Malformed.code(), "malformed_forwarded_for");
    }
}
