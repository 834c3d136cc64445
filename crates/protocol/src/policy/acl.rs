//! The customer's access control list: IP CIDR and country allow/deny lists, per operation.
//!
//! Evaluation order for one operation's [`Rules`], deny winning:
//! 1. the IP is in a deny CIDR → [`AclDenial::Ip`];
//! 2. the country is in the deny list → [`AclDenial::Country`];
//! 3. an allow-CIDR list is set and the IP is in none of it → [`AclDenial::Ip`];
//! 4. an allow-country list is set and the country is unknown or not in it →
//!    [`AclDenial::Country`].
//!
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are normalised to IPv4 before matching, so a
//! dual-stack socket cannot slip past an IPv4 rule. This module must never match an address
//! before normalising it, never match by text (CIDRs are parsed, host bits refused), and never
//! let an allow rule win over a deny rule.

use core::fmt;
use core::net::IpAddr;
use core::str::FromStr;

use crate::config::ConfigError;
use crate::request::OperationKind;

/// The default country allow list: US, CA, GB, AU, NZ, IE, NL.
pub const DEFAULT_ALLOWED_COUNTRIES: [&str; 7] = ["US", "CA", "GB", "AU", "NZ", "IE", "NL"];

/// Why the ACL refuses a client; the gatekeeper's [`Denial`](crate::sign::Denial) carries it as
/// `AclDeniedIp` or `AclDeniedCountry`, with the same codes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclDenial {
    /// The client IP is denied, or not in the allow list.
    Ip,
    /// The client's country is denied, not allowed, or unknown.
    Country {
        /// The country, if the lookup found one.
        country: Option<CountryCode>,
    },
}

impl AclDenial {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AclDenial::Ip => "acl_denied_ip",
            AclDenial::Country { .. } => "acl_denied_country",
        }
    }
}

impl fmt::Display for AclDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AclDenial::Ip => f.write_str("access denied: client address is not allowed"),
            AclDenial::Country { country: Some(c) } => write!(f, "access denied: country {c} is not allowed"),
            AclDenial::Country { country: None } => f.write_str("access denied: client country is unknown"),
        }
    }
}

impl std::error::Error for AclDenial {}

/// Maps `::ffff:a.b.c.d` to `a.b.c.d`; leaves every other address as it is.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// An IPv4 or IPv6 network, `address/length`, with no host bits set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    len: u8,
}

impl Cidr {
    /// True if `ip` (normalised first) lies in this network. IPv4 never matches an IPv6 network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, normalize_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => mask32(u32::from(ip), self.len) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(ip)) => mask128(u128::from(ip), self.len) == u128::from(net),
            _ => false,
        }
    }
}

fn mask32(x: u32, len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).map_or(0, |m| x & m)
}

fn mask128(x: u128, len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).map_or(0, |m| x & m)
}

impl FromStr for Cidr {
    type Err = ConfigError;

    /// Parses `10.0.0.0/8` or `2001:db8::/32`. A bare address is a host network (/32 or /128).
    /// An IPv4-mapped IPv6 network is stored as IPv4.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::InvalidCidr(s.chars().take(80).collect());
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) && l.len() <= 3 => {
                (a, Some(l.parse::<u8>().map_err(|_| bad())?))
            }
            Some(_) => return Err(bad()),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let (network, len) = match addr {
            IpAddr::V4(_) => (addr, len.unwrap_or(32)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), len.unwrap_or(128).checked_sub(96).ok_or_else(bad)?),
                None => (addr, len.unwrap_or(128)),
            },
        };
        let host_bits_clear = match network {
            IpAddr::V4(v4) => len <= 32 && mask32(u32::from(v4), len) == u32::from(v4),
            IpAddr::V6(v6) => len <= 128 && mask128(u128::from(v6), len) == u128::from(v6),
        };
        if !host_bits_clear {
            return Err(bad());
        }
        Ok(Cidr { network, len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.len)
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).expect("country codes are ASCII letters by construction")
    }
}

impl FromStr for CountryCode {
    type Err = ConfigError;

    /// Two ASCII letters, either case.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(ConfigError::InvalidCountry(s.chars().take(16).collect())),
        }
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rules for one operation. `None` for an allow list means "no restriction".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// If set, the client IP must be in one of these.
    pub allow_cidrs: Option<Vec<Cidr>>,
    /// The client IP must be in none of these.
    pub deny_cidrs: Vec<Cidr>,
    /// If set, the client's country must be known and in this list.
    pub allow_countries: Option<Vec<CountryCode>>,
    /// The client's country must not be in this list.
    pub deny_countries: Vec<CountryCode>,
}

impl Default for Rules {
    /// Any IP, countries from [`DEFAULT_ALLOWED_COUNTRIES`] only.
    fn default() -> Self {
        let allow =
            DEFAULT_ALLOWED_COUNTRIES.iter().map(|c| c.parse().expect("the default country list is valid")).collect();
        Self { allow_cidrs: None, deny_cidrs: Vec::new(), allow_countries: Some(allow), deny_countries: Vec::new() }
    }
}

impl Rules {
    /// Evaluates these rules for a client at `ip` in `country` (`None` if unknown).
    pub fn evaluate(&self, ip: IpAddr, country: Option<CountryCode>) -> Result<(), AclDenial> {
        let ip = normalize_ip(ip);
        let denied_country = || AclDenial::Country { country };
        if self.deny_cidrs.iter().any(|c| c.contains(ip)) {
            return Err(AclDenial::Ip);
        }
        if country.is_some_and(|c| self.deny_countries.contains(&c)) {
            return Err(denied_country());
        }
        if let Some(allow) = &self.allow_cidrs {
            if !allow.iter().any(|c| c.contains(ip)) {
                return Err(AclDenial::Ip);
            }
        }
        if let Some(allow) = &self.allow_countries {
            if !country.is_some_and(|c| allow.contains(&c)) {
                return Err(denied_country());
            }
        }
        Ok(())
    }
}

