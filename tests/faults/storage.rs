//! Storage faults: a SESSION_DIR the gateway cannot use stops the start
//! with a message naming the folder; a store that fails during a send
//! answers 503 JSON, and sends are accepted again once it recovers.

use crate::gateway::{run_to_exit, InProcess};
use crate::support::process::Launch;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

fn assert_refused_naming(session_dir: &std::path::Path) {
    let output = run_to_exit(session_dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {stderr}");
    let folder = session_dir.display().to_string();
    assert!(
        stderr.contains(&folder),
        "the error does not name {folder}: {stderr}"
    );
}

/// A bind mount owned by root while the gateway runs as another user
/// (the image's uid 10001): one line says what to run. Needs root (as CI
/// is) to start the binary as that user with `setpriv`.
#[test]
fn a_session_dir_owned_by_another_user_names_the_chown_that_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut setpriv = std::process::Command::new("setpriv");
    setpriv
        .args(["--reuid=10001", "--regid=10001", "--clear-groups"])
        .arg(crate::support::process::BINARY);
    let output = Launch::through(setpriv, &sessions).run_to_exit(Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {stderr}");
    let hint = format!(
        "chown -R 10001:10001 <the folder mounted at {}>",
        sessions.display()
    );
    assert!(stderr.contains(&hint), "no chown hint in: {stderr}");
}

#[test]
fn a_session_dir_that_cannot_be_created_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    assert_refused_naming(&dir.path().join("blocker").join("sessions"));
}

/// Another connection holds SQLite's write lock longer than the gateway's
/// busy timeout: the send fails with 503 JSON; after the lock is let go,
/// the next send is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_during_a_send_answers_503_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = InProcess::start(dir.path(), &[]).await;
    gateway.api.link("st-1", "+15550000001").await;
    let body = json!({ "instanceId": "st-1", "to": "+5511999999999", "message": "hello" });

    let blocker = rusqlite::Connection::open(dir.path().join("wagate.db")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, reply) = gateway.api.post("/api/send", body.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
    assert_eq!(reply["success"], false, "{reply}");
    assert!(reply["error"].is_string(), "{reply}");
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);

    let (status, reply) = gateway.api.post("/api/send", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    gateway.stop().await;
}
