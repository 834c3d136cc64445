//! Assembles a running gatekeeper from validated settings.
//!
//! Opens the country database, the audit log and the S3 client, and sets up the replay cache: in
//! memory, warmed from the audit log's unexpired nonces that were spent (every grant, and every
//! refusal after both signatures verified) so a restart never reopens a replay window,
//! or, with the PostgreSQL audit store, the table all instances share. Fails with a message naming
//! the part that could not start; never starts half-configured.

use std::fmt;
use std::sync::Arc;

use crate::audit::{AuditError, AuditLog, AuditStore};
use crate::authorize::{spent_nonce, Gatekeeper};
use crate::clock::{unix_secs, Clock, SystemClock};
use crate::config::Settings;
use crate::geo::{Geo, GeoError};
use crate::metrics::Metrics;
use crate::replay::ReplayCache;
use crate::s3::{S3Client, S3Error};

/// Why the gatekeeper could not start.
#[non_exhaustive]
#[derive(Debug)]
pub enum StartError {
    /// The country database could not be opened.
    Geo(GeoError),
    /// The audit log could not be opened or read.
    Audit(AuditError),
    /// The S3 client could not be built.
    S3(S3Error),
    /// The shared replay cache (PostgreSQL) could not be reached.
    Replay,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Geo(e) => write!(f, "country database: {e}"),
            StartError::Audit(e) => write!(f, "audit log: {e}"),
            StartError::S3(e) => write!(f, "s3: {e}"),
            StartError::Replay => f.write_str("replay cache: cannot reach the shared nonce table"),
        }
    }
}

impl std::error::Error for StartError {}

/// Builds the shared state the HTTP layer serves (on the current Tokio runtime, where the shared
/// replay cache's session runs; the audit log's writer and reader have threads of their own), on
/// the system clock.
pub async fn start(settings: Settings) -> Result<Arc<Gatekeeper>, StartError> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

/// [`start`], with every part of the service asking `clock` for the time.
pub async fn start_with_clock(mut settings: Settings, clock: Arc<dyn Clock>) -> Result<Arc<Gatekeeper>, StartError> {
    settings.audit.clock = clock.clone();
    let geo = Geo::open(&settings.geo).map_err(StartError::Geo)?;
    let audit = AuditLog::connect(
        &settings.audit,
        settings.signing_key.clone(),
        settings.signing_key_id.clone(),
        settings.gatekeeper_id.clone(),
    )
    .await
    .map_err(StartError::Audit)?;
    let replay = match &settings.audit.store {
        AuditStore::Postgres(pg) => {
            let replay = ReplayCache::shared(pg.clone());
            replay.connect().await.map_err(|_| StartError::Replay)?;
            replay
        }
        AuditStore::Sqlite => {
            let replay = ReplayCache::new();
            let now = unix_secs(clock.now());
            let skew = settings.verify.time.max_skew();
            let used = audit.unexpired_nonces(now.saturating_sub(skew)).map_err(StartError::Audit)?;
            replay.warm(
                used.into_iter()
                    .filter(|u| spent_nonce(u.decision, &u.reason))
                    .map(|u| (u.nonce, u.expires_at.saturating_add(skew))),
                now,
            );
            replay
        }
    };
    let s3 = S3Client::new(settings.s3.clone()).map_err(StartError::S3)?.with_clock(clock.clone());
    Ok(Arc::new(Gatekeeper { settings, geo, replay, audit, s3, metrics: Metrics::default(), clock }))
}
