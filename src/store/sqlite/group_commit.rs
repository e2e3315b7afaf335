//! Group commit of the hot writes (enqueues, send outcomes, receipts,
//! pacing marks): one writer thread takes every write waiting at that
//! moment and runs them in a single transaction (each in a savepoint of its
//! own, so one failure fails only its own write). Under load this turns
//! many small commits, each a WAL append and a round of file locks, into
//! one; every caller is answered only after the commit. Between two
//! groups the writer restarts the WAL when the checkpoint thread asks.

use super::checkpoint::RestartWanted;
use super::disk_watch::DiskWatch;
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most writes stored in one transaction.
const MAX_BATCH: usize = 256;

/// Answers a write's caller, given the commit's error if it failed.
type Answer = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// What a write left for after the commit: whether it succeeded (else its
/// savepoint is rolled back), and how to answer its caller once the commit's
/// outcome is known.
struct Done {
    ok: bool,
    answer: Answer,
}

/// One write: runs inside the batch's transaction.
type Job = Box<dyn FnOnce(&Connection) -> Done + Send>;

/// The way into the writer thread; the thread ends when the last clone of
/// this is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    /// Told each write's outcome.
    disk: Arc<DiskWatch>,
}

impl GroupCommit {
    pub(super) fn start(
        conn: Arc<Mutex<Connection>>,
        disk: Arc<DiskWatch>,
        restart: Arc<RestartWanted>,
    ) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("wagate-sqlite-writer".into())
            .spawn(move || write_batches(&conn, &queue, &restart))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the store's writer thread: {e}")))?;
        Ok(Self { jobs, disk })
    }

    /// Runs `work` in the next group's transaction; answers after its commit.
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let disk = self.disk.clone();
        let job: Job = Box::new(move |conn| {
            let outcome = work(conn);
            Done {
                ok: outcome.is_ok(),
                answer: Box::new(move |commit_error| {
                    let result = match commit_error {
                        Some(e) => Err(e.clone()),
                        None => outcome.map_err(super::into_store_error),
                    };
                    match &result {
                        Ok(_) => disk.wrote(),
                        Err(e) => disk.failed(e),
                    }
                    let _ = reply.send(result);
                }),
            }
        });
        let stopped =
            || StoreError::Unavailable("the store's writer failed or stopped before this write".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn write_batches(conn: &Mutex<Connection>, queue: &mpsc::Receiver<Job>, restart: &RestartWanted) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_BATCH - 1));
        let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (done, committed) = store_batch(&mut guard, jobs);
        drop(guard);
        let error = committed.err().map(super::into_store_error);
        for job in done {
            (job.answer)(error.as_ref());
        }
        restart.serve(&conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    }
}

/// Runs the batch in one transaction; the second value is the commit's
/// outcome (a failed commit fails every write of the batch). Writes left
/// unrun by a failure are dropped, which answers their callers with an error.
fn store_batch(conn: &mut Connection, jobs: Vec<Job>) -> (Vec<Done>, rusqlite::Result<()>) {
    let mut done = Vec::with_capacity(jobs.len());
    let outcome = (|| {
        let tx = conn.transaction()?;
        for job in jobs {
            done.push(in_savepoint(&tx, job)?);
        }
        tx.commit()
    })();
    (done, outcome)
}

/// Runs one write in a savepoint of its own, kept if the write succeeded and
/// rolled back if it failed. The savepoint statements stay prepared: parsing
/// them anew for every write (as `Transaction::savepoint` does) was a good
/// part of the writer's work.
fn in_savepoint(tx: &Connection, job: Job) -> rusqlite::Result<Done> {
    tx.prepare_cached("SAVEPOINT write")?.execute([])?;
    let finished = job(tx);
    if !finished.ok {
        tx.prepare_cached("ROLLBACK TO write")?.execute([])?;
    }
    tx.prepare_cached("RELEASE write")?.execute([])?;
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that inserts `n`, then reports failure if `fails`.
    fn insert(n: i64, fails: bool) -> Job {
        Box::new(move |conn| {
            let stored = conn.execute("INSERT INTO t VALUES (?1)", [n]).is_ok();
            Done {
                ok: stored && !fails,
                answer: Box::new(|_| {}),
            }
        })
    }

    fn kept(conn: &Connection) -> Vec<i64> {
        let mut query = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
        let rows = query.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn a_failed_write_is_rolled_back_alone_batch_after_batch() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        for base in [0, 10] {
            let jobs = vec![
                insert(base + 1, false),
                insert(base + 2, true),
                insert(base + 3, false),
            ];
            let (done, committed) = store_batch(&mut conn, jobs);
            committed.unwrap();
            assert_eq!(done.iter().map(|d| d.ok).collect::<Vec<_>>(), [true, false, true]);
        }
        assert_eq!(kept(&conn), [1, 3, 11, 13]);
    }
}
