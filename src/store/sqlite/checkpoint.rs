//! WAL checkpoints off the write path. SQLite would otherwise copy the WAL
//! back into the database (and fsync it) inside whichever commit crosses
//! the WAL's size limit, stalling every send waiting on that group commit.
//! Here the writing connection never checkpoints; a thread of its own does,
//! on a connection of its own, in PASSIVE mode (it never blocks a write).
//! Durability is unchanged: a commit is in the WAL either way.

use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::mpsc;
use std::time::Duration;

/// How often the WAL is copied back into the database.
const EVERY: Duration = Duration::from_millis(200);

/// Keeps the checkpoint thread running; it ends when the last clone of
/// this is dropped.
#[derive(Clone)]
pub(super) struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Turns off the automatic checkpoints of `writer` and starts the thread.
    pub(super) fn start(writer: &Connection, own: Connection) -> StoreResult<Self> {
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .map_err(|e| StoreError::Unavailable(format!("cannot set up checkpoints: {e}")))?;
        let (alive, stop) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("wagate-sqlite-checkpoint".into())
            .spawn(move || run(&own, &stop))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { _alive: alive })
    }
}

fn run(conn: &Connection, stop: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(EVERY) {
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::warn!(error = %e, "WAL checkpoint failed; the next one will try again");
        }
    }
    // The last checkpoint folds everything back before the store closes.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
}
