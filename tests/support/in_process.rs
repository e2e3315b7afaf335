//! The real gateway in the test's own process, on 127.0.0.1:0, written
//! once for every test crate that runs it so: the settings each test
//! gateway starts from, and serving until the test cancels.

use std::net::SocketAddr;
use std::path::Path;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Flags for a gateway on the sim backend with API key `key`, sending at
/// once (no pauses, no "typing…", no daily cap), then `extra`.
pub fn sim_args(session_dir: &Path, key: &str, extra: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut args = vec![
        "wagate".to_owned(),
        "--wa-backend=sim".into(),
        format!("--api-key={key}"),
        format!("--session-dir={}", session_dir.display()),
        "--text-delay-ms=0".into(),
        "--typing-presence=false".into(),
        "--daily-cap=0".into(),
    ];
    args.extend(extra);
    args
}

/// Serves a gateway with the flags `args` until `shutdown` is cancelled:
/// where it listens, and its task (which fails the test if the gateway
/// does).
pub async fn serve(args: Vec<String>, shutdown: CancellationToken) -> (SocketAddr, JoinHandle<()>) {
    let config = wagate::config::Config::from_args(args).expect("test settings parse");
    let settings = config.validate().expect("test settings are valid");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        wagate::app::run(settings, listener, shutdown)
            .await
            .expect("the gateway runs");
    });
    (addr, task)
}
