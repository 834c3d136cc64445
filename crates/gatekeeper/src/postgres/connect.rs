//! Connecting to PostgreSQL: TLS, timeouts, the settings every session gets, and telling a lost
//! session from a statement the server refused.
//!
//! TLS is rustls with the ring provider, trusting the webpki roots plus an optional CA file. Every
//! session commits durably (`synchronous_commit = on`, whatever the server's default) and cannot
//! hold a lock for long. This module must never log the connection URL or put it into an error.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_postgres::{Client, Connection, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{PostgresSettings, PostgresTls};

/// How long opening a connection (TCP, TLS, authentication, session settings) may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The database could not be reached (the cause is logged, never returned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unreachable;

/// Opens a connection, applies the session settings (and `statement_timeout`, if any), and
/// spawns its driver on the current Tokio runtime.
pub(crate) async fn connect(
    settings: &PostgresSettings,
    statement_timeout: Option<Duration>,
) -> Result<Client, Unreachable> {
    let attempt = async {
        let config = settings.client_config().map_err(|_| {
            tracing::error!("the PostgreSQL connection URL does not parse");
            Unreachable
        })?;
        let client = match settings.tls {
            PostgresTls::Disable => start(config.connect(NoTls).await)?,
            PostgresTls::Require => start(config.connect(MakeRustlsConnect::new(tls_config(settings)?)).await)?,
        };
        let mut session = String::from(
            "SET synchronous_commit = on; SET idle_in_transaction_session_timeout = '30s'; SET lock_timeout = '5s';",
        );
        if let Some(limit) = statement_timeout {
            session.push_str(&format!(" SET statement_timeout = '{}ms';", limit.as_millis()));
        }
        client.batch_execute(&session).await.map_err(|e| {
            tracing::error!(error = %e, "cannot set up the PostgreSQL session");
            Unreachable
        })?;
        Ok(client)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt).await.unwrap_or_else(|_| {
        tracing::error!("connecting to PostgreSQL timed out");
        Err(Unreachable)
    })
}

/// Spawns the driver of a new connection and returns its client.
fn start<S, T>(connected: Result<(Client, Connection<S, T>), tokio_postgres::Error>) -> Result<Client, Unreachable>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = connected.map_err(|e| {
        tracing::error!(error = %e, "cannot connect to PostgreSQL");
        Unreachable
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection lost");
        }
    });
    Ok(client)
}

/// The rustls configuration: ring, TLS 1.2+, webpki roots plus the configured CA file.
fn tls_config(settings: &PostgresSettings) -> Result<rustls::ClientConfig, Unreachable> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = &settings.ca_file {
        let certs = load_ca(path).map_err(|e| {
            tracing::error!(error = %e, "cannot read the PostgreSQL CA file");
            Unreachable
        })?;
        let (_added, ignored) = roots.add_parsable_certificates(certs);
        if ignored > 0 {
            tracing::warn!(ignored, "some certificates of the PostgreSQL CA file are not usable roots");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            tracing::error!(error = %e, "cannot configure TLS");
            Unreachable
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The certificates of a PEM file; an error names what is wrong (never the file's content).
pub(super) fn load_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("cannot read certificates from {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no PEM certificate in {}", path.display()));
    }
    Ok(certs)
}

/// True when `error` means the session is gone: the client saw the connection close, or the server
/// ended the session itself (SQLSTATE class 57, operator intervention: `admin_shutdown` after
/// `pg_terminate_backend` or a failover, `crash_shutdown`, `cannot_connect_now`). The server may
/// deliver that as the answer to the next statement, so a database error can mean a dead session.
pub(crate) fn connection_lost(error: &tokio_postgres::Error, client: &Client) -> bool {
    client.is_closed() || error.code().is_some_and(|code| code.code().starts_with("57"))
}
