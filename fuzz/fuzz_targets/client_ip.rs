//! Client address resolution behind trusted proxies (`crates/gatekeeper/src/client_ip.rs`).
//!
//! Input: text. Line 1 is the TCP peer (an address; anything else means `10.0.0.1`), line 2 the
//! trusted proxy networks (comma-separated; entries that do not parse are dropped), and every
//! further line one `X-Forwarded-For` header line. Seeds: the addresses and networks of the ACL
//! vectors, behind proxies and spoofed entries.
//! Oracles: nothing panics; the answer equals a plain reference reading of the rule (an
//! untrusted peer is the client; otherwise the rightmost untrusted entry, else the leftmost,
//! else the peer; any malformed entry or more than `MAX_HOPS` entries is an error), is always
//! normalised (never `::ffff:a.b.c.d`), and never comes from the header when the peer is untrusted.
#![no_main]

use core::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use s3gk_gatekeeper::client_ip::{resolve, ClientIpError, MAX_HOPS};
use s3gk_protocol::policy::acl::{normalize_ip, Cidr};

/// The rule of `client_ip.rs`, written out again as simply as possible.
fn reference(peer: IpAddr, lines: &[&str], trusted: &[Cidr]) -> Result<IpAddr, ClientIpError> {
    let peer = normalize_ip(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Ok(peer);
    }
    let entries: Vec<&str> = lines.iter().flat_map(|l| l.split(',')).collect();
    let mut hops = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if i == MAX_HOPS {
            return Err(ClientIpError::TooManyHops);
        }
        hops.push(normalize_ip(entry.trim().parse::<IpAddr>().map_err(|_| ClientIpError::Malformed)?));
    }
    let mut client = hops.first().copied().unwrap_or(peer);
    for hop in hops.iter().rev() {
        if !is_trusted(*hop) {
            client = *hop;
            break;
        }
    }
    Ok(client)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let peer: IpAddr = lines.next().and_then(|l| l.trim().parse().ok()).unwrap_or(IpAddr::from([10, 0, 0, 1]));
    let trusted: Vec<Cidr> = lines.next().unwrap_or("").split(',').filter_map(|c| c.trim().parse().ok()).collect();
    let headers: Vec<&str> = lines.collect();

    let got = resolve(peer, &headers, &trusted);
    assert_eq!(got, reference(peer, &headers, &trusted), "peer {peer}, headers {headers:?}");
    if let Ok(ip) = got {
        assert_eq!(normalize_ip(ip), ip, "a mapped address came back");
    }
    if !trusted.iter().any(|c| c.contains(peer)) {
        assert_eq!(got, Ok(normalize_ip(peer)), "the header was read from an untrusted peer");
    }
    assert_eq!(resolve(peer, &headers, &[]), Ok(normalize_ip(peer)), "no proxies: the peer is the client");
});
