//! The accept loop. hyper 0.14's `Server` ended for good on the first
//! failed accept, so running out of file descriptors (EMFILE, ENFILE)
//! stopped the gateway's HTTP (hyper 1 has no accept loop of its own);
//! here a failed accept is counted (`wagate_http_accept_errors_total`)
//! and followed by a short pause, and the loop goes on. At most
//! HTTP_MAX_CONNECTIONS connections are open at once: at the bound, new
//! ones wait in the listen backlog until one closes
//! (`wagate_http_connection_limit_reached_total`). Each connection runs in
//! `connection`, within its timeouts. At stop the loop stops accepting and
//! waits until every connection has closed.

use crate::api::server::connection::{self, Timeouts};
use crate::metrics::Metrics;
use hyper::body::{Body, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Pause after an accept fails for want of resources (file descriptors,
/// memory): connections close meanwhile, and a busy retry would only spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub timeouts: Timeouts,
}

/// Accepts on `listener` until `stop`, serving each connection with the
/// handler `make_handler` gives for its peer's address; returns once
/// every connection has closed.
pub async fn serve<M, H, F, B>(
    listener: TcpListener,
    make_handler: M,
    limits: Limits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) where
    M: Fn(SocketAddr) -> H,
    H: Fn(Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let http = Arc::new(connection::http());
    loop {
        let slot = tokio::select! {
            _ = stop.cancelled() => break,
            slot = free_slot(&slots, &metrics, limits.max_connections) => slot,
        };
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                metrics.http_accept_errors.inc();
                if lacks_resources(&e) {
                    tracing::warn!(error = %e, "cannot accept an HTTP connection; pausing");
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_PAUSE) => {}
                    }
                } else {
                    tracing::debug!(error = %e, "an HTTP connection failed while being accepted");
                }
                continue;
            }
        };
        let handler = make_handler(remote);
        let (http, metrics, stop) = (http.clone(), metrics.clone(), stop.clone());
        tokio::spawn(async move {
            let _open = OpenConnection::new(slot, &metrics);
            connection::serve(stream, &http, handler, limits.timeouts, &metrics, &stop).await;
        });
    }
    drop(listener);
    let every = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _all_closed = slots.acquire_many(every).await;
}

/// A slot for one more connection; waits for one to close at the bound.
async fn free_slot(slots: &Arc<Semaphore>, metrics: &Metrics, bound: usize) -> OwnedSemaphorePermit {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return slot;
    }
    metrics.http_connection_limit_reached.inc();
    tracing::warn!(
        bound,
        "HTTP_MAX_CONNECTIONS connections are open; new ones wait until one closes"
    );
    slots
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed")
}

/// Errors of the process or the system (out of descriptors, buffers,
/// memory), as against those of one connection (reset before it was taken).
fn lacks_resources(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}

/// An open connection: holds its slot and counts in the open gauge.
struct OpenConnection {
    _slot: OwnedSemaphorePermit,
    open: prometheus::IntGauge,
}

impl OpenConnection {
    fn new(slot: OwnedSemaphorePermit, metrics: &Metrics) -> Self {
        metrics.http_connections.inc();
        Self {
            _slot: slot,
            open: metrics.http_connections.clone(),
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.open.dec();
    }
}
