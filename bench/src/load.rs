//! The load loop: N keep-alive HTTP/1.1 connections send requests back to
//! back until a request count or a time limit is reached. Only answers with
//! the expected status count as done.

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderValue;
use hyper_util::rt::TokioIo;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request's body: the plan's, whole.
type Body = Full<Bytes>;

/// How much load, and where: every request is a POST of `body` to `url`.
#[derive(Clone)]
pub struct LoadPlan {
    pub url: String,
    pub body: Arc<str>,
    pub connections: usize,
    pub max_requests: usize,
    pub max_time: Duration,
    pub expected: reqwest::StatusCode,
}

/// What a load run achieved.
pub struct LoadResult {
    /// Answers with the expected status.
    pub done: usize,
    /// Other answers and transport errors.
    pub failed: usize,
    pub elapsed: Duration,
    pub latencies: Latencies,
}

impl LoadResult {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sorted latencies of the successful requests.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The `q`-quantile (0..=1) in milliseconds, if there are samples.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let last = self.0.len().checked_sub(1)?;
        let index = ((last as f64) * q).round() as usize;
        Some(self.0[index].as_secs_f64() * 1_000.0)
    }
}

pub async fn run(plan: LoadPlan) -> anyhow::Result<LoadResult> {
    let target = Target::of(&plan)?;
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        workers.push(tokio::spawn(connection(
            target.clone(),
            plan.clone(),
            issued.clone(),
            started,
        )));
    }
    let mut samples = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (ok, bad) = worker.await?;
        samples.extend(ok);
        failed += bad;
    }
    Ok(LoadResult {
        done: samples.len(),
        failed,
        elapsed: started.elapsed(),
        latencies: Latencies::new(samples),
    })
}

/// Where the requests go, parsed once: the load generator shares the cores
/// with the gateway, so each request costs it no more than building the
/// request and one HTTP/1.1 exchange on a connection of its own.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    uri: hyper::Uri,
    body: Bytes,
}

impl Target {
    fn of(plan: &LoadPlan) -> anyhow::Result<Self> {
        let uri: hyper::Uri = plan.url.parse()?;
        let authority = uri.authority().context("the load URL has no host")?;
        let addr = authority
            .as_str()
            .to_socket_addrs()?
            .next()
            .context("the load URL's host has no address")?;
        let body = Bytes::copy_from_slice(plan.body.as_bytes());
        Ok(Self { addr, uri, body })
    }

    /// A keep-alive HTTP/1.1 connection; its driver runs as a task.
    async fn connect(&self) -> anyhow::Result<SendRequest<Body>> {
        let stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(driver);
        Ok(sender)
    }

    fn request(&self) -> hyper::Request<Body> {
        let mut request = hyper::Request::new(Body::new(self.body.clone()));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        headers.insert("x-api-key", HeaderValue::from_static(crate::gateway::KEY));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Some(host) = self.uri.authority() {
            if let Ok(host) = HeaderValue::from_str(host.as_str()) {
                headers.insert("host", host);
            }
        }
        request
    }

    /// One exchange: whether the answer had the expected status and a whole
    /// body.
    async fn exchange(
        &self,
        sender: &mut SendRequest<Body>,
        expected: reqwest::StatusCode,
    ) -> anyhow::Result<bool> {
        sender.ready().await?;
        let response = sender.send_request(self.request()).await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok(status == expected.as_u16())
    }
}

/// One connection's loop: returns the latencies of its successes and the
/// count of its failures (a failed exchange opens a new connection).
async fn connection(
    target: Target,
    plan: LoadPlan,
    issued: Arc<AtomicUsize>,
    started: Instant,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut open: Option<SendRequest<Body>> = None;
    while issued.fetch_add(1, Ordering::Relaxed) < plan.max_requests && started.elapsed() < plan.max_time {
        let sent = Instant::now();
        let sender = match open.as_mut() {
            Some(sender) => sender,
            None => match target.connect().await {
                Ok(sender) => open.insert(sender),
                Err(_) => {
                    failed += 1;
                    continue;
                }
            },
        };
        match target.exchange(sender, plan.expected).await {
            Ok(true) => latencies.push(sent.elapsed()),
            Ok(false) => failed += 1,
            Err(_) => {
                failed += 1;
                open = None;
            }
        }
    }
    (latencies, failed)
}
