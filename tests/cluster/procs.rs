//! Starting and stopping real `wagate` processes and a test-owned Redis.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const KEY: &str = "cluster-test-key-0123";

pub use crate::support::free_port;

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Settings of one process of a cluster: the shared Redis, under `prefix`,
/// and its role.
pub fn member(prefix: &str, role: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REDIS_URL", redis_url()),
        ("REDIS_PREFIX", prefix.to_owned()),
        ("ROLE", role.to_owned()),
    ]
}

/// A gateway process; killed (SIGKILL) when dropped.
pub struct Proc {
    child: Child,
    pub port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts `wagate` with the sim backend and `vars`; output goes to a log
    /// file in `dir` named after `name`.
    pub fn start(dir: &Path, name: &str, vars: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_wagate"));
        command
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("API_KEY", KEY)
            .env("WA_BACKEND", "sim")
            .env("SESSION_DIR", dir.join("sessions"))
            .env("LEASE_MS", "1500")
            .env("SIM_RECEIPT_DELAY_MS", "50")
            .env("TYPING_PRESENCE", "false")
            .env("DAILY_CAP", "0")
            .env("NODE_ID", name)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (key, value) in vars {
            command.env(key, value);
        }
        Self {
            child: command.spawn().expect("the wagate binary starts"),
            port,
        }
    }

    /// Stops the process where it stands (SIGSTOP), as a frozen container
    /// or a stalled machine would; [`Proc::thaw`] lets it go on.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([which, &pid]).status().unwrap();
        assert!(sent.success(), "kill {which} {pid}");
    }

    /// Kills the process at once, as kill -9 would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of one gateway process's API.
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub async fn new(port: u16) -> Self {
        let api = Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        };
        crate::procs::eventually("the API answers", || async {
            api.http.get(format!("{}/healthz", api.base)).send().await.is_ok()
        })
        .await;
        api
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Value::String(e.to_string())),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn instance(&self, id: &str) -> Value {
        self.get(&format!("/api/wa/status/{id}")).await.1
    }

    pub async fn sent(&self, id: &str) -> Vec<Value> {
        self.get(&format!("/api/sim/{id}/sent"))
            .await
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until the sim network got as many messages from `instance` as
    /// were `accepted`, then checks they are those, once each, in order.
    pub async fn assert_sent_once_in_order(&self, instance: &str, accepted: &[String]) {
        eventually("every accepted message goes out", || async {
            self.sent(instance).await.len() >= accepted.len()
        })
        .await;
        let sent: Vec<String> = self
            .sent(instance)
            .await
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(sent, accepted, "every accepted send, once, in order");
    }

    /// Creates, scans and waits until the instance is ONLINE.
    pub async fn link(&self, id: &str, phone: &str) {
        let (status, body) = self
            .post("/api/instances", serde_json::json!({ "instanceId": id }))
            .await;
        assert!(status.is_success(), "{body}");
        eventually(&format!("{id} shows a QR"), || async {
            self.get(&format!("/api/wa/qr-check/{id}")).await.1["success"] == true
        })
        .await;
        let (status, body) = self
            .post(
                &format!("/api/sim/{id}/scan"),
                serde_json::json!({ "phone": phone }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        eventually(&format!("{id} is ONLINE"), || async {
            self.instance(id).await["status"] == "ONLINE"
        })
        .await;
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

/// A redis-server of the test's own, keeping its data in an append-only file.
pub struct OwnRedis {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl OwnRedis {
    pub fn start(dir: &Path, port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .args(["--appendfsync", "always", "--dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        wait_for_port(port);
        Self {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM: a clean shutdown) and starts it again on
    /// the same port and data after `down_for`.
    pub async fn restart(&mut self, down_for: Duration) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let _ = self.child.wait();
        tokio::time::sleep(down_for).await;
        *self = Self::start(&self.dir.clone(), self.port);
    }
}

/// Waits (up to 10 s) until something accepts connections on the port.
fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
