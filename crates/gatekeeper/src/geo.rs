//! Country lookup for client addresses, from a MaxMind-format (`.mmdb`) database.
//!
//! Two record schemas are read: MaxMind's GeoLite2/GeoIP2-Country (`country.iso_code`, falling
//! back to `registered_country.iso_code`) and ip-location-db's `*-country-mmdb` (a top-level
//! `country_code`). Addresses a database cannot place are handled before any lookup: loopback maps
//! to [`GeoSettings::loopback_country`]; private, link-local, unique-local and carrier-grade NAT
//! addresses map to [`GeoSettings::private_country`]; both default to `None`, *unknown*, which the
//! default country allow list denies. Unspecified, multicast, broadcast and documentation addresses
//! are unknown too (public databases place documentation ranges in arbitrary countries).
//!
//! This module must never guess: an address the database does not cover, a record without a valid
//! two-letter code, or a database read error all give `None`, never a default country.

use core::fmt;
use core::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use maxminddb::Reader;
use s3gk_protocol::policy::acl::{normalize_ip, CountryCode};
use serde::Deserialize;

/// The environment variable naming the database when the configuration does not.
pub const DATABASE_ENV: &str = "S3GK_GEO_DB";

/// The development default: ip-location-db's country database, installed into the repository's
/// `node_modules` by `scripts/setup.sh`. A deployed binary must name its database in the config.
pub const DEV_DATABASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
);

/// Which database to read, and what addresses it cannot place map to.
#[derive(Clone, Debug, Default)]
pub struct GeoSettings {
    /// The `.mmdb` file. `None`: `$S3GK_GEO_DB`, else the development default [`DEV_DATABASE`].
    pub database: Option<PathBuf>,
    /// The country for loopback addresses (`None`: unknown, the safe default).
    pub loopback_country: Option<CountryCode>,
    /// The country for private and link-local addresses (`None`: unknown, the safe default).
    pub private_country: Option<CountryCode>,
}

impl GeoSettings {
    /// The database file to open: the configured one, else `$S3GK_GEO_DB` (read through `env`),
    /// else [`DEV_DATABASE`] if it exists.
    pub fn database_path(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, GeoError> {
        if let Some(path) = &self.database {
            return Ok(path.clone());
        }
        if let Some(path) = env(DATABASE_ENV).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        let dev = Path::new(DEV_DATABASE);
        if dev.is_file() {
            return Ok(dev.to_path_buf());
        }
        Err(GeoError::NoDatabase)
    }
}

/// Why the database could not be opened. Messages name the file, never its contents.
#[non_exhaustive]
#[derive(Debug)]
pub enum GeoError {
    /// No database configured, `$S3GK_GEO_DB` unset, and the development default is absent.
    NoDatabase,
    /// The file could not be read.
    Unreadable(PathBuf, std::io::Error),
    /// The file is not a MaxMind DB.
    Invalid(PathBuf, String),
}

impl fmt::Display for GeoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeoError::NoDatabase => write!(
                f,
                "no geo database: set geo.database in the config (or {DATABASE_ENV}); in a checkout, \
                 scripts/setup.sh installs the development default"
            ),
            GeoError::Unreadable(path, e) => write!(f, "cannot read geo database {}: {e}", path.display()),
            GeoError::Invalid(path, why) => write!(f, "{} is not a MaxMind DB: {why}", path.display()),
        }
    }
}

impl std::error::Error for GeoError {}

/// A country database and the mapping for addresses it cannot place.
pub struct Geo {
    reader: Option<Reader<Vec<u8>>>,
    loopback_country: Option<CountryCode>,
    private_country: Option<CountryCode>,
}

impl fmt::Debug for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geo")
            .field("database_type", &self.reader.as_ref().map(|r| r.metadata.database_type.as_str()))
            .field("loopback_country", &self.loopback_country)
            .field("private_country", &self.private_country)
            .finish()
    }
}

