//! Group commit of the hot writes (enqueues, send outcomes, receipts,
//! pacing marks): one writer thread takes every write waiting at that
//! moment and runs them in a single transaction. Under load this turns
//! many small commits, each a WAL append and a round of file locks, into
//! one; every caller is answered only after the commit. A failed write must
//! fail alone, so a batch in which one fails is rolled back and run again
//! with each write in a savepoint of its own (see [`store_batch`]). Between
//! two groups the writer restarts the WAL when the checkpoint thread asks.

use super::checkpoint::RestartWanted;
use super::disk_watch::DiskWatch;
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most writes stored in one transaction.
const MAX_BATCH: usize = 256;

/// One write waiting for its group, type-erased for the writer's queue.
trait PendingWrite: Send {
    /// Runs the write inside the open transaction (perhaps a second time,
    /// after a rollback); false when it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the commit's outcome is known.
    fn answer(self: Box<Self>, commit_error: Option<&StoreError>);
}

/// A write, its latest outcome and its caller.
struct Write<T, F> {
    work: F,
    outcome: Option<rusqlite::Result<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
    /// Told each write's outcome.
    disk: Arc<DiskWatch>,
}

impl<T, F> PendingWrite for Write<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> rusqlite::Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let outcome = (self.work)(conn);
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn answer(self: Box<Self>, commit_error: Option<&StoreError>) {
        let result = match (commit_error, self.outcome) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(outcome)) => outcome.map_err(super::into_store_error),
            (None, None) => Err(StoreError::Unavailable(
                "the store's writer did not run this write".into(),
            )),
        };
        match &result {
            Ok(_) => self.disk.wrote(),
            Err(e) => self.disk.failed(e),
        }
        let _ = self.reply.send(result);
    }
}

type Job = Box<dyn PendingWrite>;

/// The way into the writer thread; the thread ends when the last clone of
/// this is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
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
    /// `work` may run twice: a first run is undone when another write of its
    /// group fails.
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(Write {
            work,
            outcome: None,
            reply,
            disk: self.disk.clone(),
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
        let committed = store_batch(&mut guard, &mut jobs);
        drop(guard);
        let error = committed.err().map(super::into_store_error);
        for job in jobs {
            job.answer(error.as_ref());
        }
        restart.serve(&conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    }
}

/// Runs the batch in one transaction and returns the commit's outcome (a
/// failed commit fails every write of the batch). The writes first run one
/// after another with nothing between them; when one fails, that
/// transaction is rolled back and the batch runs again with each write in
/// a savepoint of its own, so the failure is undone alone. Savepoints on
/// every write cost a copy of each page it touched, and writes rarely fail.
fn store_batch(conn: &mut Connection, jobs: &mut [Job]) -> rusqlite::Result<()> {
    if stored_plainly(conn, jobs)? {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for job in jobs.iter_mut() {
        in_savepoint(&tx, job)?;
    }
    tx.commit()
}

/// Runs every write in one transaction and commits it if all succeeded;
/// false (and rolled back) when one failed.
fn stored_plainly(conn: &mut Connection, jobs: &mut [Job]) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    if !jobs.iter_mut().all(|job| job.run(&tx)) {
        return Ok(false);
    }
    tx.commit()?;
    Ok(true)
}

/// Runs one write in a savepoint of its own, kept if the write succeeded and
/// rolled back if it failed. The savepoint statements stay prepared.
fn in_savepoint(tx: &Connection, job: &mut Job) -> rusqlite::Result<()> {
    tx.prepare_cached("SAVEPOINT write")?.execute([])?;
    if !job.run(tx) {
        tx.prepare_cached("ROLLBACK TO write")?.execute([])?;
    }
    tx.prepare_cached("RELEASE write")?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that inserts `n`, then fails if `fails`; and its answer.
    fn insert(n: i64, fails: bool) -> (Job, oneshot::Receiver<StoreResult<()>>) {
        let (reply, answer) = oneshot::channel();
        let work = move |conn: &Connection| {
            conn.execute("INSERT INTO t VALUES (?1)", [n])?;
            match fails {
                true => Err(rusqlite::Error::InvalidQuery),
                false => Ok(()),
            }
        };
        let write = Write {
            work,
            outcome: None,
            reply,
            disk: Arc::default(),
        };
        (Box::new(write), answer)
    }

    fn kept(conn: &Connection) -> Vec<i64> {
        let mut query = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
        let rows = query.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// Stores a batch of `(n, fails)` writes; whether each was answered Ok.
    fn batch(conn: &mut Connection, writes: &[(i64, bool)]) -> Vec<bool> {
        let (mut jobs, mut answers): (Vec<_>, Vec<_>) = writes.iter().map(|&(n, f)| insert(n, f)).unzip();
        store_batch(conn, &mut jobs).unwrap();
        jobs.into_iter().for_each(|job| job.answer(None));
        answers
            .iter_mut()
            .map(|a| a.try_recv().unwrap().is_ok())
            .collect()
    }

    #[test]
    fn a_failed_write_is_rolled_back_alone_batch_after_batch() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        for base in [0, 10] {
            let answers = batch(
                &mut conn,
                &[(base + 1, false), (base + 2, true), (base + 3, false)],
            );
            assert_eq!(answers, [true, false, true]);
        }
        assert_eq!(kept(&conn), [1, 3, 11, 13]);
    }

    #[test]
    fn a_batch_without_failures_is_kept_whole_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        assert_eq!(batch(&mut conn, &[(1, false), (2, false)]), [true, true]);
        assert_eq!(batch(&mut conn, &[(3, true)]), [false]);
        assert_eq!(kept(&conn), [1, 2]);
    }
}
