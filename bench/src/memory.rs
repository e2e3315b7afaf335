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
pub struct ChildGateway(Child);

impl Drop for ChildGateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ChildGateway {
    /// Starts the `wagate` beside this executable on a free port, with the
    /// embedded store in `scratch`, sending at once, and the variables
    /// `vars` (the backend among them); returns once its API answers.
    pub async fn start(scratch: &Scratch, vars: &[(&str, String)]) -> anyhow::Result<(Self, Api)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let binary = exe_dir()?.join("wagate");
        let child = Command::new(&binary)
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("API_KEY", KEY)
            .env("TEXT_DELAY_MS", "0")
            .env("TYPING_PRESENCE", "false")
            .env("DAILY_CAP", "0")
            .env("SESSION_DIR", &scratch.dir)
            .env("RUST_LOG", "warn")
            .envs(vars.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {} (build it with --bin wagate)", binary.display()))?;
        let child = Self(child);
        let api = Api::new(([127, 0, 0, 1], port).into());
        api.ready().await?;
        Ok((child, api))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Its resident memory now, in MiB.
    pub fn rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc status")?;
        Ok(kib / 1024.0)
    }
}

pub async fn measure(args: &Args) -> anyhow::Result<Vec<Row>> {
    let scratch = Scratch::new(&Backend::Embedded)?;
    let (child, api) = ChildGateway::start(&scratch, &[("WA_BACKEND", "sim".into())]).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut rows = vec![rss_row(&child, 0)?];
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
        rows.push(rss_row(&child, linked)?);
    }
    drop(child);
    scratch.remove().await?;
    Ok(rows)
}

fn rss_row(child: &ChildGateway, instances: usize) -> anyhow::Result<Row> {
    Ok(Row {
        measure: format!("RSS, {instances} idle linked instances"),
        backend: "embedded".into(),
        value: Some(format!("{:.1} MB", child.rss_mib()?)),
        note: "real binary, child process".into(),
        ..Row::default()
    })
}
