//! Inbound forwarding: sim inbound messages posted to the gateway, timed
//! until the local receiver standing in for GHL has each forward. The
//! paced run is paired with a bare relay (two plain HTTP hops, nothing of
//! the gateway between them), so its overhead can be read apart from what
//! any gateway's two hops cost on the machine at that moment.

use crate::cli::Args;
use crate::gateway::{until, Api, Backend, Gateway, Scratch};
use crate::load::Latencies;
use crate::receiver::{self, Arrivals};
use crate::report::Row;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FROM: &str = "+5511999999999";
/// The pause after each message of the paced runs.
const GAP: Duration = Duration::from_millis(5);

/// The paced run on `backend` right after a paced run through the bare
/// relay: two rows, the gateway's noting its p50 over the relay's.
pub async fn paced_with_floor(args: &Args, backend: &Backend) -> anyhow::Result<Vec<Row>> {
    let floor = bare_relay(args).await?;
    let mut paced = through_gateway(args, backend, 1, GAP).await?;
    if let (Some(gateway), Some(bare)) = (paced.p50_ms, floor.p50_ms) {
        paced.note = format!("{}; p50 {:.2} ms over the bare relay", paced.note, gateway - bare);
    }
    Ok(vec![floor, paced])
}

/// Messages from `clients` concurrent clients that pause `gap` after each.
pub async fn through_gateway(
    args: &Args,
    backend: &Backend,
    clients: usize,
    gap: Duration,
) -> anyhow::Result<Row> {
    let (receiver_addr, arrivals) = receiver::start_receiver();
    let scratch = Scratch::new(backend)?;
    let url = format!("http://{receiver_addr}/ghl");
    let gateway = Gateway::start(&scratch, &[("ghl-inbound-url", url)]).await?;
    gateway.api.ready().await?;
    gateway.api.link("in-1").await?;
    let run = Run::new(args.messages(), clients, gap);
    let timed = run.post(&gateway.api, "/api/sim/in-1/inbound", &arrivals).await?;
    gateway.stop().await?;
    scratch.remove().await?;
    Ok(run.row("inbound: sim → GHL receiver", backend.name(), timed))
}

/// The paced run through the bare relay instead of the gateway.
async fn bare_relay(args: &Args) -> anyhow::Result<Row> {
    let (receiver_addr, arrivals) = receiver::start_receiver();
    let relay = receiver::start_relay(format!("http://{receiver_addr}/ghl"));
    let api = Api::new(relay);
    let run = Run::new(args.messages(), 1, GAP);
    let timed = run.post(&api, "/", &arrivals).await?;
    let mut row = run.row("inbound floor: bare relay → receiver", "-", timed);
    row.note = format!("{}; paired with the run below", row.note);
    Ok(row)
}

/// One run's shape: how many messages, from how many clients, how paced.
struct Run {
    count: usize,
    clients: usize,
    gap: Duration,
}

/// What a run measured: every message's latency and the overall rate.
struct Timed {
    latencies: Latencies,
    per_second: f64,
}

impl Run {
    fn new(count: usize, clients: usize, gap: Duration) -> Self {
        Self { count, clients, gap }
    }

    /// Posts every message to `path` and waits until each has arrived.
    async fn post(&self, api: &Api, path: &str, arrivals: &Arrivals) -> anyhow::Result<Timed> {
        let begun = Instant::now();
        let started = self.post_all(api, path).await?;
        until(
            "the receiver got every forward",
            Duration::from_secs(120),
            || async { arrivals.lock().map(|a| a.len() >= self.count).unwrap_or(false) },
        )
        .await?;
        let arrivals = arrivals
            .lock()
            .map_err(|_| anyhow::anyhow!("receiver lock poisoned"))?;
        let last = arrivals.values().max().copied().unwrap_or(begun);
        let samples: Vec<Duration> = started
            .iter()
            .filter_map(|(id, sent)| Some(arrivals.get(id)?.saturating_duration_since(*sent)))
            .collect();
        Ok(Timed {
            latencies: Latencies::new(samples),
            per_second: self.count as f64 / last.duration_since(begun).as_secs_f64(),
        })
    }

    /// Posts the messages from `clients` tasks; returns when each was
    /// posted, by message id.
    async fn post_all(&self, api: &Api, path: &str) -> anyhow::Result<Vec<(String, Instant)>> {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(Mutex::new(Vec::with_capacity(self.count)));
        let mut tasks = Vec::new();
        for _ in 0..self.clients {
            let (api, path, next, started) = (api.clone(), path.to_owned(), next.clone(), started.clone());
            let (count, gap) = (self.count, self.gap);
            tasks.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return anyhow::Ok(());
                    }
                    let id = format!("BENCHIN{n:08}");
                    let sent = Instant::now();
                    api.post(&path, json!({ "from": FROM, "text": "hi", "id": id }))
                        .await?;
                    started
                        .lock()
                        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
                        .push((id, sent));
                    tokio::time::sleep(gap).await;
                }
            }));
        }
        for task in tasks {
            task.await??;
        }
        let list = std::mem::take(&mut *started.lock().map_err(|_| anyhow::anyhow!("lock poisoned"))?);
        Ok(list)
    }

    fn row(&self, measure: &str, backend: &str, timed: Timed) -> Row {
        Row {
            measure: measure.into(),
            backend: backend.into(),
            per_second: Some(timed.per_second),
            p50_ms: timed.latencies.quantile_ms(0.5),
            p99_ms: timed.latencies.quantile_ms(0.99),
            note: format!(
                "{} messages, {} clients, {} ms pause",
                self.count,
                self.clients,
                self.gap.as_millis()
            ),
            ..Row::default()
        }
    }
}
