//! One HTTP server of the dev stack (the gatekeeper's or the vendor's), served by the gatekeeper's
//! own [`http::serve`] on a listener the caller bound, until it is stopped.
//!
//! It must never listen anywhere but the loopback listener it is given.

use axum::Router;
use s3gk_gatekeeper::http;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The largest request header block either server accepts.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A router being served in a background task.
#[derive(Debug)]
pub(crate) struct Server {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves `app` on `listener` in a task of the current runtime.
    pub(crate) fn spawn(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<Server> {
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve(listener, app, MAX_HEADER_BYTES, async move {
            let _ = stopped.await;
        }));
        Ok(Server { url, stop: Some(stop), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting, and waits for open requests to finish (at most ten seconds).
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            if let Ok(Err(e)) = task.await {
                tracing::warn!(error = %e, url = %self.url, "server ended with an error");
            }
        }
    }
}
