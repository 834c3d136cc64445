//! [`Link`]: one shared PostgreSQL session, opened on first use and again after it broke, with its
//! owner's tables created and its statements prepared on every new session.
//!
//! [`Link::run`] is the one place that retries: a statement that finds its session lost (closed by
//! the server while this instance was idle or frozen) runs once more on a fresh one; any other
//! failure or a timeout is returned at once, so the caller refuses (fail closed). This module must
//! never retry a statement on a session that is still alive, and never log the connection URL.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Statement};

use super::{connect, connection_lost, PostgresSettings, Unreachable};

/// After a failed connection attempt, callers are refused at once for this long instead of each
/// waiting for another attempt.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// A session with the statements prepared on it.
pub(crate) struct Connected {
    /// The client (cheap to share: queries from several tasks are pipelined).
    pub(crate) client: Client,
    statements: Vec<Statement>,
}

impl Connected {
    /// The `i`-th statement of the list the [`Link`] was made with.
    pub(crate) fn statement(&self, i: usize) -> Option<&Statement> {
        self.statements.get(i)
    }
}

/// One shared session, opened on first use and again after it broke.
pub(crate) struct Link {
    settings: PostgresSettings,
    statement_timeout: Option<Duration>,
    /// Run once, in a transaction, on the first session (`CREATE … IF NOT EXISTS` of the owner's
    /// tables); empty for none.
    setup: &'static str,
    prepare: &'static [&'static str],
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    live: Option<Arc<Connected>>,
    failed_at: Option<Instant>,
    set_up: bool,
}

impl Link {
    /// A link that runs `setup` on its first session and prepares `prepare` on every session.
    pub(crate) fn new(
        settings: PostgresSettings,
        statement_timeout: Option<Duration>,
        setup: &'static str,
        prepare: &'static [&'static str],
    ) -> Self {
        Self { settings, statement_timeout, setup, prepare, state: tokio::sync::Mutex::new(State::default()) }
    }

    /// The live session, opening one if there is none. Fails at once for a short while after a
    /// failed attempt, so that an outage refuses requests quickly instead of queueing them.
    pub(crate) async fn get(&self) -> Result<Arc<Connected>, Unreachable> {
        let mut state = self.state.lock().await;
        if let Some(live) = state.live.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(Arc::clone(live));
        }
        state.live = None;
        if state.failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return Err(Unreachable);
        }
        match self.open(state.set_up).await {
            Ok(connected) => {
                let connected = Arc::new(connected);
                state.live = Some(Arc::clone(&connected));
                state.failed_at = None;
                state.set_up = true;
                Ok(connected)
            }
            Err(e) => {
                state.failed_at = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// Forgets `broken` (if it is still the live session), so the next call reconnects.
    pub(crate) async fn reset(&self, broken: &Arc<Connected>) {
        let mut state = self.state.lock().await;
        if state.live.as_ref().is_some_and(|live| Arc::ptr_eq(live, broken)) {
            state.live = None;
        }
    }

    /// Runs `query` on the live session, for at most `limit`. A session found lost is dropped and,
    /// the first time, `query` runs once more on a fresh one; any other failure (logged here as
    /// `what`) drops a session that may be broken and returns [`Unreachable`].
    pub(crate) async fn run<T, F, Fut>(
        &self,
        limit: Duration,
        what: &'static str,
        mut query: F,
    ) -> Result<T, Unreachable>
    where
        F: FnMut(Arc<Connected>) -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        for attempt in 0..2 {
            let connected = self.get().await?;
            match tokio::time::timeout(limit, query(Arc::clone(&connected))).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(e)) if connection_lost(&e, &connected.client) && attempt == 0 => {
                    // Had the lost statement run, the retry sees its effect: callers must make
                    // that refuse (closed, never open).
                    tracing::warn!(what, error = %e, "PostgreSQL session lost; retrying once on a new one");
                    self.reset(&connected).await;
                }
                Ok(Err(e)) => {
                    tracing::error!(what, error = %e, "PostgreSQL statement failed");
                    if e.as_db_error().is_none() || connection_lost(&e, &connected.client) {
                        self.reset(&connected).await;
                    }
                    return Err(Unreachable);
                }
                Err(_) => {
                    tracing::error!(what, "PostgreSQL statement timed out");
                    self.reset(&connected).await;
                    return Err(Unreachable);
                }
            }
        }
        Err(Unreachable)
    }

    async fn open(&self, set_up: bool) -> Result<Connected, Unreachable> {
        let mut client = connect(&self.settings, self.statement_timeout).await?;
        if !set_up && !self.setup.is_empty() {
            let created = async {
                let tx = client.transaction().await?;
                tx.batch_execute(self.setup).await?;
                tx.commit().await
            };
            created.await.map_err(|e| {
                tracing::error!(error = %e, "cannot create the PostgreSQL tables");
                Unreachable
            })?;
        }
        let mut statements = Vec::with_capacity(self.prepare.len());
        for sql in self.prepare {
            statements.push(client.prepare(sql).await.map_err(|e| {
                tracing::error!(error = %e, "cannot prepare a PostgreSQL statement");
                Unreachable
            })?);
        }
        Ok(Connected { client, statements })
    }
}
