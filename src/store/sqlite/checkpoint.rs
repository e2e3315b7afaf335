//! WAL checkpoints off the write path. SQLite would otherwise copy the WAL
//! back into the database (and fsync it) inside whichever commit crosses
//! the WAL's size limit, stalling every send waiting on that group commit.
//! Here the writing connection never checkpoints on its own; a thread of
//! its own does, on a connection of its own, in PASSIVE mode (it never
//! blocks a write). Durability is unchanged: a commit is in the WAL either way.
//!
//! A PASSIVE checkpoint never catches up with a writer that does not pause,
//! and SQLite starts the WAL over only once it has: under a sustained burst
//! the WAL would grow without end (150 MB in a four-second bench run), and
//! every fsync of a growing file stalls the appends beside it. So once the
//! WAL holds more than [`RESTART_FRAMES`], the writer is asked to run one
//! RESTART checkpoint between two group commits, which copies what is left
//! and lets the next write start the WAL from its beginning again.

use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How often the WAL is copied back into the database.
const EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) past which the writer starts the WAL over: 64 MiB of
/// 4 KiB pages (1 MiB in unit tests). The WAL file is cut back to this size
/// when it restarts.
const RESTART_FRAMES: i64 = if cfg!(test) { 256 } else { 16_384 };
const RESTART_BYTES: i64 = RESTART_FRAMES * 4096;
/// The longest a WAL restart waits for readers, holding up the writes.
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// Keeps the checkpoint thread running; it ends when the last clone of
/// this is dropped.
#[derive(Clone)]
pub(super) struct Checkpointer {
    _alive: mpsc::Sender<()>,
}

/// Set by the checkpoint thread when the WAL has grown past
/// [`RESTART_FRAMES`]; taken by the writer, which restarts it.
#[derive(Default)]
pub(super) struct RestartWanted(AtomicBool);

impl RestartWanted {
    /// Restarts the WAL on the writing connection if that was asked for:
    /// copies the rest of the WAL back and leaves the next write to start
    /// it from its beginning. It waits at most [`RESTART_WAIT`] for readers
    /// to move on (every write waits meanwhile); if they have not, the WAL
    /// is left as it is, and the next checkpoint asks again.
    pub(super) fn serve(&self, writer: &Connection) {
        if !self.0.swap(false, Ordering::Relaxed) {
            return;
        }
        let restarted = writer
            .busy_timeout(RESTART_WAIT)
            .and_then(|()| writer.query_row("PRAGMA wal_checkpoint(RESTART);", [], |_| Ok(())));
        let waits_again = writer.busy_timeout(super::BUSY_TIMEOUT);
        if let Err(e) = restarted.and(waits_again) {
            tracing::warn!(error = %e, "could not start the WAL over; the next checkpoint will ask again");
        }
    }
}

impl Checkpointer {
    /// Turns off the automatic checkpoints of `writer` and starts the thread.
    pub(super) fn start(
        writer: &Connection,
        own: Connection,
        restart: Arc<RestartWanted>,
    ) -> StoreResult<Self> {
        writer
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {RESTART_BYTES};"
            ))
            .map_err(|e| StoreError::Unavailable(format!("cannot set up checkpoints: {e}")))?;
        let (alive, stop) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("wagate-sqlite-checkpoint".into())
            .spawn(move || run(&own, &stop, &restart))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { _alive: alive })
    }
}

fn run(conn: &Connection, stop: &mpsc::Receiver<()>, restart: &RestartWanted) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(EVERY) {
        match passive(conn) {
            Ok(frames) if frames > RESTART_FRAMES => restart.0.store(true, Ordering::Relaxed),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next one will try again"),
        }
    }
    // The last checkpoint folds everything back before the store closes.
    let _ = passive(conn);
}

/// One PASSIVE checkpoint; the frames the WAL holds.
fn passive(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE);", [], |row| row.get(1))
}

#[cfg(test)]
mod tests {
    use super::RESTART_BYTES;
    use crate::domain::{InstanceId, MessageKind};
    use crate::store::sqlite::SqliteStore;
    use crate::store::{InstanceRecord, InstanceRegistry, NewOutbound, SendQueue};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    const TEXT_BYTES: u64 = 8 * 1024;

    fn large(n: usize) -> NewOutbound {
        NewOutbound {
            id: format!("m{n}"),
            instance: InstanceId::parse("wa-01").unwrap(),
            to: "+5511999999999".into(),
            kind: MessageKind::Text,
            text: "x".repeat(TEXT_BYTES as usize),
            media_url: None,
            caption: None,
            details: Default::default(),
            created_at_ms: 1,
            request_id: None,
        }
    }

    /// Writes without a pause (16 writers at once) leave PASSIVE
    /// checkpoints no chance to catch up; without restarts the WAL file
    /// would only grow. With them it is started over and cut back while the
    /// writes go on: a watcher sees its size fall to less than half of the
    /// largest it was. The writers stop once it has, or after `BUDGET`
    /// bytes, so the outcome does not hang on the machine's speed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wal_under_writes_without_a_pause_is_started_over() {
        const BUDGET: u64 = 512 * 1024 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let wa01 = InstanceRecord::new(InstanceId::parse("wa-01").unwrap(), None, 1);
        store.save_instance(&wa01).await.unwrap();
        let started_over = Arc::new(AtomicBool::new(false));
        let watcher = watch_for_a_fall(dir.path().join("t.db-wal"), started_over.clone());
        let written = Arc::new(AtomicU64::new(0));
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let (store, written, started_over) = (store.clone(), written.clone(), started_over.clone());
                tokio::spawn(async move {
                    let mut n = w;
                    while !started_over.load(Ordering::Relaxed)
                        && written.fetch_add(TEXT_BYTES, Ordering::Relaxed) < BUDGET
                    {
                        assert!(store.enqueue(large(n), None).await.unwrap().is_some());
                        n += 16;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        watcher.abort();
        assert!(
            started_over.load(Ordering::Relaxed),
            "the WAL never got smaller in {BUDGET} bytes of writes"
        );
    }

    /// Polls the size of the file at `wal`; sets `fell` once it is less
    /// than half the largest size seen, and that was past a restart's size.
    fn watch_for_a_fall(wal: PathBuf, fell: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut largest = 0;
            loop {
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                largest = largest.max(size);
                if largest > 2 * RESTART_BYTES as u64 && size < largest / 2 {
                    fell.store(true, Ordering::Relaxed);
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    }
}
