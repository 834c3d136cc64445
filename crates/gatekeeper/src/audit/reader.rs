//! Reading the audit log: the reader thread of a running log (search, live nonces), and the
//! JSON-lines export of the CLI, for every store.
//!
//! [`AuditLog::search`](super::AuditLog::search) is blocking (the admin API calls it from
//! `spawn_blocking`), so a running log reads through [`Reader`]: a thread with its own runtime and
//! its own read-only store, which a blocking caller waits for without ever blocking an async
//! runtime's driver. A read whose session turns out lost is tried once more on a fresh one. This
//! module must never write, and never answer a search with a row it could not read whole.

use std::io::Write;

use tokio::sync::mpsc;

use super::row::Malformed;
use super::store::{Role, Store, StoreError};
use super::{stores, AuditEntry, AuditError, AuditSettings, SearchQuery, UsedNonce, MAX_SEARCH_LIMIT};

type Answer<T> = std::sync::mpsc::Sender<Result<T, AuditError>>;

enum ReadJob {
    Search(SearchQuery, Answer<Vec<AuditEntry>>),
    Nonces(u64, Answer<Vec<UsedNonce>>),
}

/// The reader thread's handle. The thread stops when the handle is dropped.
pub(super) struct Reader {
    jobs: mpsc::UnboundedSender<ReadJob>,
}

impl Reader {
    /// Opens the store read-only on a thread of its own.
    pub(super) fn start(settings: &AuditSettings) -> Result<Self, AuditError> {
        let (jobs, rx) = mpsc::unbounded_channel();
        stores::spawn("audit-reader", settings, Role::Reader, |store, ready| async move {
            if ready.send(Ok(())).is_ok() {
                serve(store, rx).await;
            }
        })?;
        Ok(Self { jobs })
    }

    /// [`AuditLog::search`](super::AuditLog::search). Blocking.
    pub(super) fn search(&self, q: &SearchQuery) -> Result<Vec<AuditEntry>, AuditError> {
        let (answer, wait) = std::sync::mpsc::channel();
        self.jobs.send(ReadJob::Search(q.clone(), answer)).map_err(|_| AuditError::Query)?;
        wait.recv().unwrap_or(Err(AuditError::Query))
    }

    /// [`AuditLog::unexpired_nonces`](super::AuditLog::unexpired_nonces). Blocking.
    pub(super) fn unexpired_nonces(&self, now_secs: u64) -> Result<Vec<UsedNonce>, AuditError> {
        let (answer, wait) = std::sync::mpsc::channel();
        self.jobs.send(ReadJob::Nonces(now_secs, answer)).map_err(|_| AuditError::Query)?;
        wait.recv().unwrap_or(Err(AuditError::Query))
    }
}

/// The reader thread's body: one job at a time.
async fn serve(mut store: Box<dyn Store>, mut rx: mpsc::UnboundedReceiver<ReadJob>) {
    while let Some(job) = rx.recv().await {
        match job {
            ReadJob::Search(q, answer) => {
                let mut found = store.page(&q, q.after_seq, q.limit).await;
                if matches!(found, Err(StoreError::Lost(_))) {
                    found = store.page(&q, q.after_seq, q.limit).await;
                }
                let _gone = answer.send(found.map_err(StoreError::into_read_error).and_then(entries));
            }
            ReadJob::Nonces(now, answer) => {
                let mut found = store.live_nonces(now).await;
                if matches!(found, Err(StoreError::Lost(_))) {
                    found = store.live_nonces(now).await;
                }
                let _gone = answer.send(found.map_err(StoreError::into_read_error));
            }
        }
    }
}

/// The entries of a page, or [`AuditError::Corrupt`] at its first malformed row.
fn entries(page: Vec<Result<AuditEntry, Malformed>>) -> Result<Vec<AuditEntry>, AuditError> {
    page.into_iter().map(|row| row.map_err(|m| StoreError::Malformed(m).into_read_error())).collect()
}

/// Writes the entries of the log `settings` name that match `q` (after `q.after_seq`, at most
/// `q.limit` of them, not clamped to a page) as JSON, one entry per line, binary fields in
/// lowercase hex. Returns the number of lines written. Read-only: safe while gatekeepers write.
pub async fn export_jsonl(settings: &AuditSettings, q: &SearchQuery, out: &mut dyn Write) -> Result<u64, AuditError> {
    let mut store = stores::open(settings, Role::Reader).await?;
    let mut after = q.after_seq;
    let mut left = q.limit.max(1);
    let mut written = 0u64;
    while left > 0 {
        let page = store.page(q, after, left.min(MAX_SEARCH_LIMIT)).await.map_err(StoreError::into_read_error)?;
        let page = entries(page)?;
        left = left.saturating_sub(page.len());
        let Some(last) = page.last().map(|e| e.seq) else { break };
        for entry in &page {
            serde_json::to_writer(&mut *out, entry).map_err(|_| AuditError::Export)?;
            out.write_all(b"\n").map_err(|_| AuditError::Export)?;
        }
        written = written.saturating_add(u64::try_from(page.len()).unwrap_or(u64::MAX));
        after = Some(last);
    }
    out.flush().map_err(|_| AuditError::Export)?;
    Ok(written)
}
