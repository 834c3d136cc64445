//! One HTTP server of the dev stack, on a listener the caller bound, until it is stopped: the
//! vendor's router with the gatekeeper crate's plain [`http::serve`], and the gatekeeper itself with
//! [`http::serve_gatekeeper`] exactly as `gatekeeper serve` runs it (transport refusals audited).
//!
//! It must never listen anywhere but the loopback listener it is given.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use s3gk_gatekeeper::authorize::Gatekeeper;
use s3gk_gatekeeper::http;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The largest request header block either server accepts.
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Completes when the server is asked to stop.
type Stopped = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A router being served in a background task.
#[derive(Debug)]
pub(crate) struct Server {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves `app` on `listener` in a task of the current runtime.
    pub(crate) fn spawn(listener: TcpListener, app: Router) -> std::io::Result<Server> {
        Self::start(listener, |listener, stopped| http::serve(listener, app, MAX_HEADER_BYTES, stopped))
    }

    /// Serves the gatekeeper `gk` on `listener` in a task of the current runtime.
    pub(crate) fn spawn_gatekeeper(listener: TcpListener, gk: Arc<Gatekeeper>) -> std::io::Result<Server> {
        Self::start(listener, |listener, stopped| http::serve_gatekeeper(listener, gk, stopped))
    }

    fn start<F, S>(listener: TcpListener, serve: F) -> std::io::Result<Server>
    where
        F: FnOnce(TcpListener, Stopped) -> S,
        S: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped: Stopped = Box::pin(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve(listener, stopped));
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
