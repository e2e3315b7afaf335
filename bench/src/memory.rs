//! Resident memory of the real `wagate` binary (the one beside this
//! executable) with the embedded store: at start, then with more and more
//! linked sim instances sitting idle. Read from /proc/<pid>/status.

use crate::cli::Args;
use crate::gateway::{exe_dir, Api, Backend, Scratch, KEY};
use crate::report::Row;
use anyhow::Context;
use futures::stream::{self, TryStreamExt};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The child process; killed when dropped.
struct ChildGateway(Child);

impl Drop for ChildGateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn measure(args: &Args) -> anyhow::Result<Vec<Row>> {
    let scratch = Scratch::new(&Backend::Embedded)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let binary = exe_dir()?.join("wagate");
    let child = Command::new(&binary)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("API_KEY", KEY)
        .env("WA_BACKEND", "sim")
        .env("TYPING_PRESENCE", "false")
        .env("DAILY_CAP", "0")
        .env("SESSION_DIR", &scratch.dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {} (build it with --bin wagate)", binary.display()))?;
    let child = ChildGateway(child);
    let api = Api::new(([127, 0, 0, 1], port).into());
    api.ready().await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut rows = vec![rss_row(child.0.id(), 0)?];
    let mut linked = 0;
    for step in args.instance_steps() {
        let ids: Vec<String> = (linked..step).map(|n| format!("mem-{n:05}")).collect();
        stream::iter(ids.into_iter().map(Ok::<String, anyhow::Error>))
            .try_for_each_concurrent(16, |id| {
                let api = api.clone();
                async move { api.link(&id).await }
            })
            .await?;
        linked = step;
        tokio::time::sleep(Duration::from_secs(1)).await;
        rows.push(rss_row(child.0.id(), linked)?);
    }
    drop(child);
    scratch.remove().await?;
    Ok(rows)
}

fn rss_row(pid: u32, instances: usize) -> anyhow::Result<Row> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")?;
    Ok(Row {
        measure: format!("RSS, {instances} idle linked instances"),
        backend: "embedded".into(),
        value: Some(format!("{:.1} MB", kib / 1024.0)),
        note: "real binary, child process".into(),
        ..Row::default()
    })
}
