//! The send measurements: intake (beside the bare warp endpoint) and
//! end-to-end send latency.

use crate::cli::Args;
use crate::gateway::{until, Backend, Gateway, Scratch};
use crate::load::{self, Latencies, LoadPlan};
use crate::receiver;
use crate::report::Row;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const TO: &str = "+5511999999999";
/// The pause between two sends of the latency runs.
const GAP: Duration = Duration::from_millis(5);

/// `POST /api/send` at each connection count on every backend, in rounds:
/// each round runs the bare endpoint, then the gateway, at the same count.
/// A round's ratio is gateway over its own bare run, so a machine whose
/// speed drifts (other work, CPU credit) skews both alike; the round with
/// the median ratio is reported.
pub async fn intake_with_bare(args: &Args) -> anyhow::Result<Vec<Row>> {
    let bare_url = format!("http://{}/", receiver::start_bare());
    let mut rows = Vec::new();
    for backend in args.backends() {
        let scratch = Scratch::new(&backend)?;
        let gateway = Gateway::start(&scratch, &[]).await?;
        gateway.api.ready().await?;
        gateway.api.link("bench-1").await?;
        let send_url = format!("{}/api/send", gateway.api.base);
        for &connections in &args.connections {
            let urls = (bare_url.as_str(), send_url.as_str());
            let rounds = intake_rounds(args, urls, connections).await?;
            rows.extend(median_round_rows(rounds, connections, backend.name()));
        }
        gateway.stop().await?;
        scratch.remove().await?;
    }
    Ok(rows)
}

/// One round: a bare run and the gateway run right after it.
struct Round {
    bare: load::LoadResult,
    send: load::LoadResult,
}

impl Round {
    fn ratio(&self) -> f64 {
        self.send.rate() / self.bare.rate()
    }
}

async fn intake_rounds(
    args: &Args,
    (bare_url, send_url): (&str, &str),
    connections: usize,
) -> anyhow::Result<Vec<Round>> {
    let body = json!({ "instanceId": "bench-1", "to": TO, "message": "bench" });
    let mut rounds = Vec::with_capacity(usize::from(args.rounds));
    for _ in 0..args.rounds {
        let bare = load::run(plan(
            args,
            bare_url.to_owned(),
            json!({ "ok": true }),
            connections,
        ))
        .await?;
        let send = load::run(plan(args, send_url.to_owned(), body.clone(), connections)).await?;
        rounds.push(Round { bare, send });
    }
    Ok(rounds)
}

/// The bare and gateway rows of the round with the median ratio.
fn median_round_rows(mut rounds: Vec<Round>, connections: usize, backend: &str) -> Vec<Row> {
    rounds.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    let ratios: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.ratio())).collect();
    let median = rounds.swap_remove(rounds.len() / 2);
    let bare_note = format!("paired with the {backend} run below");
    let note = format!(
        "{:.2}× bare (median round of {}: {}), {} non-202",
        median.ratio(),
        ratios.len(),
        ratios.join(", "),
        median.send.failed
    );
    vec![
        load_row(
            format!("bare warp POST, {connections} conn"),
            "-",
            &median.bare,
            bare_note,
        ),
        load_row(
            format!("POST /api/send, {connections} conn"),
            backend,
            &median.send,
            note,
        ),
    ]
}

fn plan(args: &Args, url: String, body: serde_json::Value, connections: usize) -> LoadPlan {
    let expected = reqwest::StatusCode::ACCEPTED;
    LoadPlan {
        url,
        body: body.to_string().into(),
        connections,
        max_requests: args.requests(),
        max_time: args.max_time(),
        expected,
    }
}

fn load_row(measure: String, backend: &str, result: &load::LoadResult, note: String) -> Row {
    Row {
        measure,
        backend: backend.to_owned(),
        per_second: Some(result.rate()),
        p50_ms: result.latencies.quantile_ms(0.5),
        p99_ms: result.latencies.quantile_ms(0.99),
        value: Some(format!("{} ok", result.done)),
        note,
    }
}

/// One send every [`GAP`], so the latency is the pipeline's and not a
/// backlog's: from just before each POST to the sim network's `at` (wall
/// clock, 1 ms resolution).
pub async fn end_to_end(args: &Args, backend: &Backend) -> anyhow::Result<Row> {
    let scratch = Scratch::new(backend)?;
    let gateway = Gateway::start(&scratch, &[]).await?;
    let api = &gateway.api;
    api.ready().await?;
    api.link("e2e-1").await?;
    let count = args.messages();
    let mut started_at = HashMap::with_capacity(count);
    for n in 0..count {
        let before = wall_ms();
        let body = json!({ "instanceId": "e2e-1", "to": TO, "message": format!("e2e {n}") });
        let answer = api.post("/api/send", body).await?;
        let id = answer["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("send refused: {answer}"))?;
        started_at.insert(id.to_owned(), before);
        tokio::time::sleep(GAP).await;
    }
    until(
        "the sim received every send",
        Duration::from_secs(120),
        || async { api.sim_sent("e2e-1").await.is_ok_and(|sent| sent.len() >= count) },
    )
    .await?;
    let samples = api
        .sim_sent("e2e-1")
        .await?
        .iter()
        .filter_map(|entry| {
            let before = started_at.get(entry["id"].as_str()?)?;
            let at = entry["at"].as_f64()?;
            Some(Duration::from_secs_f64((at - before).max(0.0) / 1_000.0))
        })
        .collect();
    let latencies = Latencies::new(samples);
    gateway.stop().await?;
    scratch.remove().await?;
    Ok(Row {
        measure: "send: accepted → sim received".into(),
        backend: backend.name().into(),
        p50_ms: latencies.quantile_ms(0.5),
        p99_ms: latencies.quantile_ms(0.99),
        note: format!(
            "{count} sends, one per {} ms, 1 ms clock resolution",
            GAP.as_millis()
        ),
        ..Row::default()
    })
}

fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1_000.0
}