impl Geo {
    /// Opens the database [`GeoSettings::database_path`] names, reading `$S3GK_GEO_DB` from the
    /// process environment. The whole file is read into memory.
    pub fn open(settings: &GeoSettings) -> Result<Geo, GeoError> {
        let path = settings.database_path(&|k| std::env::var(k).ok())?;
        let bytes = std::fs::read(&path).map_err(|e| GeoError::Unreadable(path.clone(), e))?;
        Self::from_bytes(bytes, settings).map_err(|why| GeoError::Invalid(path, why))
    }

    /// A database already in memory.
    pub fn from_bytes(bytes: Vec<u8>, settings: &GeoSettings) -> Result<Geo, String> {
        let reader = Reader::from_source(bytes).map_err(|e| e.to_string())?;
        Ok(Self { reader: Some(reader), ..Self::without_database(settings) })
    }

    /// No database: only loopback and private addresses have a country (if configured); every
    /// public address is unknown. For deployments whose ACL has no country rules.
    pub fn without_database(settings: &GeoSettings) -> Geo {
        Self { reader: None, loopback_country: settings.loopback_country, private_country: settings.private_country }
    }

    /// The country of `ip` (IPv4-mapped addresses normalised first), or `None` if unknown.
    pub fn country(&self, ip: IpAddr) -> Option<CountryCode> {
        let ip = normalize_ip(ip);
        match classify(ip) {
            Range::Loopback => return self.loopback_country,
            Range::Private => return self.private_country,
            Range::Unroutable => return None,
            Range::Public => {}
        }
        let record = match self.reader.as_ref()?.lookup::<CountryRecord<'_>>(ip) {
            Ok(record) => record?,
            Err(e) => {
                tracing::warn!(error = %e, "geo database lookup failed; country unknown");
                return None;
            }
        };
        record.country_code()
    }
}

/// What kind of address, for the mapping that precedes a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Range {
    Loopback,
    Private,
    Unroutable,
    Public,
}

/// Classifies a normalised address.
fn classify(ip: IpAddr) -> Range {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            let cgnat = a == 100 && (b & 0xc0) == 64; // 100.64.0.0/10
            if v4.is_loopback() {
                Range::Loopback
            } else if v4.is_private() || v4.is_link_local() || cgnat {
                Range::Private
            } else if v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.is_documentation() {
                Range::Unroutable
            } else {
                Range::Public
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                Range::Loopback
            } else if v6.is_unique_local() || v6.is_unicast_link_local() {
                Range::Private
            } else if v6.is_unspecified() || v6.is_multicast() || is_documentation_v6(v6) {
                Range::Unroutable
            } else {
                Range::Public
            }
        }
    }
}

/// `2001:db8::/32` and `3fff::/20` (RFC 3849, RFC 9637).
fn is_documentation_v6(v6: Ipv6Addr) -> bool {
    let [a, b, ..] = v6.segments();
    (a == 0x2001 && b == 0x0db8) || (a == 0x3fff && (b & 0xf000) == 0)
}

/// The fields of a country record in either schema; everything else is skipped unread.
#[derive(Debug, Default, Deserialize)]
struct CountryRecord<'a> {
    /// ip-location-db: `{"country_code": "US"}`.
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    /// GeoLite2: where the address is.
    #[serde(borrow, default)]
    country: Option<IsoCode<'a>>,
    /// GeoLite2: where the network is registered (the only field for some anycast networks).
    #[serde(borrow, default)]
    registered_country: Option<IsoCode<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

impl CountryRecord<'_> {
    /// The first valid code of: `country_code`, `country.iso_code`, `registered_country.iso_code`.
    fn country_code(&self) -> Option<CountryCode> {
        let country = self.country.as_ref().and_then(|c| c.iso_code);
        let registered = self.registered_country.as_ref().and_then(|c| c.iso_code);
        [self.country_code, country, registered].into_iter().flatten().find_map(|code| code.parse().ok())
    }
}

#[cfg(test)]
mod tests;
