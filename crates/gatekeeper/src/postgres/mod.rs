//! Reaching PostgreSQL: the settings, connecting (TLS, timeouts, session settings), telling a lost
//! session from a refused statement, and `Link`, one shared connection that reconnects.
//!
//! Used by the PostgreSQL audit store and by the shared replay cache; each of them owns its own
//! tables. The connection URL holds a password: it is kept in a [`Secret`], never logged, and no
//! error message here repeats it. This module must never build SQL from caller text and never
//! connect without TLS to anything but a loopback host or a Unix socket.

use core::fmt;
use core::str::FromStr;
use std::net::IpAddr;
use std::path::PathBuf;

use tokio_postgres::config::{Host, SslMode};

use crate::secret::Secret;

mod connect;
mod link;

pub(crate) use connect::{connect, connection_lost, Unreachable};
pub(crate) use link::Link;

/// A `u64` as PostgreSQL stores it: the `i64` with the same bits (lossless, as in SQLite).
pub(crate) fn u64_to_pg(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// Whether the connection to PostgreSQL is encrypted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PostgresTls {
    /// TLS 1.2 or 1.3, the server's certificate checked against the webpki roots (and
    /// [`PostgresSettings::ca_file`]) and its name. The default.
    #[default]
    Require,
    /// No TLS: allowed only for a loopback host or a Unix socket.
    Disable,
}

/// How to reach the PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresSettings {
    /// The connection string (`postgres://user:password@host:port/dbname`, or libpq's `key=value`
    /// form). It holds a password: never log it.
    pub url: Secret<String>,
    /// TLS or not.
    pub tls: PostgresTls,
    /// Extra trusted root certificates (PEM), e.g. a cloud provider's database CA bundle.
    pub ca_file: Option<PathBuf>,
}

/// What is wrong with [`PostgresSettings`], and which of its fields it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsProblem {
    /// The URL (the message never repeats it).
    Url(&'static str),
    /// The TLS choice.
    Tls(&'static str),
    /// The CA file.
    CaFile(String),
}

impl fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsProblem::Url(m) | SettingsProblem::Tls(m) => f.write_str(m),
            SettingsProblem::CaFile(m) => f.write_str(m),
        }
    }
}

impl PostgresSettings {
    /// Settings for `url` with `tls` and no extra CA.
    pub fn new(url: Secret<String>, tls: PostgresTls) -> Self {
        Self { url, tls, ca_file: None }
    }

    /// Checks everything that can be checked without connecting: the URL parses and names a host,
    /// `disable` only for a loopback host or a Unix socket, `require` only over TCP, and the CA
    /// file holds certificates.
    pub fn check(&self) -> Result<(), SettingsProblem> {
        self.client_config().map(|_| ())?;
        if let Some(path) = &self.ca_file {
            connect::load_ca(path).map_err(SettingsProblem::CaFile)?;
        }
        Ok(())
    }

    /// The client configuration: the URL with TLS, timeouts and keepalives set by these settings.
    fn client_config(&self) -> Result<tokio_postgres::Config, SettingsProblem> {
        let mut config = tokio_postgres::Config::from_str(self.url.expose()).map_err(|_| {
            SettingsProblem::Url("not a valid PostgreSQL connection URL (postgres://user:password@host:port/dbname)")
        })?;
        let hosts = config.get_hosts();
        let addrs = config.get_hostaddrs();
        if hosts.is_empty() && addrs.is_empty() {
            return Err(SettingsProblem::Url("the connection URL names no host"));
        }
        let unix = hosts.iter().any(|h| !matches!(h, Host::Tcp(_)));
        let local = hosts.iter().all(|h| match h {
            Host::Tcp(name) => is_loopback_name(name),
            _ => true,
        }) && addrs.iter().all(IpAddr::is_loopback);
        match self.tls {
            PostgresTls::Require if unix => {
                return Err(SettingsProblem::Tls(
                    "\"require\" needs a TCP host; a Unix socket is local, use \"disable\" for it",
                ));
            }
            PostgresTls::Disable if !local => {
                return Err(SettingsProblem::Tls(
                    "\"disable\" is allowed only for a loopback host (127.0.0.1, ::1, localhost) or a Unix socket",
                ));
            }
            _ => {}
        }
        config.ssl_mode(match self.tls {
            PostgresTls::Require => SslMode::Require,
            PostgresTls::Disable => SslMode::Disable,
        });
        config.connect_timeout(connect::CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(core::time::Duration::from_secs(30));
        config.application_name("s3-gatekeeper");
        Ok(config)
    }
}

fn is_loopback_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, tls: PostgresTls) -> Result<(), SettingsProblem> {
        PostgresSettings::new(Secret::new(url.to_owned()), tls).check()
    }

    #[test]
    fn urls_and_tls_choices_are_checked_without_repeating_the_url() {
        assert_eq!(check("postgres://gk:pw@db.example:5432/audit", PostgresTls::Require), Ok(()));
        assert_eq!(check("postgres://gk:pw@127.0.0.1:5432/audit", PostgresTls::Disable), Ok(()));
        assert_eq!(check("postgres://gk:pw@[::1]/audit", PostgresTls::Disable), Ok(()));
        assert_eq!(check("postgres://gk:pw@localhost/audit", PostgresTls::Disable), Ok(()));
        assert_eq!(check("host=/run/postgresql user=gk", PostgresTls::Disable), Ok(()));
        assert!(matches!(check("host=/run/postgresql user=gk", PostgresTls::Require), Err(SettingsProblem::Tls(_))));
        assert!(matches!(check("postgres://gk:pw@10.0.0.5/audit", PostgresTls::Disable), Err(SettingsProblem::Tls(_))));
        let bad = check("postgres://gk:hunter2@[nope/audit", PostgresTls::Require).unwrap_err();
        assert!(matches!(bad, SettingsProblem::Url(_)));
        assert!(!bad.to_string().contains("hunter2"));
        assert!(matches!(check("user=gk", PostgresTls::Require), Err(SettingsProblem::Url(_))));
    }
}
