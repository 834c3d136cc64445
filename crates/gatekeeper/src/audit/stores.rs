//! Which databases can keep the audit log: the one place that maps [`AuditStore`] to a
//! [`Store`] implementation.
//!
//! To add a database, add one file implementing [`Store`] and one arm in [`open`] (and its
//! settings in [`AuditStore`]). This module must never read or write a log itself.

use std::future::Future;

use super::store::{Role, Store};
use super::{postgres, sqlite, AuditError, AuditSettings, AuditStore};

/// Opens the store `settings` name, for `role`, on the current Tokio runtime (a PostgreSQL
/// session's driver runs there).
pub(super) async fn open(settings: &AuditSettings, role: Role) -> Result<Box<dyn Store>, AuditError> {
    Ok(match &settings.store {
        AuditStore::Sqlite => Box::new(sqlite::SqliteStore::open(&settings.path, settings.max_db_pages, role)?),
        AuditStore::Postgres(pg) => Box::new(postgres::PgStore::open(pg, role).await?),
    })
}

/// Where a store thread says whether its store opened (and what its body found there).
pub(super) type Ready<R> = std::sync::mpsc::SyncSender<Result<R, AuditError>>;

/// Starts a thread named `name` with a runtime of its own, opens the store `settings` name there
/// for `role`, and runs `body` with it; `body` sends what it is ready with. Blocks until then, so
/// that a store that cannot open fails here. A blocking store never holds up the server's workers.
pub(super) fn spawn<R, F, Fut>(name: &str, settings: &AuditSettings, role: Role, body: F) -> Result<R, AuditError>
where
    R: Send + 'static,
    F: FnOnce(Box<dyn Store>, Ready<R>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let failed = |what: &str, e: std::io::Error| {
        tracing::error!(error = %e, "cannot start the audit {what}");
        AuditError::Open
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| failed(name, e))?;
    let (ready, opened) = std::sync::mpsc::sync_channel(1);
    let settings = settings.clone();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                match open(&settings, role).await {
                    Ok(store) => body(store, ready).await,
                    Err(e) => {
                        let _gone = ready.send(Err(e));
                    }
                }
            })
        })
        .map_err(|e| failed(name, e))?;
    opened.recv().unwrap_or(Err(AuditError::Open))
}
