//! Starting and stopping real `wagate` processes and a test-owned Redis.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use crate::support::api::Api;
use crate::support::process::{GatewayProcess, Launch};

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
pub type Proc = GatewayProcess;

/// Starts `wagate` with the sim backend and `vars`, as cluster member
/// `name` (short leases); output goes to a log file in `dir` named after
/// `name`.
pub fn start(dir: &Path, name: &str, vars: &[(&str, String)]) -> Proc {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    Launch::binary(&dir.join("sessions"))
        .vars([
            ("API_KEY", KEY),
            ("LEASE_MS", "1500"),
            ("NODE_ID", name),
            ("RUST_LOG", "info"),
        ])
        .vars(vars.iter().map(|(key, value)| (key, value.as_str())))
        .log_to(log)
        .spawn()
}

/// A client of one gateway process's API, once it answers.
pub async fn api(process: &Proc) -> Api {
    Api::answering(&process.base_url(), KEY).await
}

/// Waits until the sim network got as many messages from `instance` as
/// were `accepted`, then checks they are those, once each, in order.
pub async fn assert_sent_once_in_order(api: &Api, instance: &str, accepted: &[String]) {
    eventually("every accepted message goes out", || async {
        api.sim_sent(instance).await.len() >= accepted.len()
    })
    .await;
    let sent: Vec<String> = api
        .sim_sent(instance)
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, accepted, "every accepted send, once, in order");
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
