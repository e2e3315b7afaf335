//! A full disk under SESSION_DIR. The gateway runs in a mount namespace of
//! its own with SESSION_DIR on a small tmpfs, so the mount goes away with
//! the process; the test reaches that disk through `/proc/<pid>/root` and
//! fills it with a ballast file, then deletes the ballast to make room.
//!
//! - During a run, with sends still queued: new sends are refused with a
//!   507 JSON answer and readiness says the disk is full; once room is
//!   back, sends are accepted again, every accepted message is sent exactly
//!   once and in order (the queued ones included), none of the refused ones
//!   is, and the database passes SQLite's integrity check.
//! - At start: the gateway exits with an error naming the folder and the
//!   full disk; with room back, it starts on what the failed start left.

use crate::gateway::{eventually, Api, Proc};
use crate::support::send_until_refused;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

const INSTANCE: &str = "df-1";
/// Texts this long make each send need fresh pages, so a full disk shows
/// within a few sends.
const TEXT_LEN: usize = 2_000;
/// Sends accepted before the disk fills.
const QUEUED_BEFORE_FULL: usize = 10;
/// A full disk must refuse a send well before this many are accepted.
const MOST_SENDS_BEFORE_FULL: usize = 2_000;

/// SESSION_DIR as the gateway in process `pid` sees it.
fn seen_by(pid: u32, session_dir: &Path) -> PathBuf {
    Path::new(&format!("/proc/{pid}/root")).join(session_dir.strip_prefix("/").unwrap())
}

/// Writes zeros into `folder/ballast` until the disk refuses them.
fn fill(folder: &Path) {
    let mut ballast = std::fs::File::create(folder.join("ballast")).expect("the ballast can be created");
    let chunk = vec![0u8; 64 * 1024];
    let full = loop {
        if let Err(e) = ballast.write_all(&chunk) {
            break e;
        }
    };
    assert_eq!(full.raw_os_error(), Some(28), "not ENOSPC: {full}");
}

fn send_body(n: usize) -> Value {
    let text = format!("m{n} {}", "x".repeat(TEXT_LEN));
    json!({ "instanceId": INSTANCE, "to": "+5511999999999", "message": text })
}

/// The ids the sim network received, in order.
async fn sent_ids(api: &Api) -> Vec<String> {
    let sent = api.sim_sent(INSTANCE).await;
    sent.iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect()
}

/// Readiness once it says the disk is full. Its probe is one small write,
/// which can still fit where SQLite reuses the WAL from its start after a
/// checkpoint; so while readiness says writable, another send is tried
/// (one that is accepted joins `accepted`), until the disk is full for it too.
async fn readiness_once_full(api: &Api, accepted: &mut Vec<String>) -> Value {
    for n in 0..MOST_SENDS_BEFORE_FULL {
        let (status, ready) = api.get("/readyz").await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return ready;
        }
        let (status, reply) = api.post("/api/send", send_body(n)).await;
        if status == StatusCode::ACCEPTED {
            accepted.push(reply["id"].as_str().expect("an id").to_owned());
        }
    }
    panic!("readiness never said the disk is full");
}

fn assert_intact(database: &Path) {
    let conn = rusqlite::Connection::open(database).expect("the database opens");
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("the check runs");
    assert_eq!(verdict, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_during_a_run_refuses_sends_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = r#"mount -t tmpfs -o size=16m tmpfs "$SESSION_DIR"; exec "$WAGATE""#;
    // The sim records what it receives in SESSION_DIR too, so while the disk
    // is full the message being sent fails and is retried: enough tries that
    // a slow machine's full spell does not use them all up (after the
    // default five it would be marked failed), and pauses of at most 1 s, so
    // the retry after room is back comes at once (doubling from 50 ms, the
    // pause after a long spell outlasted the wait for the sends).
    let vars = [
        ("TEXT_DELAY_MS", "100"),
        ("SEND_MAX_ATTEMPTS", "1000"),
        ("SEND_RETRY_MAX_MS", "1000"),
    ];
    let gateway = Proc::start_in_own_mounts(dir.path(), &vars, script).await;
    gateway.api.link(INSTANCE, "+15550000001").await;
    // Paced, these are still queued, and being sent, when the disk fills.
    let mut accepted = Vec::new();
    for n in 0..QUEUED_BEFORE_FULL {
        let (status, reply) = gateway.api.post("/api/send", send_body(n)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        accepted.push(reply["id"].as_str().expect("an id").to_owned());
    }
    let disk = seen_by(gateway.pid(), dir.path());
    fill(&disk);

    let (accepted_while_full, status, refusal) = send_until_refused(MOST_SENDS_BEFORE_FULL, |n| {
        gateway.api.post("/api/send", send_body(n))
    })
    .await;
    accepted.extend(accepted_while_full);
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{refusal}");
    assert_eq!(refusal["success"], false, "{refusal}");
    assert_eq!(refusal["code"], "storage_full", "{refusal}");
    let ready = readiness_once_full(&gateway.api, &mut accepted).await;
    assert_eq!(ready["ready"], false, "{ready}");
    assert_eq!(ready["checks"]["disk"]["state"], "full", "{ready}");

    std::fs::remove_file(disk.join("ballast")).unwrap();
    eventually("readiness sees room again", || async {
        gateway.api.get("/readyz").await.0 == StatusCode::OK
    })
    .await;
    for n in 0..10 {
        let (status, reply) = gateway.api.post("/api/send", send_body(n)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        accepted.push(reply["id"].as_str().expect("an id").to_owned());
    }
    eventually("every accepted message is sent", || async {
        sent_ids(&gateway.api).await.len() >= accepted.len()
    })
    .await;
    assert_eq!(sent_ids(&gateway.api).await, accepted, "sent once each, in order");
    assert_intact(&disk.join("wagate.db"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_start_stops_it_and_room_lets_it_start() {
    let dir = tempfile::tempdir().unwrap();
    let report = tempfile::NamedTempFile::new().unwrap();
    let script = r#"mount -t tmpfs -o size=1m tmpfs "$SESSION_DIR"
        cat /dev/zero > "$SESSION_DIR/ballast" 2>/dev/null || true
        "$WAGATE" 2> "$FIRST_START_LOG" || true
        rm "$SESSION_DIR/ballast"
        exec "$WAGATE""#;
    let log = report.path().to_str().unwrap();
    let gateway = Proc::start_in_own_mounts(dir.path(), &[("FIRST_START_LOG", log)], script).await;

    let first = std::fs::read_to_string(report.path()).unwrap();
    let folder = dir.path().display().to_string();
    assert!(
        first.contains(&folder),
        "the error does not name {folder}: {first}"
    );
    assert!(
        first.contains("no room is left"),
        "the error does not say the disk is full: {first}"
    );
    gateway.api.link(INSTANCE, "+15550000001").await;
    let (status, reply) = gateway.api.post("/api/send", send_body(0)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    eventually("the send reaches the sim network", || async {
        sent_ids(&gateway.api).await.len() == 1
    })
    .await;
    assert_intact(&seen_by(gateway.pid(), dir.path()).join("wagate.db"));
}
