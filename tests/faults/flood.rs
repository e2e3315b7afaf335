//! A flood of connections that send nothing, against a gateway with few
//! file descriptors (ulimit -n 256): the accept errors are survived and
//! counted, /healthz answers once the flood's connections time out, and
//! SIGTERM with silent and half-sent connections open exits at once
//! rather than after SHUTDOWN_TIMEOUT.

use crate::gateway::Proc;
use reqwest::StatusCode;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

const FEW_DESCRIPTORS: &str = "ulimit -n 256; exec \"$WAGATE\"";

fn open_silent(port: u16, how_many: usize) -> Vec<TcpStream> {
    (0..how_many)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("the backlog takes it"))
        .collect()
}

#[tokio::test]
async fn a_flood_past_the_descriptor_limit_leaves_the_gateway_answering() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough for the flood to outnumber the descriptors before any
    // of it times out, even on a busy machine.
    let vars = [("HTTP_HEADER_READ_TIMEOUT_MS", "4000")];
    let gateway = Proc::start_in_shell(dir.path(), &vars, FEW_DESCRIPTORS).await;
    let flood = open_silent(gateway.port(), 300);
    tokio::time::sleep(Duration::from_millis(500)).await;
    crate::support::eventually_within(
        "/healthz answers after the flood",
        Duration::from_secs(40),
        || async { gateway.api.get("/healthz").await.0 == StatusCode::OK },
    )
    .await;
    let (_, metrics) = gateway.api.get("/metrics").await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    let accept_errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("wagate_http_accept_errors_total "))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        accept_errors > 0,
        "no accept failed: the flood did not reach the limit\n{metrics}"
    );
    drop(flood);
    let (took, clean) = gateway.terminate_within(Duration::from_secs(20));
    assert!(clean, "the exit status after SIGTERM");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn sigterm_does_not_wait_for_silent_or_half_sent_connections() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Proc::start_in_shell(dir.path(), &[], FEW_DESCRIPTORS).await;
    let mut open = open_silent(gateway.port(), 50);
    for socket in open.iter_mut().step_by(2) {
        socket
            .write_all(b"POST /api/send HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let (took, clean) = gateway.terminate_within(Duration::from_secs(40));
    assert!(clean, "the exit status after SIGTERM");
    assert!(took < Duration::from_secs(3), "SIGTERM took {took:?}");
    drop(open);
}
