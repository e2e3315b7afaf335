//! An embedded store that is not what it should be stops the start with
//! an error naming the file: an empty `wagate.db` beside a WAL holding its
//! writes (SQLite would delete the WAL and start with no instances), and a
//! file with damaged pages; pages damaged while it runs turn readiness
//! off. (The Redis store has no file of the gateway's.)

use crate::common::{args, eventually, TestEnv};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;
use wagate::config::Config;

/// Starts the gateway on `session_dir`; the error it stops with.
async fn start_refused(session_dir: &Path) -> String {
    let settings = Config::from_args(args(session_dir, &[]))
        .unwrap()
        .validate()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let run = wagate::app::run(settings, listener, stop.clone());
    let ended = tokio::time::timeout(Duration::from_secs(10), run).await;
    stop.cancel();
    match ended {
        Ok(Err(e)) => e.to_string(),
        Ok(Ok(())) => panic!("the gateway ended without an error"),
        Err(_) => panic!("the gateway started on the damaged store"),
    }
}

async fn store_with_an_instance(env: &TestEnv) -> std::path::PathBuf {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.stop().await;
    env.dir.path().join("wagate.db")
}

#[tokio::test]
async fn an_empty_database_beside_its_wal_is_refused_naming_the_file() {
    let env = TestEnv::embedded();
    let db = store_with_an_instance(&env).await;
    let wal = env.dir.path().join("wagate.db-wal");
    // The last connection to close folds the WAL in and deletes it.
    eventually("the stopped gateway closed the store", || async { !wal.exists() }).await;
    let writer = Connection::open(&db).unwrap();
    writer
        .execute_batch("PRAGMA wal_autocheckpoint = 0; UPDATE instances SET alias = 'kept'")
        .unwrap();
    let frames = std::fs::read(&wal).unwrap();
    drop(writer);
    std::fs::write(&wal, frames).unwrap();
    std::fs::File::create(&db).unwrap();

    let error = start_refused(env.dir.path()).await;
    assert!(error.contains(&db.display().to_string()), "{error}");
    assert!(wal.is_file(), "the WAL is kept");
}

#[tokio::test]
async fn a_database_with_damaged_pages_is_refused_naming_the_file() {
    let env = TestEnv::embedded();
    let db = store_with_an_instance(&env).await;
    damage_middle_pages(&db);
    let error = start_refused(env.dir.path()).await;
    assert!(error.contains(&db.display().to_string()), "{error}");
    assert!(error.contains("damaged"), "{error}");
}

#[tokio::test]
async fn pages_damaged_while_running_turn_readiness_off() {
    let env = TestEnv::embedded();
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let db = env.dir.path().join("wagate.db");
    damage_middle_pages(&db);
    let (status, body) = gw.get("/api/send/stats").await;
    assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, body) = gw.get("/readyz").await;
    assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["store"]["state"], "damaged", "{body}");
    let error = body["checks"]["store"]["error"].as_str().unwrap();
    assert!(error.contains(&db.display().to_string()), "{error}");
    gw.stop().await;
}

/// Adds 2000 messages, folds the WAL into the file and overwrites three
/// pages in its middle.
fn damage_middle_pages(db: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO messages (id, instance_id, direction, kind, text, status, created_at, updated_at)
         SELECT 'm' || i, 'wa-01', 'outbound', 'text', printf('%.500c', 'x'), 'sent', i, i FROM n;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(db).unwrap();
    let middle = bytes.len() / 2 / 4096 * 4096;
    bytes[middle..middle + 3 * 4096].fill(0x5a);
    std::fs::write(db, bytes).unwrap();
}
