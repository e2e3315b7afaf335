//! Whether the embedded store's writes reach the disk. A full disk fails
//! writes while reads still answer; the watch learns that from the writes'
//! own outcomes, logs each change once (not once per refused write), and
//! readiness asks it. While writes fail, [`probe`] tries one small real
//! write, so readiness sees room come back even when nothing else writes.
//! It also keeps the first damage a read or write found in the file
//! (SQLite's "malformed" or "not a database"), which no later success
//! undoes: readiness reports it until the file is repaired.

use crate::store::StoreError;
use crate::support::clock::now_ms;
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub(super) struct DiskWatch {
    full: AtomicBool,
    /// The error of the write that found the disk full.
    detail: Mutex<String>,
    /// The first damage found in the database file.
    damage: std::sync::OnceLock<String>,
}

impl DiskWatch {
    /// A write was stored: if the disk was full, it has room again.
    pub(super) fn wrote(&self) {
        if self.full.load(Ordering::Relaxed) && self.full.swap(false, Ordering::AcqRel) {
            tracing::info!("the store's disk has room again: sends are accepted");
        }
    }

    /// A read or write failed; only a full disk or a damaged file changes
    /// what the watch says.
    pub(super) fn failed(&self, error: &StoreError) {
        if let StoreError::Corrupt(detail) = error {
            if self.damage.set(detail.clone()).is_ok() {
                tracing::error!(error = %detail, "the store's database file is damaged: see /readyz");
            }
        }
        let StoreError::Full(detail) = error else {
            return;
        };
        *self
            .detail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = detail.clone();
        if !self.full.swap(true, Ordering::AcqRel) {
            tracing::error!(
                error = %detail,
                "the store's disk is full: sends are refused (507) until room is made"
            );
        }
    }

    /// The damage found in the database file, if any.
    pub(super) fn damage(&self) -> Option<String> {
        self.damage.get().cloned()
    }

    /// Why writes fail right now, if they do.
    pub(super) fn problem(&self) -> Option<String> {
        if !self.full.load(Ordering::Acquire) {
            return None;
        }
        Some(
            self.detail
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

/// One small write that needs a page of its own in the WAL: the time of the
/// last probe, in a one-row table.
pub(super) fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO write_probe (id, at_ms) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at_ms = ?1",
        [now_ms()],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_reported_until_a_write_is_stored() {
        let watch = DiskWatch::default();
        assert_eq!(watch.problem(), None);
        watch.failed(&StoreError::Full("database or disk is full".into()));
        assert_eq!(watch.problem().as_deref(), Some("database or disk is full"));
        watch.wrote();
        assert_eq!(watch.problem(), None);
    }

    #[test]
    fn damage_is_kept_past_later_successes() {
        let watch = DiskWatch::default();
        watch.failed(&StoreError::Corrupt("database disk image is malformed".into()));
        watch.failed(&StoreError::Corrupt("a later one".into()));
        watch.wrote();
        assert_eq!(
            watch.damage().as_deref(),
            Some("database disk image is malformed")
        );
        assert_eq!(watch.problem(), None, "damage is not a full disk");
    }

    #[test]
    fn other_failures_do_not_read_as_a_full_disk() {
        let watch = DiskWatch::default();
        watch.failed(&StoreError::Unavailable("database is locked".into()));
        assert_eq!(watch.problem(), None);
    }
}
