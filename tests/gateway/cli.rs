//! The operator commands, run as the real binary against a running gateway.

use crate::common::{eventually, Gateway, KEY};
use tokio::process::Command;

/// Runs `wagate --url <gateway> <args>`; returns the exit code and output.
async fn wagate(gw: &Gateway, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wagate"))
        .arg("--url")
        .arg(gw.url(""))
        .args(args)
        .env("API_KEY", KEY)
        .output()
        .await
        .expect("the binary runs");
    (
        output.status.code().expect("the binary exits"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn instances_and_send_go_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (code, out, err) = wagate(&gw, &["instances"]).await;
    assert_eq!(code, 0, "{err}");
    let row = out.lines().find(|l| l.starts_with("wa-01")).expect(&out);
    assert!(row.contains("ONLINE") && row.contains("+15550000001"), "{out}");

    let (code, out, err) = wagate(&gw, &["send", "wa-01", "+5511999999999", "from the CLI"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("queued "), "{out}");
    eventually("the CLI's text reaches the sim", || async {
        gw.sim_sent("wa-01")
            .await
            .iter()
            .any(|m| m["text"] == "from the CLI")
    })
    .await;
    gw.stop().await;
}

#[tokio::test]
async fn qr_draws_the_code_and_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let (status, _) = gw
        .post("/api/instances", serde_json::json!({ "instanceId": "wa-02" }))
        .await;
    assert!(status.is_success());
    let (code, out, err) = wagate(&gw, &["qr", "wa-02"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains('█') || out.contains('▀'), "{out}");
    assert!(out.contains("Linked devices"), "{out}");

    let (code, _, err) = wagate(&gw, &["send", "nope", "+5511999999999", "x"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("404"), "{err}");
    gw.stop().await;
}
