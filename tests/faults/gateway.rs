//! Helpers of the fault tests: the real `wagate` binary as a child process
//! (killed with SIGKILL when dropped), the in-process gateway, and an API
//! client that turns a refused connection into a status instead of a panic.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "faults-test-key-0123";

/// A `wagate` process with the sim backend; killed (kill -9) when dropped.
pub struct Proc {
    child: Child,
    port: u16,
    pub api: Api,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(session_dir: &Path, port: u16, vars: &[(&str, &str)]) -> Command {
    with_gateway_env(
        Command::new(env!("CARGO_BIN_EXE_wagate")),
        session_dir,
        port,
        vars,
    )
}

/// `program` with the environment of a sim gateway on `port`.
fn with_gateway_env(mut command: Command, session_dir: &Path, port: u16, vars: &[(&str, &str)]) -> Command {
    command
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("API_KEY", KEY)
        .env("WA_BACKEND", "sim")
        .env("SESSION_DIR", session_dir)
        .env("SIM_RECEIPT_DELAY_MS", "50")
        .env("SEND_RETRY_BASE_MS", "50")
        .env("TYPING_PRESENCE", "false")
        .env("DAILY_CAP", "0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (key, value) in vars {
        command.env(key, value);
    }
    command
}

impl Proc {
    /// Starts the binary and waits until its API answers.
    pub async fn start(session_dir: &Path, vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        Self::spawn(command(session_dir, port, vars), port).await
    }

    /// Runs the shell `script` in a mount namespace of its own (mounts made
    /// there vanish with it), with the gateway's environment and the
    /// binary's path as `$WAGATE`; the script ends by running the gateway
    /// with `exec`, so the child is the gateway. Waits until its API answers.
    pub async fn start_in_own_mounts(session_dir: &Path, vars: &[(&str, &str)], script: &str) -> Self {
        let mut unshare = Command::new("unshare");
        unshare.args(["--mount", "--propagation", "private", "sh", "-euc", script]);
        Self::start_by_script(unshare, session_dir, vars).await
    }

    /// Runs the shell `script` as `start_in_own_mounts` does, in this
    /// mount namespace (for `ulimit` and the like).
    pub async fn start_in_shell(session_dir: &Path, vars: &[(&str, &str)], script: &str) -> Self {
        let mut shell = Command::new("sh");
        shell.args(["-euc", script]);
        Self::start_by_script(shell, session_dir, vars).await
    }

    async fn start_by_script(program: Command, session_dir: &Path, vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = with_gateway_env(program, session_dir, port, vars);
        command.env("WAGATE", env!("CARGO_BIN_EXE_wagate")).env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
        Self::spawn(command, port).await
    }

    async fn spawn(mut command: Command, port: u16) -> Self {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the wagate binary starts");
        let api = Api::new(&format!("http://127.0.0.1:{port}"));
        eventually("the API answers", || async {
            api.get("/healthz").await.0 == StatusCode::OK
        })
        .await;
        Self { child, port, api }
    }

    /// The process id: `/proc/<pid>/root` shows its mounts.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends SIGTERM and waits for the exit: how long it took and whether
    /// it was a success. Fails the test after `limit`.
    pub fn terminate_within(mut self, limit: Duration) -> (Duration, bool) {
        let started = std::time::Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("the process can be polled") {
                return (started.elapsed(), status.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("wagate was still running {limit:?} after SIGTERM");
    }

    /// Kills the process at once, as kill -9 does.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary until it exits by itself (it must not start serving).
pub fn run_to_exit(session_dir: &Path) -> Output {
    let mut child = command(session_dir, free_port(), &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the wagate binary starts");
    for _ in 0..200 {
        if child.try_wait().expect("the process can be polled").is_some() {
            return child.wait_with_output().expect("its output can be read");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("wagate kept running with an unusable SESSION_DIR");
}

pub use crate::support::free_port;

/// The real gateway in this process, on 127.0.0.1:0.
pub struct InProcess {
    pub api: Api,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl InProcess {
    pub async fn start(session_dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec![
            "wagate".to_owned(),
            "--wa-backend=sim".into(),
            format!("--api-key={KEY}"),
            format!("--session-dir={}", session_dir.display()),
            "--text-delay-ms=0".into(),
            "--typing-presence=false".into(),
            "--daily-cap=0".into(),
        ];
        args.extend(extra.iter().map(|flag| flag.to_string()));
        let config = wagate::config::Config::from_args(args).expect("settings parse");
        let settings = config.validate().expect("settings are valid");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = Api::new(&format!("http://{}", listener.local_addr().unwrap()));
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            wagate::app::run(settings, listener, stop)
                .await
                .expect("the gateway runs");
        });
        Self { api, shutdown, task }
    }

    /// Stops it as SIGTERM would. Our client goes first: warp's graceful
    /// shutdown waits for idle keep-alive connections to close.
    pub async fn stop(self) {
        let Self { api, shutdown, task } = self;
        drop(api);
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("the gateway stops")
            .unwrap();
    }
}

/// A client of one gateway's API.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// Sends raw bytes; a transport error reads as 503 with its text.
    pub async fn raw(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", KEY);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Value::String(e.to_string())),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.raw(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.raw(Method::POST, path, Some(body.to_string().into_bytes()))
            .await
    }

    /// Creates the instance, scans its QR and waits until it is ONLINE.
    pub async fn link(&self, id: &str, phone: &str) {
        let (status, body) = self.post("/api/instances", json!({ "instanceId": id })).await;
        assert!(status.is_success(), "{body}");
        eventually(&format!("{id} shows a QR"), || async {
            self.get(&format!("/api/wa/qr-check/{id}")).await.1["success"] == true
        })
        .await;
        let (status, body) = self
            .post(&format!("/api/sim/{id}/scan"), json!({ "phone": phone }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        eventually(&format!("{id} is ONLINE"), || async {
            self.get(&format!("/api/wa/status/{id}")).await.1["status"] == "ONLINE"
        })
        .await;
    }

    pub async fn sim_sent(&self, id: &str) -> Vec<Value> {
        let (_, body) = self.get(&format!("/api/sim/{id}/sent")).await;
        body.as_array().cloned().unwrap_or_default()
    }
}

/// Polls `check` until it holds; fails the test after 60 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    crate::support::eventually_within(what, Duration::from_secs(60), check).await
}
