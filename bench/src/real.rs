//! Real sessions (issue #20's measures; built only with this crate's
//! `wa-loopback` feature): the `wagate` binary beside this executable, built
//! with its own `wa-loopback` feature, runs the real whatsapp-rust backend
//! against the loopback WhatsApp server, which runs in this process (so the
//! gateway's process holds nothing but the gateway). Each session is a real
//! client linked by QR (the server plays the phone that scans it) with its
//! SQLite store; the contact that receives the sends is a real client too,
//! so Signal encryption runs on both sides. Read from /proc: the gateway's
//! RSS at each step, its CPU time while every session sits idle, and the
//! rate of one instance's sends with no pause between them.

use crate::cli::Args;
use crate::gateway::{until_every, Api, Backend, Scratch};
use crate::memory::ChildGateway;
use crate::report::Row;
use anyhow::Context;
use futures::stream::{self, TryStreamExt};
use serde_json::json;
use std::time::{Duration, Instant};
use wa_loopback::{Contact, LoopbackServer};

/// The app version the gateway announces (pinned: nothing is asked of
/// web.whatsapp.com).
const VERSION: &str = "2.3000.1023456789";
const CONTACT: &str = "+5511977770007";
/// Sessions linked at once.
const LINKING: usize = 8;
/// How long the gateway settles after a step before its RSS is read.
const SETTLE: Duration = Duration::from_secs(5);
/// How often a wait asks the gateway or the contact (so the polls weigh
/// little beside what is measured).
const POLL: Duration = Duration::from_millis(50);

pub async fn measure(args: &Args) -> anyhow::Result<Vec<Row>> {
    let server = LoopbackServer::start().await?;
    let scratch = Scratch::new(&Backend::Embedded)?;
    let vars = [
        ("WA_BACKEND", "whatsapp".to_owned()),
        ("WA_WS_URL", server.ws_url()),
        ("WA_VERSION", VERSION.to_owned()),
    ];
    let (child, api) = ChildGateway::start(&scratch, &vars).await?;
    let contact = server.start_contact(CONTACT).await?;
    let mut rows = Vec::new();
    let mut linked = 0;
    for step in args.instance_steps() {
        let started = Instant::now();
        stream::iter((linked..step).map(Ok::<usize, anyhow::Error>))
            .try_for_each_concurrent(LINKING, |n| link(&api, &server, n))
            .await?;
        let took = started.elapsed();
        tokio::time::sleep(SETTLE).await;
        rows.push(rss_row(&child, step, step - linked, took)?);
        linked = step;
    }
    rows.push(idle_cpu(&child, linked, args.idle_time()).await?);
    rows.push(send_rate(&api, &contact, args.messages(), linked).await?);
    drop(child);
    scratch.remove().await?;
    Ok(rows)
}

/// Session `n`: `real-<n>`, linked by the phone `+55119<n, 8 digits>`.
async fn link(api: &Api, server: &LoopbackServer, n: usize) -> anyhow::Result<()> {
    let id = format!("real-{n:05}");
    api.post("/api/instances", json!({ "instanceId": id })).await?;
    let qr_path = format!("/api/wa/qr/{id}");
    until_every(
        &format!("{id} shows a QR"),
        Duration::from_secs(60),
        POLL,
        || async { api.get(&qr_path).await.is_ok_and(|qr| qr["code"].is_string()) },
    )
    .await?;
    let qr = api.get(&qr_path).await?;
    let code = qr["code"].as_str().context("the QR went away")?;
    server.scan(code, &format!("+55119{n:08}"))?;
    until_every(
        &format!("{id} is ONLINE"),
        Duration::from_secs(60),
        POLL,
        || async {
            let status = api.get(&format!("/api/wa/status/{id}")).await;
            status.is_ok_and(|s| s["detailedStatus"] == "ONLINE")
        },
    )
    .await
}

fn rss_row(child: &ChildGateway, sessions: usize, new: usize, took: Duration) -> anyhow::Result<Row> {
    let rss = child.rss_mib()?;
    Ok(Row {
        measure: format!("RSS, {sessions} linked real sessions"),
        backend: "embedded".into(),
        value: Some(format!("{rss:.1} MB")),
        note: format!(
            "{:.2} MB per session; {new} linked in {:.1} s, {LINKING} at a time",
            rss / sessions as f64,
            took.as_secs_f64()
        ),
        ..Row::default()
    })
}

/// The gateway's CPU use over `window` while `sessions` sit idle, in
/// percent of one core.
async fn idle_cpu(child: &ChildGateway, sessions: usize, window: Duration) -> anyhow::Result<Row> {
    let before = cpu_ticks(child.pid())?;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let ticks = cpu_ticks(child.pid())? - before;
    let seconds = started.elapsed().as_secs_f64();
    let percent = ticks as f64 / clock_ticks_per_second() / seconds * 100.0;
    Ok(Row {
        measure: format!("CPU, {sessions} idle real sessions"),
        backend: "embedded".into(),
        value: Some(format!("{percent:.2} % of one core")),
        note: format!("user+system time over {seconds:.0} s (/proc/<pid>/stat)"),
        ..Row::default()
    })
}

/// User plus system time of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // After the command name (in parentheses): state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("no command name in /proc stat")?
        .1
        .split_whitespace()
        .collect();
    let field =
        |n: usize| -> anyhow::Result<u64> { Ok(fields.get(n - 3).context("a short /proc stat")?.parse()?) };
    Ok(field(14)? + field(15)?)
}

/// `getconf CLK_TCK`; 100 (Linux's usual) if it cannot be asked.
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `count` texts from session 0 to the contact, accepted one after the
/// other with no pause, until the contact's client decrypted all of them.
async fn send_rate(api: &Api, contact: &Contact, count: usize, sessions: usize) -> anyhow::Result<Row> {
    let started = Instant::now();
    for n in 0..count {
        let body = json!({ "instanceId": "real-00000", "to": CONTACT, "message": format!("bench {n}") });
        let reply = api.post("/api/send", body).await?;
        anyhow::ensure!(reply["id"].is_string(), "a send was refused: {reply}");
    }
    let accepted = started.elapsed();
    let limit = Duration::from_secs(600);
    until_every(
        "the contact decrypts every send",
        limit,
        Duration::from_millis(2),
        || async { contact.received().len() >= count },
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Row {
        measure: "sends of one instance, delays 0 → decrypted by a real contact".into(),
        backend: "embedded".into(),
        per_second: Some(count as f64 / seconds),
        note: format!(
            "{count} texts in {seconds:.1} s (all accepted in {:.1} s), {sessions} sessions linked",
            accepted.as_secs_f64()
        ),
        ..Row::default()
    })
}
