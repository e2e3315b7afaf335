//! The real `wagate` binary as a child process of a test, written once for
//! every test crate that needs one (faults, cluster, session files): the
//! environment of a sim gateway on a port of its own, started directly or
//! through a shell script, and killed (SIGKILL) when the test drops it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary cargo built for this test run.
pub const BINARY: &str = env!("CARGO_BIN_EXE_wagate");

/// A `wagate` process about to start: its command and its port.
pub struct Launch {
    command: Command,
    port: u16,
}

impl Launch {
    /// The binary itself, with a sim gateway's environment.
    pub fn binary(session_dir: &Path) -> Self {
        Self::new(Command::new(BINARY), session_dir)
    }

    /// `program` (a shell running a script, say) with a sim gateway's
    /// environment, the binary's path as `$WAGATE` and a usual `PATH`; the
    /// script ends by running the gateway with `exec`, so the child is the
    /// gateway.
    pub fn through(program: Command, session_dir: &Path) -> Self {
        let mut launch = Self::new(program, session_dir);
        launch.command.env("WAGATE", BINARY).env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
        launch
    }

    /// The shell script `script`, run by `sh -euc` as [`Launch::through`].
    pub fn script(session_dir: &Path, script: &str) -> Self {
        let mut shell = Command::new("sh");
        shell.args(["-euc", script]);
        Self::through(shell, session_dir)
    }

    fn new(mut command: Command, session_dir: &Path) -> Self {
        let port = crate::support::free_port();
        command
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("WA_BACKEND", "sim")
            .env("SESSION_DIR", session_dir)
            .env("SIM_RECEIPT_DELAY_MS", "50")
            .env("TYPING_PRESENCE", "false")
            .env("DAILY_CAP", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self { command, port }
    }

    /// Sets (or overrides) environment variables.
    pub fn vars<K: AsRef<OsStr>, V: AsRef<OsStr>>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self {
        self.command.envs(vars);
        self
    }

    /// Writes the process's output (stdout and stderr) to `file`.
    pub fn log_to(mut self, file: std::fs::File) -> Self {
        let copy = file.try_clone().expect("the log file can be shared");
        self.command.stdout(copy).stderr(file);
        self
    }

    /// Runs it until it exits by itself, which must happen within `limit`
    /// (it must not start serving): its status and output.
    pub fn run_to_exit(mut self, limit: Duration) -> Output {
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the wagate binary starts");
        let started = Instant::now();
        while started.elapsed() < limit {
            if child.try_wait().expect("the process can be polled").is_some() {
                return child.wait_with_output().expect("its output can be read");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("wagate kept running for {limit:?}; it should have stopped by itself");
    }

    /// Starts it; it may not answer yet.
    pub fn spawn(mut self) -> GatewayProcess {
        GatewayProcess {
            child: self.command.spawn().expect("the wagate binary starts"),
            port: self.port,
        }
    }
}

/// A running `wagate` process; killed (kill -9) when dropped.
pub struct GatewayProcess {
    child: Child,
    pub port: u16,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GatewayProcess {
    /// Where its API listens.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id: `/proc/<pid>/root` shows its mounts.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process where it stands (SIGSTOP), as a frozen container
    /// or a stalled machine would; [`GatewayProcess::thaw`] lets it go on.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([which, &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {which} {pid}");
    }

    /// Sends SIGTERM and waits for the exit: how long it took and whether
    /// it was a success. Fails the test after `limit`.
    pub fn terminate_within(mut self, limit: Duration) -> (Duration, bool) {
        let started = Instant::now();
        self.signal("-TERM");
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("the process can be polled") {
                return (started.elapsed(), status.success());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("wagate was still running {limit:?} after SIGTERM");
    }

    /// Kills the process at once, as kill -9 does.
    pub fn kill(self) {
        drop(self);
    }
}
