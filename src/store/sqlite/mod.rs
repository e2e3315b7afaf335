//! The embedded backend: one SQLite database in SESSION_DIR (WAL mode, file
//! 0600, checked for damage at start), used
//! from blocking threads so no async task ever waits on disk. WAL with
//! `synchronous=NORMAL` keeps every committed write across a process crash
//! (kill -9) without an fsync per message.

mod checkpoint;
mod disk_watch;
mod file_check;
mod ghl;
mod group_commit;
mod group_contacts;
mod instance_cache;
mod instances;
mod outbox;
mod queue;
mod routes;
mod routing;
mod rows;
mod schema;
mod sending;
mod webhooks;

use super::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// How long a connection waits for a lock another one holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Prepared statements kept per connection (rusqlite keeps 16 by default;
/// the writer alone runs more than that on its hot paths).
const PREPARED_STATEMENTS: usize = 64;

/// The embedded store. Cloning shares the connections.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// Lookups of the send path (instances, queue heads, messages) read on a
    /// connection of their own: in WAL mode they never wait for a write.
    reader: Arc<Mutex<Connection>>,
    /// The instance registry in memory, for lookups on the send path.
    known: Arc<instance_cache::InstanceCache>,
    /// Hot writes go through one writer thread that commits them in groups.
    writer: group_commit::GroupCommit,
    /// Whether writes find room on the disk.
    disk: Arc<disk_watch::DiskWatch>,
    /// Checkpoints the WAL away from the writes.
    _checkpoints: checkpoint::Checkpointer,
    /// The database file, named when it is found damaged.
    file: Arc<Path>,
}

impl SqliteStore {
    /// Opens the database at `path` (made 0600 if missing), refusing one
    /// that is damaged (see `file_check`).
    pub fn open(path: &Path) -> StoreResult<Self> {
        file_check::before_open(path)?;
        let conn = connect(path)?;
        file_check::quick_check(&conn, path)?;
        schema::prepare(&conn).map_err(|e| preparing(path, e))?;
        let released = outbox::release_claims(&conn).map_err(|e| preparing(path, e))?;
        if released > 0 {
            tracing::info!(
                forwards = released,
                "forwards taken but not finished before the restart are due again"
            );
        }
        let known = instances::all(&conn)
            .map(|all| Arc::new(instance_cache::InstanceCache::new(all)))
            .map_err(into_store_error)?;
        let restart = Arc::new(checkpoint::RestartWanted::default());
        let _checkpoints = checkpoint::Checkpointer::start(&conn, connect(path)?, restart.clone())?;
        let conn = Arc::new(Mutex::new(conn));
        let reader = Arc::new(Mutex::new(connect(path)?));
        let disk = Arc::new(disk_watch::DiskWatch::default());
        let writer = group_commit::GroupCommit::start(conn.clone(), disk.clone(), restart)?;
        Ok(Self {
            conn,
            reader,
            known,
            writer,
            disk,
            _checkpoints,
            file: path.into(),
        })
    }

    /// Runs `work` on the writing connection in a blocking thread. Some of
    /// this work only reads, so only a failure is news for the disk watch.
    async fn with<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let outcome = on_blocking_thread(self.conn.clone(), work).await;
        if let Err(e) = &outcome {
            self.disk.failed(e);
        }
        outcome
    }

    /// Runs the read `work` on the reading connection in a blocking thread.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let outcome = on_blocking_thread(self.reader.clone(), work).await;
        if let Err(e) = &outcome {
            self.disk.failed(e);
        }
        outcome
    }
}

/// A connection in WAL mode with `synchronous=NORMAL`, a 16 MiB page cache,
/// reads through a memory map (fewer system calls per lookup), and room to
/// keep every statement of the hot paths prepared.
fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| preparing(path, e))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456;",
    )
    .map_err(|e| preparing(path, e))?;
    Ok(conn)
}

/// A failure to set up the database file, named with its path.
fn preparing(path: &Path, err: rusqlite::Error) -> StoreError {
    let what = format!("cannot prepare {}: {err}", path.display());
    match into_store_error(err) {
        StoreError::Full(_) => StoreError::Full(what),
        StoreError::Corrupt(problem) => file_check::damaged(path, &problem),
        _ => StoreError::Unavailable(what),
    }
}

async fn on_blocking_thread<T, F>(conn: Arc<Mutex<Connection>>, work: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut guard)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
    .map_err(into_store_error)
}

fn into_store_error(err: rusqlite::Error) -> StoreError {
    match err {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::Corrupt(err.to_string())
        }
        rusqlite::Error::SqliteFailure(ref failure, _) if failure.code == rusqlite::ErrorCode::DiskFull => {
            StoreError::Full(err.to_string())
        }
        rusqlite::Error::SqliteFailure(ref failure, _)
            if matches!(
                failure.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) =>
        {
            StoreError::Corrupt(err.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

#[async_trait::async_trait]
impl super::DiskCheck for SqliteStore {
    fn damage(&self) -> Option<String> {
        let problem = self.disk.damage()?;
        Some(file_check::damaged(&self.file, &problem).to_string())
    }

    async fn write_problem(&self) -> Option<String> {
        self.disk.problem()?;
        // The outcome reaches the watch on its way back.
        let _ = self.writer.write(disk_watch::probe).await;
        self.disk.problem()
    }
}

#[cfg(test)]
mod tests;
