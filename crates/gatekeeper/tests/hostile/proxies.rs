//! The ACL behind proxies (docs/protocol.md section 6.3; SECURITY.md G4, G5, T9): the stack of
//! [`options`] trusts only 127.0.0.3 as a proxy and allows NL, GB and RU but denies RU, so loopback
//! (placed in US) is refused unless a trusted proxy forwards an allowed address. The real country
//! database places the public addresses used here (145.100.0.0/16 NL, 8.8.8.8 US, 77.88.8.8 and
//! 2a02:6b8::1 RU, 1.1.1.1 AU, 80.67.169.12 FR, 81.2.69.160 GB, 2001:610::1 NL); documentation,
//! private and shared ranges are unknown. Covered: the header from an untrusted peer ignored, from
//! the proxy read right to left, malformed entries refused with 400, IPv4-mapped IPv6, deny before
//! allow, per-operation rules, and a country refusal that must spend the nonce.
//! No row depends on another row's effects: each sends its own fresh request.

use super::harness::{row, send, steps, Case, Fresh, How, Threat::Proxy, AUDITED};
use crate::common::Options;

const COUNTRY: &str = "acl_denied_country";
const IP: &str = "acl_denied_ip";
const MALFORMED_XFF: &str = "malformed_forwarded_for";

/// The stack these cases run on.
pub fn options() -> Options {
    let acl = r#"
[acl.default]
allow_countries = ["NL", "GB", "RU"]
deny_countries = ["RU"]
deny_cidrs = ["127.0.0.2/32", "145.100.66.0/24", "2001:610:bad::/48"]

[acl.put]
allow_cidrs = ["127.0.0.0/8", "145.100.0.0/16"]
deny_cidrs = ["127.0.0.2/32"]
allow_countries = "any"

[acl.list_prefix]
allow_cidrs = []
allow_countries = "any"
"#;
    Options { acl: acl.into(), trusted_proxies: r#"["127.0.0.3/32"]"#, ..Options::default() }
}

/// A get from `peer` with these `X-Forwarded-For` lines; the entry must name `client`.
fn forwarded(peer: &'static str, lines: &'static [&'static str], client: &'static str) -> How {
    send(move |f| lines.iter().fold(f.ok().via(peer), |a, line| a.header("X-Forwarded-For", line)).audit_ip(client))
}

/// A get through the proxy with one raw `X-Forwarded-For` value (any bytes).
fn proxied_raw(value: &'static [u8]) -> How {
    send(move |f| f.ok().via("127.0.0.3").header("X-Forwarded-For", value))
}

fn put(f: &Fresh) -> super::harness::Attempt {
    f.put(4096)
}

pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        // Untrusted peers: the header is ignored entirely, even when malformed.
        row(
            "untrusted_peer_forwards_an_allowed_country",
            Proxy,
            forwarded("127.0.0.1", &["145.100.1.1"], "127.0.0.1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "untrusted_peer_sends_garbage",
            Proxy,
            forwarded("127.0.0.1", &["garbage"], "127.0.0.1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "denied_peer_forwards_an_allowed_country",
            Proxy,
            forwarded("127.0.0.2", &["145.100.1.1"], "127.0.0.2"),
            403,
            IP,
            AUDITED,
        ),
        row(
            "untrusted_peer_sends_x_real_ip",
            Proxy,
            send(|f| f.ok().header("X-Real-IP", "145.100.1.1")),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "untrusted_peer_sends_forwarded",
            Proxy,
            send(|f| f.ok().header("Forwarded", "for=145.100.1.1")),
            403,
            COUNTRY,
            AUDITED,
        ),
        // The trusted proxy: right to left, trusted hops skipped, the first untrusted one is the client.
        row("proxy_without_the_header", Proxy, forwarded("127.0.0.3", &[], "127.0.0.3"), 403, COUNTRY, AUDITED),
        row(
            "proxy_sends_only_rfc7239_forwarded",
            Proxy,
            send(|f| f.ok().via("127.0.0.3").header("Forwarded", "for=145.100.1.1")),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "client_spoofs_left_of_a_us_address",
            Proxy,
            forwarded("127.0.0.3", &["145.100.1.1, 8.8.8.8"], "8.8.8.8"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "client_spoofs_in_an_earlier_line",
            Proxy,
            forwarded("127.0.0.3", &["145.100.1.1", "8.8.8.8"], "8.8.8.8"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "trusted_hops_skipped",
            Proxy,
            forwarded("127.0.0.3", &["8.8.8.8, 127.0.0.3"], "8.8.8.8"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "only_trusted_hops",
            Proxy,
            forwarded("127.0.0.3", &["127.0.0.3, 127.0.0.3"], "127.0.0.3"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "deny_cidr_beats_an_allowed_country",
            Proxy,
            forwarded("127.0.0.3", &["145.100.66.7"], "145.100.66.7"),
            403,
            IP,
            AUDITED,
        ),
        row(
            "deny_cidr_through_ipv4_mapped_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["::ffff:145.100.66.7"], "145.100.66.7"),
            403,
            IP,
            AUDITED,
        ),
        row(
            "us_address_as_ipv4_mapped_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["::ffff:8.8.8.8"], "8.8.8.8"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "denied_loopback_as_ipv4_mapped_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["::ffff:127.0.0.2"], "127.0.0.2"),
            403,
            IP,
            AUDITED,
        ),
        row(
            "deny_country_beats_allow_country",
            Proxy,
            forwarded("127.0.0.3", &["77.88.8.8"], "77.88.8.8"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "denied_country_over_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["2a02:6b8::1"], "2a02:6b8::1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "deny_cidr_over_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["2001:610:bad::1"], "2001:610:bad::1"),
            403,
            IP,
            AUDITED,
        ),
        row(
            "documentation_range_is_unknown",
            Proxy,
            forwarded("127.0.0.3", &["2001:db8::1"], "2001:db8::1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "private_address_is_unknown",
            Proxy,
            forwarded("127.0.0.3", &["10.1.2.3"], "10.1.2.3"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "shared_address_space_is_unknown",
            Proxy,
            forwarded("127.0.0.3", &["100.64.0.1"], "100.64.0.1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "unspecified_address_is_unknown",
            Proxy,
            forwarded("127.0.0.3", &["0.0.0.0"], "0.0.0.0"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "country_not_in_the_allow_list",
            Proxy,
            forwarded("127.0.0.3", &["1.1.1.1"], "1.1.1.1"),
            403,
            COUNTRY,
            AUDITED,
        ),
        row(
            "another_country_not_allowed",
            Proxy,
            forwarded("127.0.0.3", &["80.67.169.12"], "80.67.169.12"),
            403,
            COUNTRY,
            AUDITED,
        ),
        // Controls: what the proxy forwards for an allowed client is granted.
        row(
            "control_proxy_forwards_nl",
            Proxy,
            forwarded("127.0.0.3", &["145.100.1.1"], "145.100.1.1"),
            200,
            "",
            AUDITED,
        ),
        row(
            "control_spoof_left_of_nl",
            Proxy,
            forwarded("127.0.0.3", &["8.8.8.8, 145.100.1.1"], "145.100.1.1"),
            200,
            "",
            AUDITED,
        ),
        row(
            "control_proxy_forwards_gb",
            Proxy,
            forwarded("127.0.0.3", &["81.2.69.160"], "81.2.69.160"),
            200,
            "",
            AUDITED,
        ),
        row(
            "control_proxy_forwards_nl_ipv6",
            Proxy,
            forwarded("127.0.0.3", &["2001:610::1"], "2001:610::1"),
            200,
            "",
            AUDITED,
        ),
        // Per-operation rules.
        row("put_from_a_denied_address_inside_allow_cidrs", Proxy, send(|f| put(f).via("127.0.0.2")), 403, IP, AUDITED),
        row(
            "put_forwarded_from_outside_allow_cidrs",
            Proxy,
            send(|f| put(f).via("127.0.0.3").header("X-Forwarded-For", "8.8.8.8").audit_ip("8.8.8.8")),
            403,
            IP,
            AUDITED,
        ),
        row("control_put_inside_allow_cidrs", Proxy, send(put), 200, "", AUDITED),
        row("list_prefix_with_an_empty_allow_list", Proxy, send(list), 403, IP, AUDITED),
        row(
            "list_prefix_forwarded_from_nl_with_an_empty_allow_list",
            Proxy,
            send(|f| list(f).via("127.0.0.3").header("X-Forwarded-For", "145.100.1.1").audit_ip("145.100.1.1")),
            403,
            IP,
            AUDITED,
        ),
        // Finding: an ACL refusal must spend the nonce (here a country refusal behind the proxy).
        row(
            "country_refusal_then_an_allowed_country",
            Proxy,
            steps(country_then_allowed),
            403,
            "replayed_nonce",
            AUDITED,
        ),
    ];
    let malformed: &[(&str, &[u8])] = &[
        ("word", b"garbage"),
        ("unknown", b"unknown"),
        ("obfuscated_identifier", b"_hidden"),
        ("empty_value", b""),
        ("ipv4_with_port", b"145.100.1.1:443"),
        ("bracketed_ipv6", b"[2001:610::1]"),
        ("bracketed_ipv6_with_port", b"[2001:610::1]:443"),
        ("ipv6_with_zone", b"fe80::1%eth0"),
        ("trailing_comma", b"145.100.1.1,"),
        ("leading_comma", b",145.100.1.1"),
        ("semicolon_separated", b"145.100.1.1;8.8.8.8"),
        ("space_separated", b"145.100.1.1 8.8.8.8"),
        ("hex_octet", b"0x91.100.1.1"),
        ("leading_zero_octet", b"145.100.01.1"),
        ("three_octets", b"145.100.1"),
        ("five_octets", b"145.100.1.1.1"),
        ("cidr", b"145.100.1.1/32"),
        ("not_utf8", b"145.100.1.1\xff"),
        ("valid_then_garbage", b"145.100.1.1, nonsense"),
    ];
    for &(name, value) in malformed {
        cases.push(row(format!("proxy_forwards_{name}"), Proxy, proxied_raw(value), 400, MALFORMED_XFF, AUDITED));
    }
    let thirty_three: String = (1..=33).map(|i| format!("145.100.1.{i}")).collect::<Vec<_>>().join(", ");
    let hops = send(move |f| f.ok().via("127.0.0.3").header("X-Forwarded-For", thirty_three.as_bytes()));
    cases.push(row("proxy_forwards_33_hops", Proxy, hops, 400, MALFORMED_XFF, AUDITED));
    cases
}

fn list(f: &Fresh) -> super::harness::Attempt {
    f.with(|r| {
        r.operation = s3gk_protocol::Operation::ListPrefix;
        r.key = "tickets/".into();
    })
}

async fn country_then_allowed(ctx: std::sync::Arc<super::harness::Ctx>) -> super::harness::Outcome {
    let f = ctx.fresh("127.0.0.3");
    let first = ctx.outcome(&f.ok().header("X-Forwarded-For", "8.8.8.8").audit_ip("8.8.8.8")).await;
    let then = ctx.outcome(&f.ok().header("X-Forwarded-For", "145.100.1.1").audit_ip("145.100.1.1")).await;
    if (first.status, first.code.as_str()) != (403, COUNTRY) {
        return then.problem(format!("the first step answered {} {:?}", first.status, first.code));
    }
    then
}
