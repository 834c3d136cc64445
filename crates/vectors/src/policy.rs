//! Vectors for the pure policy checks: time window, object keys, ACL (`docs/protocol.md`, section 6).

use std::net::IpAddr;

use s3gk_protocol::policy::acl::{Cidr, CountryCode, Rules};
use s3gk_protocol::policy::object_key::{self, KeyKind, RootPrefix};
use s3gk_protocol::policy::time::TimePolicy;

use crate::expect;
use crate::vector::Vector;

fn time(
    name: &str,
    intended: &str,
    comment: &str,
    (issued_at, expires_at, now): (u64, u64, u64),
) -> Result<Vector, String> {
    let p = TimePolicy::new(300, 60).unwrap();
    let actual = p.check(issued_at, expires_at, now).map_or_else(|e| e.code(), |()| "ok");
    expect(name, intended, actual)?;
    Ok(Vector::new("time", name, intended, comment)
        .field("issued_at", issued_at)
        .field("expires_at", expires_at)
        .field("now", now)
        .field("max_lifetime", p.max_lifetime())
        .field("max_skew", p.max_skew()))
}

fn key(name: &str, intended: &str, comment: &str, k: &str, kind: KeyKind, root: &str) -> Result<Vector, String> {
    let actual = object_key::check(k, kind, &RootPrefix::new(root).unwrap()).map_or_else(|e| e.code(), |_| "ok");
    expect(name, intended, actual)?;
    let kind = if kind == KeyKind::Object { "object" } else { "prefix" };
    Ok(Vector::new("object-key", name, intended, comment)
        .hex("key", k.as_bytes())
        .field("key_kind", kind)
        .field("root_prefix", root))
}

struct AclCase<'a> {
    ip: &'a str,
    country: Option<&'a str>,
    allow_cidrs: Option<&'a str>,
    deny_cidrs: &'a str,
    allow_countries: Option<&'a str>,
    deny_countries: &'a str,
}

