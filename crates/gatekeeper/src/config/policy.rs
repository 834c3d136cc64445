//! The access-control parts of the configuration: `[network]` (trusted proxies, CORS origins) and
//! `[acl.*]` (per-operation IP and country rules).
//!
//! Nothing here is lenient: a CIDR with host bits set, a country that is not two letters, an origin
//! that is not exactly `scheme://host[:port]` are all refused rather than "fixed up", because a
//! silently widened rule is a hole. Trusting every address as a proxy (`/0`) is refused too: it
//! would let any client choose its own address with `X-Forwarded-For`.

use s3gk_protocol::policy::acl::{Acl, Cidr, CountryCode, Rules};
use toml::Table;
use url::{Host, Url};

use super::reader::{Field, Problems, Section};

/// The keys of one rules table.
const RULE_KEYS: &[&str] = &["allow_cidrs", "deny_cidrs", "allow_countries", "deny_countries"];

/// `[network]`: trusted proxies and CORS origins.
pub(super) fn network(root: &Section<'_>, p: &mut Problems) -> (Vec<Cidr>, Vec<String>) {
    let empty = Table::new();
    let s = root.section_or_empty("network", &["trusted_proxies", "cors_origins"], &empty, p);
    let mut proxies = Vec::new();
    for f in s.str_list("trusted_proxies", p).unwrap_or_default() {
        match f.value.parse::<Cidr>() {
            Err(e) => p.push(&f.path, e.to_string()),
            Ok(cidr) if cidr.to_string().ends_with("/0") => p.push(
                &f.path,
                "trusting every address lets any client forge X-Forwarded-For; list your proxies' networks",
            ),
            Ok(cidr) => proxies.push(cidr),
        }
    }
    let mut origins: Vec<String> = Vec::new();
    for f in s.str_list("cors_origins", p).unwrap_or_default() {
        match check_origin(f.value) {
            Err(why) => p.push(&f.path, why),
            Ok(()) if origins.iter().any(|o| o == f.value) => p.push(&f.path, "duplicate origin"),
            Ok(()) => origins.push(f.value.to_owned()),
        }
    }
    (proxies, origins)
}

/// Parses each CIDR, reporting the bad ones by index.
fn cidrs(list: Vec<Field<&str>>, p: &mut Problems) -> Vec<Cidr> {
    list.into_iter().filter_map(|f| f.value.parse::<Cidr>().map_err(|e| p.push(&f.path, e.to_string())).ok()).collect()
}

fn countries(list: Vec<Field<&str>>, p: &mut Problems) -> Vec<CountryCode> {
    list.into_iter()
        .filter_map(|f| f.value.parse::<CountryCode>().map_err(|e| p.push(&f.path, e.to_string())).ok())
        .collect()
}

/// True if `host` is a loopback name or address.
pub(super) fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(v4)) => v4.is_loopback(),
        Some(Host::Ipv6(v6)) => v6.is_loopback(),
        None => false,
    }
}

/// An origin exactly as a browser sends it: `https://host[:port]`, lower case, no default port,
/// no path, no trailing slash. `http` only for loopback hosts (development).
pub(super) fn check_origin(origin: &str) -> Result<(), &'static str> {
    if origin.contains('*') {
        return Err("wildcards are not allowed; list each origin exactly");
    }
    let url = Url::parse(origin).map_err(|_| "not an origin: expected scheme://host[:port]")?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("an origin's scheme must be https (or http for localhost)");
    }
    if url.scheme() == "http" && !is_loopback(url.host()) {
        return Err("http origins are allowed only for localhost; use https");
    }
    let exact = url.username().is_empty() && url.password().is_none() && url.origin().ascii_serialization() == origin;
    if !exact {
        return Err("not the exact form a browser sends: scheme://host[:port], lower case, no default port, no path");
    }
    Ok(())
}

/// `[acl.default]`, `[acl.get]`, `[acl.put]`, `[acl.list_prefix]`. An operation's table, when
/// present, replaces the default rules for that operation entirely.
pub(super) fn acl(root: &Section<'_>, p: &mut Problems) -> Acl {
    let Some(s) = root.section("acl", &["default", "get", "put", "list_prefix"], p) else {
        return Acl::default();
    };
    let default = s.section("default", RULE_KEYS, p).map_or_else(Rules::default, |t| rules(&t, p));
    let op =
        |name: &str, p: &mut Problems| s.section(name, RULE_KEYS, p).map_or_else(|| default.clone(), |t| rules(&t, p));
    let get = op("get", p);
    let put = op("put", p);
    let list_prefix = op("list_prefix", p);
    Acl { get, put, list_prefix }
}

/// One rules table. Absent allow lists take [`Rules::default`]'s values: any IP, and the default
/// country list. `"any"` lifts an allow list; `[]` allows nothing.
fn rules(s: &Section<'_>, p: &mut Problems) -> Rules {
    let defaults = Rules::default();
    let allow_cidrs = match any_or_list(s, "allow_cidrs", p) {
        AnyOrList::Absent | AnyOrList::Any => None,
        AnyOrList::List(list) => Some(cidrs(list, p)),
    };
    let allow_countries = match any_or_list(s, "allow_countries", p) {
        AnyOrList::Absent => defaults.allow_countries,
        AnyOrList::Any => None,
        AnyOrList::List(list) => Some(countries(list, p)),
    };
    let deny_cidrs = cidrs(s.str_list("deny_cidrs", p).unwrap_or_default(), p);
    let deny_countries = countries(s.str_list("deny_countries", p).unwrap_or_default(), p);
    Rules { allow_cidrs, deny_cidrs, allow_countries, deny_countries }
}

enum AnyOrList<'a> {
    Absent,
    Any,
    List(Vec<Field<&'a str>>),
}

fn any_or_list<'a>(s: &Section<'a>, key: &str, p: &mut Problems) -> AnyOrList<'a> {
    match s.value(key) {
        None => AnyOrList::Absent,
        Some(f) if f.value.as_str() == Some("any") => AnyOrList::Any,
        Some(f) if f.value.is_str() => {
            p.push(f.path, "expected \"any\" or a list");
            AnyOrList::Absent
        }
        Some(_) => s.str_list(key, p).map_or(AnyOrList::Absent, AnyOrList::List),
    }
}

#[cfg(test)]
mod tests {
    use super::check_origin;

    #[test]
    fn origins_must_be_exact() {
        for good in [
            "https://helpdesk.vendor.example",
            "https://a.example:8443",
            "http://localhost:8080",
            "http://127.0.0.1:3000",
            "http://[::1]:3000",
        ] {
            assert_eq!(check_origin(good), Ok(()), "{good}");
        }
        for bad in [
            "*",
            "https://*.vendor.example",
            "https://helpdesk.vendor.example/",
            "https://helpdesk.vendor.example/app",
            "https://Helpdesk.vendor.example",
            "https://helpdesk.vendor.example:443",
            "https://user@helpdesk.vendor.example",
            "https://helpdesk.vendor.example?x",
            "http://helpdesk.vendor.example",
            "ftp://helpdesk.vendor.example",
            "helpdesk.vendor.example",
            "null",
            "",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }
}
