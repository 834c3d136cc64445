//! The replay cache shared by several gatekeeper instances: the `replay_nonces` table, in the
//! PostgreSQL database of the audit store (this module creates it; the audit log does not use it).
//!
//! One statement checks and inserts atomically: `INSERT … ON CONFLICT (nonce) DO UPDATE … WHERE
//! replay_nonces.until < now RETURNING`. A new nonce is inserted; a remembered one whose memory ran
//! out is taken over; a live one returns no row, and the request is a replay. Two instances racing
//! on one nonce serialize on its row, so only one passes. Expired rows are deleted every
//! [`PURGE_EVERY`] checks, in the background. Any database failure refuses the request: this
//! module must never let a nonce pass that it could not record.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::postgres::{u64_to_pg, Link, PostgresSettings};

use super::ReplayError;

/// The table, created on the first connection. The name and columns are those earlier versions
/// created with the audit tables, so existing databases keep working. The advisory lock keeps
/// instances starting together from racing on `CREATE`.
const SCHEMA: &str = "
SELECT pg_advisory_xact_lock(8301092249034450288);
CREATE TABLE IF NOT EXISTS replay_nonces (
    nonce BYTEA PRIMARY KEY,
    until BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS replay_nonces_until ON replay_nonces (until);
";
/// The check-and-insert (`$1` nonce, `$2` remember until, `$3` now).
const CHECK: &str = "INSERT INTO replay_nonces (nonce, until) VALUES ($1, $2) \
     ON CONFLICT (nonce) DO UPDATE SET until = EXCLUDED.until WHERE replay_nonces.until < $3 \
     RETURNING until";
/// Deletes expired nonces (`$1` now).
const PURGE: &str = "DELETE FROM replay_nonces WHERE until < $1";
/// Purge after this many checks by this instance.
const PURGE_EVERY: u32 = 4096;
/// The longest one check may take before the request is refused.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Seen nonces in PostgreSQL.
pub(super) struct SharedNonces {
    link: Arc<Link>,
    checks: AtomicU32,
}

impl SharedNonces {
    pub(super) fn new(settings: PostgresSettings) -> Self {
        let link = Link::new(settings, Some(CHECK_TIMEOUT), SCHEMA, &[CHECK, PURGE]);
        Self { link: Arc::new(link), checks: AtomicU32::new(0) }
    }

    /// Opens the connection if it is not open.
    pub(super) async fn connect(&self) -> Result<(), ReplayError> {
        self.link.get().await.map(|_| ()).map_err(|_| ReplayError::Unavailable)
    }

    /// See [`ReplayCache::check_and_insert`](super::ReplayCache::check_and_insert).
    pub(super) async fn check_and_insert(&self, nonce: [u8; 16], until: u64, now: u64) -> Result<(), ReplayError> {
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&nonce.as_slice(), &u64_to_pg(until), &u64_to_pg(now)];
        let params = &params;
        // A check whose session was lost runs once more on a new one. Had the lost statement
        // run, the retry refuses the request as a replay: closed, never open.
        let passed = self
            .link
            .run(CHECK_TIMEOUT, "replay check", move |connected| async move {
                let check = connected.statement(0).expect("the check is prepared on every session");
                connected.client.query_opt(check, params).await.map(|row| row.is_some())
            })
            .await
            .map_err(|_| ReplayError::Unavailable);
        let passed = passed?;
        if self.checks.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            let link = Arc::clone(&self.link);
            tokio::spawn(async move { purge(&link, now).await });
        }
        if passed {
            Ok(())
        } else {
            Err(ReplayError::Replayed)
        }
    }
}

/// Deletes the nonces whose memory ran out before `now`. A failure only delays the purge.
async fn purge(link: &Link, now: u64) {
    let Ok(connected) = link.get().await else { return };
    let Some(purge) = connected.statement(1) else { return };
    match connected.client.execute(purge, &[&u64_to_pg(now)]).await {
        Ok(deleted) => tracing::debug!(deleted, "expired nonces purged"),
        Err(e) => tracing::warn!(error = %e, "purging expired nonces failed"),
    }
}
