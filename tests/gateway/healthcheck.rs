//! `wagate healthcheck`, run as the real binary (what the container's
//! HEALTHCHECK does).

use crate::common::Gateway;
use tokio::process::Command;

async fn healthcheck(port: u16) -> i32 {
    healthcheck_with(port, &[]).await
}

async fn healthcheck_with(port: u16, env: &[(&str, &str)]) -> i32 {
    let status = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .args(["healthcheck", "--port", &port.to_string(), "--timeout-ms", "2000"])
        .env_remove("PORT")
        .envs(env.iter().copied())
        .status()
        .await
        .expect("the binary runs");
    status.code().expect("the binary exits")
}

#[tokio::test]
async fn healthcheck_passes_against_a_running_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    assert_eq!(healthcheck(gw.addr.port()).await, 0);
    gw.stop().await;
}

#[tokio::test]
async fn healthcheck_never_goes_through_a_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let env = [
        ("HTTP_PROXY", proxy.as_str()),
        ("http_proxy", proxy.as_str()),
        ("ALL_PROXY", proxy.as_str()),
    ];
    assert_eq!(healthcheck_with(gw.addr.port(), &env).await, 0);
    gw.stop().await;
}

#[tokio::test]
async fn healthcheck_fails_against_a_closed_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    assert_eq!(healthcheck(port).await, 1);
}
