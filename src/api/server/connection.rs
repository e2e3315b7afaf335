//! One HTTP connection's life, bounded in time. hyper has no idle
//! timeout, and its header timeout (left off here) also runs while a
//! keep-alive connection waits between requests, so the connection's phase
//! is followed here instead: its bytes read (the stream), its requests
//! from head to the end of the answer (the service and the answer's body),
//! and a deadline per phase:
//! - a request head must come within the header timeout of the connection
//!   opening, or of its first byte after an idle spell (silent and
//!   half-sent connections are closed);
//! - a connection idle between requests is closed after the idle timeout;
//! - while a request is in progress (an event stream for as long as it
//!   lasts) no deadline runs.
//!
//! At stop, a connection still waiting for a request head closes at once;
//! hyper's graceful shutdown closes an idle one and lets a request in
//! progress finish first.

use crate::metrics::Metrics;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// HTTP/1.1 and HTTP/2 (told apart by the connection's first bytes), as
/// hyper 0.14's `Http` served them.
pub type Http = auto::Builder<TokioExecutor>;

/// The connection settings: hyper's own header timeout off (see the
/// module note; it would need a timer, and runs between requests too).
pub fn http() -> Http {
    let mut http = Http::new(TokioExecutor::new());
    http.http1().header_read_timeout(None);
    http
}

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From waiting for a request to having its whole head.
    pub header_read: Duration,
    /// Between the end of an answer and the next request's first byte.
    pub idle: Duration,
}

/// Serves `handler` on `stream` within `timeouts` until the client leaves,
/// a deadline passes, or `stop` (see the module note).
pub async fn serve<H, F, B>(
    stream: TcpStream,
    http: &Http,
    handler: H,
    timeouts: Timeouts,
    metrics: &Metrics,
    stop: &CancellationToken,
) where
    H: Fn(Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(WatchedStream {
        stream,
        activity: activity.clone(),
    });
    let tracker = activity.clone();
    let service = service_fn(move |request| {
        let in_progress = tracker.request_started();
        let answer = handler(request);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody {
                body,
                _in_progress: in_progress,
            }))
        }
    });
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        if stopping && activity.awaiting_head() {
            return;
        }
        let due = activity.deadline(&timeouts);
        if let Some((at, expiry)) = due {
            if at <= Instant::now() {
                metrics
                    .http_connection_timeouts
                    .with_label_values(&[expiry])
                    .inc();
                return;
            }
        }
        tokio::select! {
            ended = &mut connection => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "an HTTP connection ended with an error");
                }
                return;
            }
            _ = activity.changed.notified() => {}
            _ = sleep_until(due.map(|(at, _)| at)) => {}
            _ = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is between its requests.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Waiting for a request head since this moment: the connection's
    /// opening, or its first byte after an idle spell.
    AwaitingHead(Instant),
    /// This many requests in progress (HTTP/2 may run several), each from
    /// its head to the end of its answer.
    Busy(usize),
    /// Nothing in progress and nothing received since this moment.
    Idle(Instant),
}

struct Activity {
    phase: Mutex<Phase>,
    /// Woken at every change of phase, so that the deadline is redone.
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::AwaitingHead(Instant::now())),
            changed: Notify::new(),
        }
    }

    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        let next = change(*phase);
        if next != *phase {
            *phase = next;
            self.changed.notify_one();
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bytes_read(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Phase::AwaitingHead(Instant::now()),
            other => other,
        });
    }

    fn request_started(self: &Arc<Self>) -> InProgress {
        self.update(|phase| match phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        InProgress(self.clone())
    }

    fn request_ended(&self) {
        self.update(|phase| match phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }

    fn awaiting_head(&self) -> bool {
        matches!(self.phase(), Phase::AwaitingHead(_))
    }

    /// When the connection is due to close, and why; none while busy.
    fn deadline(&self, timeouts: &Timeouts) -> Option<(Instant, &'static str)> {
        match self.phase() {
            Phase::AwaitingHead(since) => Some((since + timeouts.header_read, "header_read")),
            Phase::Idle(since) => Some((since + timeouts.idle, "idle")),
            Phase::Busy(_) => None,
        }
    }
}

/// A request in progress; its end is when this is dropped (with the
/// answer's body once it is sent, or with the handler if it never
/// answers).
struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// An answer's body that keeps its request in progress until it is done.
struct TrackedBody<B> {
    body: B,
    _in_progress: InProgress,
}

impl<B: Body + Unpin> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The client's socket, telling the connection's activity when bytes come.
struct WatchedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[tokio::test(start_paused = true)]
    async fn deadlines_follow_the_phase() {
        let activity = Arc::new(Activity::new());
        let opened = Instant::now();
        assert_eq!(
            activity.deadline(&TIMEOUTS),
            Some((opened + TIMEOUTS.header_read, "header_read"))
        );
        let first = activity.request_started();
        let second = activity.request_started();
        assert_eq!(activity.deadline(&TIMEOUTS), None);
        drop(first);
        assert_eq!(activity.deadline(&TIMEOUTS), None, "one is still in progress");
        tokio::time::advance(Duration::from_secs(5)).await;
        drop(second);
        let idle_since = Instant::now();
        assert_eq!(
            activity.deadline(&TIMEOUTS),
            Some((idle_since + TIMEOUTS.idle, "idle"))
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        activity.bytes_read();
        assert_eq!(
            activity.deadline(&TIMEOUTS),
            Some((Instant::now() + TIMEOUTS.header_read, "header_read"))
        );
        assert!(activity.awaiting_head());
    }
}
