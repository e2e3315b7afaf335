//! The database file is checked before the gateway uses it, so that a
//! damaged store stops the start with a message naming the file and what
//! to do, instead of serving on with records missing:
//!
//! - An empty (or missing) file beside a WAL that holds writes: SQLite
//!   would delete that WAL and start an empty store, losing every record.
//! - Damaged pages: `PRAGMA quick_check` reads every page and checks each
//!   b-tree's structure (not that the indexes match the rows, which is
//!   what makes `integrity_check` about four times slower). It reads the
//!   whole file once: for 100k messages (a 40 MB file), 0.1 s with the
//!   file in the page cache, about 1 s from a cold disk.
//!
//! A file made here is made 0600: SQLite gives its `-wal` and `-shm` files
//! the database file's mode.

use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A WAL file's header; any more is at least one frame of written pages.
const WAL_HEADER_BYTES: u64 = 32;
/// The problems `quick_check` names in the error, at most.
const SHOWN_PROBLEMS: usize = 3;

/// Refuses an empty database beside a WAL holding writes; creates a
/// missing database file (0600).
pub(super) fn before_open(path: &Path) -> StoreResult<()> {
    let length = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = wal_file(path);
    let wal_bytes = length(&wal);
    if length(path) == 0 && wal_bytes > WAL_HEADER_BYTES {
        return Err(StoreError::Corrupt(format!(
            "{} is empty or missing, but {} holds {wal_bytes} bytes of its writes: the database \
             file was truncated, deleted or not copied. Opening it would delete that WAL. Put the \
             database file back from where it was copied (or from a backup) beside the WAL, or \
             move both away to start with an empty store",
            path.display(),
            wal.display(),
        )));
    }
    crate::session_dir::private_files::create_if_missing(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", path.display())))
}

/// Runs `PRAGMA quick_check`; refuses a database it finds damaged.
pub(super) fn quick_check(conn: &Connection, path: &Path) -> StoreResult<()> {
    let outcome = conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.take(SHOWN_PROBLEMS).collect::<rusqlite::Result<Vec<_>>>()
    });
    match outcome {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(()),
        Ok(lines) => Err(damaged(path, &lines.join("; "))),
        Err(e) => Err(damaged(path, &e.to_string())),
    }
}

/// A damaged database: which file, what is wrong and what to do.
pub(super) fn damaged(path: &Path, problem: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "{path} is damaged ({problem}). Stop every wagate process that uses it and keep a copy \
         of it (with its -wal file, if any); then restore a backup, or recover what can be read \
         with `sqlite3 {path} .recover | sqlite3 {path}.recovered` and move the recovered file \
         in its place",
        path = path.display(),
    ))
}

fn wal_file(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_beside_an_empty_wal_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        std::fs::write(wal_file(&db), [0u8; 32]).unwrap();
        before_open(&db).unwrap();
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    }

    #[test]
    fn a_missing_database_beside_a_wal_with_writes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        std::fs::write(wal_file(&db), [1u8; 4096]).unwrap();
        let error = before_open(&db).unwrap_err().to_string();
        assert!(error.contains(&db.display().to_string()), "{error}");
        assert!(!db.exists(), "nothing was created");
    }

    #[test]
    fn a_sound_database_passes_the_quick_check() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        quick_check(&conn, Path::new("t.db")).unwrap();
    }
}