/// Rules for each operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acl {
    /// Rules for [`OperationKind::Get`].
    pub get: Rules,
    /// Rules for [`OperationKind::Put`].
    pub put: Rules,
    /// Rules for [`OperationKind::ListPrefix`].
    pub list_prefix: Rules,
}

impl Acl {
    /// The same rules for every operation.
    pub fn uniform(rules: Rules) -> Self {
        Self { get: rules.clone(), put: rules.clone(), list_prefix: rules }
    }

    /// The rules that apply to `op`.
    pub fn rules(&self, op: OperationKind) -> &Rules {
        match op {
            OperationKind::Get => &self.get,
            OperationKind::Put => &self.put,
            OperationKind::ListPrefix => &self.list_prefix,
        }
    }

    /// Evaluates the rules for `op`.
    pub fn evaluate(&self, op: OperationKind, ip: IpAddr, country: Option<CountryCode>) -> Result<(), AclDenial> {
        self.rules(op).evaluate(ip, country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }
    fn cc(s: &str) -> Option<CountryCode> {
        Some(s.parse().unwrap())
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parsing_is_strict() {
        for good in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "::/0",
            "2001:db8::/32",
            "127.0.0.2",
            "::1",
            "::ffff:10.0.0.0/104",
            "::ffff:1.2.3.4",
        ] {
            assert!(good.parse::<Cidr>().is_ok(), "{good}");
        }
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10/8",
            "x",
            "10.0.0.0/08a",
            "",
            "::ffff:0.0.0.0/95",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!("::ffff:10.0.0.0/104".parse::<Cidr>().unwrap().to_string(), "10.0.0.0/8");
    }

    #[test]
    fn a_mapped_rule_is_the_parsed_address_whatever_its_text() {
        // 198.51.100.0 is c633:6400: the hex form is the same mapped network as the dotted one.
        let hex: Cidr = "::ffff:c633:6400/120".parse().unwrap();
        assert_eq!(hex, "::ffff:198.51.100.0/120".parse().unwrap());
        assert_eq!(hex, "198.51.100.0/24".parse().unwrap());
        assert!(hex.contains(ip("198.51.100.7")));
        assert!(hex.contains(ip("::ffff:c633:64ff")));
        assert!(!hex.contains(ip("198.51.101.7")));
        assert!("::ffff:c633:6401/120".parse::<Cidr>().is_err(), "host bits set");
        assert!("::ffff:c633:6400/95".parse::<Cidr>().is_err(), "shorter than /96");
    }

    #[test]
    fn cidr_matching_v4_v6_and_mapped() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.255.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.1.0.1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("::ffff:1.2.3.4")));
        assert!(!"::/0".parse::<Cidr>().unwrap().contains(ip("1.2.3.4")));
    }

    #[test]
    fn default_rules_allow_listed_countries_only() {
        let r = Rules::default();
        assert_eq!(r.evaluate(ip("1.2.3.4"), cc("nl")), Ok(()));
        assert_eq!(r.evaluate(ip("1.2.3.4"), cc("FR")), Err(AclDenial::Country { country: cc("FR") }));
        assert_eq!(r.evaluate(ip("1.2.3.4"), None), Err(AclDenial::Country { country: None }));
    }

    #[test]
    fn deny_wins_and_order_is_fixed() {
        let r = Rules {
            allow_cidrs: Some(cidrs(&["127.0.0.0/8"])),
            deny_cidrs: cidrs(&["127.0.0.2"]),
            allow_countries: Some(vec!["US".parse().unwrap()]),
            deny_countries: vec!["US".parse().unwrap(), "RU".parse().unwrap()],
        };
        assert_eq!(r.evaluate(ip("127.0.0.2"), cc("RU")), Err(AclDenial::Ip));
        assert_eq!(r.evaluate(ip("::ffff:127.0.0.2"), cc("CA")), Err(AclDenial::Ip));
        assert_eq!(r.evaluate(ip("127.0.0.1"), cc("US")), Err(AclDenial::Country { country: cc("US") }));
        assert_eq!(r.evaluate(ip("10.0.0.1"), cc("CA")), Err(AclDenial::Ip));
        assert_eq!(r.evaluate(ip("127.0.0.1"), cc("CA")), Err(AclDenial::Country { country: cc("CA") }));
        let open = Rules { allow_countries: None, ..Rules::default() };
        assert_eq!(open.evaluate(ip("8.8.8.8"), None), Ok(()));
        let closed = Rules { allow_cidrs: Some(vec![]), allow_countries: None, ..Rules::default() };
        assert_eq!(closed.evaluate(ip("8.8.8.8"), cc("US")), Err(AclDenial::Ip));
    }

    #[test]
    fn rules_are_per_operation() {
        let acl = Acl { put: Rules { deny_cidrs: cidrs(&["0.0.0.0/0"]), ..Rules::default() }, ..Acl::default() };
        assert_eq!(acl.evaluate(OperationKind::Get, ip("1.1.1.1"), cc("US")), Ok(()));
        assert_eq!(acl.evaluate(OperationKind::Put, ip("1.1.1.1"), cc("US")), Err(AclDenial::Ip));
        assert_eq!(acl.evaluate(OperationKind::ListPrefix, ip("1.1.1.1"), cc("US")), Ok(()));
    }

    #[test]
    fn country_codes() {
        assert_eq!("gb".parse::<CountryCode>().unwrap().as_str(), "GB");
        for bad in ["", "G", "GBR", "G1", "ÄB"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad}");
        }
    }
}