fn split<T: std::str::FromStr>(list: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    list.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

fn acl(name: &str, intended: &str, comment: &str, c: &AclCase<'_>) -> Result<Vector, String> {
    let rules = Rules {
        allow_cidrs: c.allow_cidrs.map(split::<Cidr>),
        deny_cidrs: split(c.deny_cidrs),
        allow_countries: c.allow_countries.map(split::<CountryCode>),
        deny_countries: split(c.deny_countries),
    };
    let ip: IpAddr = c.ip.parse().unwrap();
    let country = c.country.map(|s| s.parse().unwrap());
    let actual = rules.evaluate(ip, country).map_or_else(|e| e.code(), |()| "ok");
    expect(name, intended, actual)?;
    Ok(Vector::new("acl", name, intended, comment)
        .field("client_ip", c.ip)
        .field("country", c.country.unwrap_or("unknown"))
        .field("allow_cidrs", c.allow_cidrs.unwrap_or("any"))
        .field("deny_cidrs", c.deny_cidrs)
        .field("allow_countries", c.allow_countries.unwrap_or("any"))
        .field("deny_countries", c.deny_countries))
}

pub(crate) fn vectors() -> Result<Vec<Vector>, String> {
    const T: u64 = 1_800_000_000;
    let mut out = vec![
        time("ok", "ok", "inside the window", (T, T + 120, T + 10))?,
        time("ok-skew-edges", "ok", "issued exactly max_skew ahead", (T + 60, T + 120, T))?,
        time("ok-expiry-edge", "ok", "now is exactly expires_at + max_skew", (T, T + 120, T + 180))?,
        time("ok-max-lifetime", "ok", "a lifetime of exactly max_lifetime", (T, T + 300, T))?,
        time("invalid-window", "invalid_time_window", "expires_at equals issued_at", (T, T, T))?,
        time("lifetime-too-long", "lifetime_too_long", "one second over max_lifetime", (T, T + 301, T))?,
        time("not-yet-valid", "not_yet_valid", "one second beyond the skew", (T + 61, T + 120, T))?,
        time("expired", "expired", "one second after expires_at + max_skew", (T, T + 120, T + 181))?,
        time("saturating", "ok", "expires_at at the end of u64", (u64::MAX - 100, u64::MAX, u64::MAX))?,
    ];
    let o = KeyKind::Object;
    let p = KeyKind::Prefix;
    for (name, intended, comment, k, kind, root) in [
        ("ok", "ok", "an ordinary key", "tickets/4711/screen 1.png", o, "tickets/"),
        ("ok-unicode", "ok", "non-ASCII text is allowed", "tickets/ü/日本.txt", o, "tickets/"),
        ("ok-dots-in-segment", "ok", "dots inside a segment are fine", "tickets/..a/.b", o, "tickets/"),
        ("ok-prefix", "ok", "a prefix ending with /", "tickets/4711/", p, "tickets/"),
        ("ok-prefix-is-root", "ok", "the root itself as a prefix", "tickets/", p, "tickets/"),
        ("ok-empty-root", "ok", "an empty root is the whole bucket", "a/b", o, ""),
        ("empty", "key_empty", "the empty key", "", o, ""),
        ("too-long", "key_too_long", "1025 bytes", &"k".repeat(1025), o, ""),
        ("leading-slash", "key_leading_slash", "an absolute path", "/tickets/1", o, ""),
        ("control-char", "key_forbidden_char", "a newline", "tickets/a\nb", o, ""),
        ("c1-control-char", "key_forbidden_char", "U+0085", "tickets/a\u{85}b", o, ""),
        ("delete-char", "key_forbidden_char", "U+007F", "tickets/a\u{7f}b", o, ""),
        ("backslash", "key_forbidden_char", "a backslash", "tickets\\..\\x", o, ""),
        ("prefix-not-directory", "key_prefix_not_directory", "prefix without a final /", "tickets/47", p, ""),
        ("empty-segment", "key_empty_segment", "a double slash", "tickets//x", o, ""),
        ("trailing-slash", "key_empty_segment", "an object key ending with /", "tickets/x/", o, ""),
        ("dot-segment", "key_dot_segment", "a . segment", "tickets/./x", o, ""),
        ("dot-dot-segment", "key_dot_segment", "a .. segment escaping the root", "tickets/../x", o, "tickets/"),
        ("outside-root", "key_outside_root", "another tenant", "tenants/other/x", o, "tenants/acme/"),
        (
            "root-not-segment-aligned",
            "key_outside_root",
            "acmex is not inside acme/",
            "tenants/acmex/y",
            o,
            "tenants/acme/",
        ),
    ] {
        out.push(key(name, intended, comment, k, kind, root)?);
    }
    let any = AclCase {
        ip: "198.51.100.7",
        country: Some("US"),
        allow_cidrs: None,
        deny_cidrs: "",
        allow_countries: None,
        deny_countries: "",
    };
    let default_countries = Some("US,CA,GB,AU,NZ,IE,NL");
    for (name, intended, comment, c) in [
        ("ok-open", "ok", "no lists set", AclCase { ..any }),
        (
            "ok-default-countries",
            "ok",
            "NL is in the default list",
            AclCase { country: Some("NL"), allow_countries: default_countries, ..any },
        ),
        (
            "country-not-allowed",
            "acl_denied_country",
            "FR is not in the default list",
            AclCase { country: Some("FR"), allow_countries: default_countries, ..any },
        ),
        (
            "country-unknown",
            "acl_denied_country",
            "an unknown country fails an allow list",
            AclCase { country: None, allow_countries: default_countries, ..any },
        ),
        (
            "ok-unknown-no-list",
            "ok",
            "an unknown country passes when no allow list is set",
            AclCase { country: None, ..any },
        ),
        (
            "country-denied",
            "acl_denied_country",
            "deny wins over allow",
            AclCase { deny_countries: "US", allow_countries: Some("US"), ..any },
        ),
        ("ip-denied", "acl_denied_ip", "in a deny network", AclCase { deny_cidrs: "198.51.100.0/24", ..any }),
        (
            "ip-deny-before-country",
            "acl_denied_ip",
            "the IP check runs first",
            AclCase { deny_cidrs: "198.51.100.7", deny_countries: "US", ..any },
        ),
        (
            "ip-not-allowed",
            "acl_denied_ip",
            "not in the allow list",
            AclCase { allow_cidrs: Some("10.0.0.0/8,192.0.2.0/24"), ..any },
        ),
        (
            "ok-ip-allowed",
            "ok",
            "in the allow list",
            AclCase { allow_cidrs: Some("10.0.0.0/8,198.51.100.0/25"), ..any },
        ),
        (
            "ip-deny-beats-allow",
            "acl_denied_ip",
            "in both lists",
            AclCase { allow_cidrs: Some("198.51.100.0/24"), deny_cidrs: "198.51.100.7", ..any },
        ),
        (
            "empty-allow-list",
            "acl_denied_ip",
            "an empty allow list allows nobody",
            AclCase { allow_cidrs: Some(""), ..any },
        ),
        (
            "mapped-ipv4-denied",
            "acl_denied_ip",
            "::ffff:198.51.100.7 matches an IPv4 rule",
            AclCase { ip: "::ffff:198.51.100.7", deny_cidrs: "198.51.100.0/24", ..any },
        ),
        (
            "mapped-hex-rule-denied",
            "acl_denied_ip",
            "the rule ::ffff:c633:6400/120 is 198.51.100.0/24 written in hex",
            AclCase { deny_cidrs: "::ffff:c633:6400/120", ..any },
        ),
        (
            "ok-mapped-hex-rule-allowed",
            "ok",
            "an allow rule in hex mapped form covers the IPv4 client",
            AclCase { allow_cidrs: Some("::ffff:c633:6400/120"), ..any },
        ),
        (
            "ok-ipv6-allowed",
            "ok",
            "an IPv6 allow network",
            AclCase { ip: "2001:db8:5::1", allow_cidrs: Some("2001:db8::/32"), ..any },
        ),
        (
            "ipv6-denied",
            "acl_denied_ip",
            "an IPv6 deny network",
            AclCase { ip: "2001:db8:5::1", deny_cidrs: "2001:db8:5::/48", ..any },
        ),
        (
            "ipv4-not-in-ipv6-any",
            "acl_denied_ip",
            "::/0 does not cover IPv4",
            AclCase { allow_cidrs: Some("::/0"), ..any },
        ),
    ] {
        out.push(acl(name, intended, comment, &c)?);
    }
    Ok(out)
}
