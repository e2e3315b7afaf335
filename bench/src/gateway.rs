//! The gateway under test, in this process: the real `wagate::app::run` on
//! 127.0.0.1:0 with the sim backend and delays 0, in a scratch SESSION_DIR
//! (and a Redis key prefix of its own), both removed when it is dropped.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wagate::config::Config;

pub const KEY: &str = "bench-api-key-0123";

/// Where the gateway keeps its state.
#[derive(Debug, Clone)]
pub enum Backend {
    Embedded,
    /// A Redis URL.
    Redis(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Redis(_) => "redis",
        }
    }
}

/// A scratch SESSION_DIR and Redis prefix, removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
    pub backend: Backend,
    pub prefix: String,
}

impl Scratch {
    pub fn new(backend: &Backend) -> anyhow::Result<Self> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("wagate-bench-{tag}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self {
            dir,
            backend: backend.clone(),
            prefix: format!("wagate-bench:{tag}:"),
        })
    }

    /// The gateway's settings as flags; `extra` are `--name=value` pairs.
    pub fn args(&self, extra: &[(&str, String)]) -> Vec<String> {
        let mut args = vec![
            "wagate".to_owned(),
            "--wa-backend=sim".into(),
            format!("--api-key={KEY}"),
            format!("--session-dir={}", self.dir.display()),
            "--text-delay-ms=0".into(),
            "--typing-presence=false".into(),
            "--daily-cap=0".into(),
            "--media-delay-ms-min=0".into(),
            "--media-delay-ms-max=0".into(),
        ];
        if let Backend::Redis(url) = &self.backend {
            args.push(format!("--redis-url={url}"));
            args.push(format!("--redis-prefix={}", self.prefix));
        }
        args.extend(extra.iter().map(|(flag, value)| format!("--{flag}={value}")));
        args
    }

    /// The store's Redis, if any, as `Stores::open` takes it.
    pub fn redis(&self) -> Option<(&str, &str)> {
        match &self.backend {
            Backend::Redis(url) => Some((url.as_str(), self.prefix.as_str())),
            Backend::Embedded => None,
        }
    }

    /// Deletes the Redis keys and the folder.
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Backend::Redis(url) = &self.backend {
            remove_redis_keys(url, &self.prefix).await?;
        }
        std::fs::remove_dir_all(&self.dir).with_context(|| format!("cannot remove {}", self.dir.display()))
    }
}

async fn remove_redis_keys(url: &str, prefix: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?;
    for chunk in keys.chunks(1_000) {
        redis::cmd("DEL").arg(chunk).query_async::<()>(&mut conn).await?;
    }
    Ok(())
}

/// A running in-process gateway.
pub struct Gateway {
    pub api: Api,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Gateway {
    pub async fn start(scratch: &Scratch, extra: &[(&str, String)]) -> anyhow::Result<Self> {
        let config = Config::from_args(scratch.args(extra))?;
        let settings = config.validate().map_err(anyhow::Error::msg)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move { Ok(wagate::app::run(settings, listener, stop).await?) });
        Ok(Self {
            api: Api::new(addr),
            shutdown,
            task,
        })
    }

    /// Stops it as SIGTERM would. Our own keep-alive connection is closed
    /// first; a stop that takes longer than 20 s is cut short (and said).
    pub async fn stop(self) -> anyhow::Result<()> {
        let Self { api, shutdown, task } = self;
        drop(api);
        shutdown.cancel();
        let abort = task.abort_handle();
        match tokio::time::timeout(Duration::from_secs(20), task).await {
            Ok(outcome) => outcome?,
            Err(_) => {
                eprintln!("note: the gateway did not stop within 20 s; aborted");
                abort.abort();
                Ok(())
            }
        }
    }
}

/// A client of the gateway's API.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Ok(request.send().await?.json().await?)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Waits until the API answers.
    pub async fn ready(&self) -> anyhow::Result<()> {
        until("the API answers", Duration::from_secs(30), || async {
            self.http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok()
        })
        .await
    }

    /// Creates the instance, scans its QR and waits until it is ONLINE.
    pub async fn link(&self, id: &str) -> anyhow::Result<()> {
        self.post("/api/instances", json!({ "instanceId": id })).await?;
        until(&format!("{id} shows a QR"), Duration::from_secs(60), || async {
            let qr = self.get(&format!("/api/wa/qr-check/{id}")).await;
            qr.is_ok_and(|qr| qr["success"] == true)
        })
        .await?;
        self.post(&format!("/api/sim/{id}/scan"), json!({})).await?;
        until(&format!("{id} is ONLINE"), Duration::from_secs(60), || async {
            let status = self.get(&format!("/api/wa/status/{id}")).await;
            status.is_ok_and(|s| s["status"] == "ONLINE")
        })
        .await
    }

    /// What the sim network received from the instance.
    pub async fn sim_sent(&self, id: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .get(&format!("/api/sim/{id}/sent"))
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

/// Polls `check` every 2 ms until it holds or `limit` passes.
pub async fn until<F, Fut>(what: &str, limit: Duration, check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    until_every(what, limit, Duration::from_millis(2), check).await
}

/// Polls `check` every `pause` until it holds or `limit` passes.
pub async fn until_every<F, Fut>(
    what: &str,
    limit: Duration,
    pause: Duration,
    mut check: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(pause).await;
    }
    bail!("timed out waiting until {what}")
}

/// The folder of the running executable (where `wagate` sits beside us).
pub fn exe_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.parent().map(Path::to_path_buf).unwrap_or_default())
}
