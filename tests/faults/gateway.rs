//! Helpers of the fault tests: the real `wagate` binary as a child process
//! (killed with SIGKILL when dropped), the in-process gateway, and an API
//! client that turns a refused connection into a status instead of a panic.

use crate::support::in_process;
use crate::support::process::{GatewayProcess, Launch};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use crate::support::api::Api;

pub const KEY: &str = "faults-test-key-0123";

/// A `wagate` process with the sim backend, and a client of its API;
/// killed (kill -9) when dropped.
pub struct Proc {
    process: GatewayProcess,
    pub api: Api,
}

/// Settings every fault test's process has: the test's API key, and
/// retries that come quickly.
fn launch(launch: Launch, vars: &[(&str, &str)]) -> Launch {
    launch
        .vars([("API_KEY", KEY), ("SEND_RETRY_BASE_MS", "50")])
        .vars(vars.iter().copied())
}

impl Proc {
    /// Starts the binary and waits until its API answers.
    pub async fn start(session_dir: &Path, vars: &[(&str, &str)]) -> Self {
        Self::answering(launch(Launch::binary(session_dir), vars)).await
    }

    /// Runs the shell `script` in a mount namespace of its own (mounts made
    /// there vanish with it), as [`Launch::through`] does. Waits until its
    /// API answers.
    pub async fn start_in_own_mounts(session_dir: &Path, vars: &[(&str, &str)], script: &str) -> Self {
        let mut unshare = Command::new("unshare");
        unshare.args(["--mount", "--propagation", "private", "sh", "-euc", script]);
        Self::answering(launch(Launch::through(unshare, session_dir), vars)).await
    }

    /// Runs the shell `script` as `start_in_own_mounts` does, in this
    /// mount namespace (for `ulimit` and the like).
    pub async fn start_in_shell(session_dir: &Path, vars: &[(&str, &str)], script: &str) -> Self {
        Self::answering(launch(Launch::script(session_dir, script), vars)).await
    }

    async fn answering(launch: Launch) -> Self {
        let process = launch.spawn();
        let api = Api::answering(&process.base_url(), KEY).await;
        Self { process, api }
    }

    /// The process id: `/proc/<pid>/root` shows its mounts.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.process.port
    }

    /// Sends SIGTERM and waits for the exit: how long it took and whether
    /// it was a success. Fails the test after `limit`.
    pub fn terminate_within(self, limit: Duration) -> (Duration, bool) {
        self.process.terminate_within(limit)
    }

    /// Kills the process at once, as kill -9 does.
    pub fn kill(self) {
        self.process.kill();
    }
}

/// Runs the binary until it exits by itself (it must not start serving).
pub fn run_to_exit(session_dir: &Path) -> Output {
    launch(Launch::binary(session_dir), &[]).run_to_exit(Duration::from_secs(10))
}

/// The real gateway in this process, on 127.0.0.1:0.
pub struct InProcess {
    pub api: Api,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl InProcess {
    pub async fn start(session_dir: &Path, extra: &[&str]) -> Self {
        let args = in_process::sim_args(session_dir, KEY, extra.iter().map(|flag| flag.to_string()));
        let shutdown = CancellationToken::new();
        let (addr, task) = in_process::serve(args, shutdown.clone()).await;
        let api = Api::new(&format!("http://{addr}"), KEY);
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

/// Polls `check` until it holds; fails the test after 60 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    crate::support::eventually_within(what, Duration::from_secs(60), check).await
}
