//! The load loop: N keep-alive connections (one HTTP client each) send
//! requests back to back until a request count or a time limit is reached.
//! Only answers with the expected status count as done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        workers.push(tokio::spawn(connection(
            client,
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

/// One connection's loop: returns the latencies of its successes and the
/// count of its failures.
async fn connection(
    client: reqwest::Client,
    plan: LoadPlan,
    issued: Arc<AtomicUsize>,
    started: Instant,
) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut failed = 0;
    while issued.fetch_add(1, Ordering::Relaxed) < plan.max_requests && started.elapsed() < plan.max_time {
        let sent = Instant::now();
        let answer = client
            .post(&plan.url)
            .header("x-api-key", crate::gateway::KEY)
            .header("content-type", "application/json")
            .body(plan.body.to_string())
            .send()
            .await;
        let ok = match answer {
            Ok(response) => response.status() == plan.expected && response.bytes().await.is_ok(),
            Err(_) => false,
        };
        if ok {
            latencies.push(sent.elapsed());
        } else {
            failed += 1;
        }
    }
    (latencies, failed)
}
