//! The embedded backend: one SQLite database in SESSION_DIR (WAL mode), used
//! from blocking threads so no async task ever waits on disk. WAL with
//! `synchronous=NORMAL` keeps every committed write across a process crash
//! (kill -9) without an fsync per message.

mod checkpoint;
mod ghl;
mod group_commit;
mod instance_cache;
mod instances;
mod outbox;
mod queue;
mod routes;
mod rows;

use super::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    alias TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL,
    last_connected_at INTEGER,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_phone TEXT,
    to_phone TEXT,
    text TEXT NOT NULL,
    media_url TEXT,
    caption TEXT,
    status TEXT NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    request_id TEXT,
    UNIQUE (instance_id, direction, id)
);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (id);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (created_at);
CREATE INDEX IF NOT EXISTS messages_queued ON messages (instance_id, seq) WHERE status = 'queued';
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS locations (
    location_id TEXT PRIMARY KEY,
    route TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_routes (
    location_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (location_id, contact_id)
);
CREATE TABLE IF NOT EXISTS pacing (
    instance_id TEXT PRIMARY KEY,
    last_send_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS forwards (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT 'webhook'
);
CREATE INDEX IF NOT EXISTS forwards_due ON forwards (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS forwards_by_status ON forwards (status, created_at);
"#;

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
    /// Checkpoints the WAL away from the writes.
    _checkpoints: checkpoint::Checkpointer,
}

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA)
            .and_then(|_| conn.execute_batch(ghl::SCHEMA))
            .and_then(|_| add_forward_targets(&conn))
            .map_err(|e| StoreError::Unavailable(format!("cannot prepare {}: {e}", path.display())))?;
        let known = instances::all(&conn)
            .map(|all| Arc::new(instance_cache::InstanceCache::new(all)))
            .map_err(into_store_error)?;
        let _checkpoints = checkpoint::Checkpointer::start(&conn, connect(path)?)?;
        let conn = Arc::new(Mutex::new(conn));
        let reader = Arc::new(Mutex::new(connect(path)?));
        let writer = group_commit::GroupCommit::start(conn.clone())?;
        Ok(Self {
            conn,
            reader,
            known,
            writer,
            _checkpoints,
        })
    }

    /// Runs `work` on the writing connection in a blocking thread.
    async fn with<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        on_blocking_thread(self.conn.clone(), work).await
    }

    /// Runs the read `work` on the reading connection in a blocking thread.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        on_blocking_thread(self.reader.clone(), work).await
    }
}

/// A connection in WAL mode with `synchronous=NORMAL`.
fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
        .map_err(|e| StoreError::Unavailable(format!("cannot prepare {}: {e}", path.display())))?;
    Ok(conn)
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

/// Databases made before forwards had targets get the column (all their
/// forwards were webhooks).
fn add_forward_targets(conn: &Connection) -> rusqlite::Result<()> {
    let has_target: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('forwards') WHERE name = 'target'",
        [],
        |r| r.get(0),
    )?;
    if !has_target {
        conn.execute_batch("ALTER TABLE forwards ADD COLUMN target TEXT NOT NULL DEFAULT 'webhook'")?;
    }
    Ok(())
}

fn into_store_error(err: rusqlite::Error) -> StoreError {
    match err {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::Corrupt(err.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
