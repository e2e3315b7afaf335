//! Group commit of enqueues: one writer thread takes every enqueue waiting
//! at that moment and stores them in a single transaction (each in a
//! savepoint of its own, so one failure fails only its own send). Under
//! load this turns many small commits, each a WAL append and a round of
//! file locks, into one; every caller is answered only after the commit.

use super::queue::enqueue_in;
use crate::store::{Enqueued, NewOutbound, StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most enqueues stored in one transaction.
const MAX_BATCH: usize = 256;

struct Job {
    message: NewOutbound,
    idempotency_key: Option<String>,
    reply: oneshot::Sender<StoreResult<Enqueued>>,
}

/// The way into the writer thread; the thread ends when the last clone of
/// this is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    pub(super) fn start(conn: Arc<Mutex<Connection>>) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("wagate-sqlite-writer".into())
            .spawn(move || write_batches(&conn, &queue))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the store's writer thread: {e}")))?;
        Ok(Self { jobs })
    }

    pub(super) async fn enqueue(
        &self,
        message: NewOutbound,
        idempotency_key: Option<String>,
    ) -> StoreResult<Enqueued> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            message,
            idempotency_key,
            reply,
        };
        let stopped = || StoreError::Unavailable("the store's writer thread has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn write_batches(conn: &Mutex<Connection>, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_BATCH - 1));
        let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match store_batch(&mut guard, &jobs) {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome.map_err(super::into_store_error));
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
                }
            }
        }
    }
}

/// Stores the batch in one transaction; the outer error is the commit's.
fn store_batch(conn: &mut Connection, jobs: &[Job]) -> rusqlite::Result<Vec<rusqlite::Result<Enqueued>>> {
    let mut tx = conn.transaction()?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut savepoint = tx.savepoint()?;
        let outcome = enqueue_in(&savepoint, &job.message, job.idempotency_key.as_deref());
        if outcome.is_ok() {
            savepoint.commit()?;
        } else {
            savepoint.rollback()?;
        }
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}
