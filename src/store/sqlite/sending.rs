//! The embedded store's sending state: per-instance settings and
//! new-contact block (one row per instance), sends counted per cap window,
//! and each instance's contacts with the last message not yet marked read.

use super::SqliteStore;
use crate::domain::InstanceId;
use crate::store::{NewContactBlock, SendingState, SentMark, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashSet;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS instance_sending (
    instance_id TEXT PRIMARY KEY,
    settings TEXT,
    new_contact_block TEXT
);
CREATE TABLE IF NOT EXISTS sent_windows (
    instance_id TEXT NOT NULL,
    window INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    PRIMARY KEY (instance_id, window)
);
"#;

const CONTACTS: &str = r#"
CREATE TABLE contacts (
    instance_id TEXT NOT NULL,
    contact TEXT NOT NULL,
    unread_id TEXT,
    last_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (instance_id, contact)
);
"#;

/// Everyone an older database shows a chat with: recipients of messages
/// that went out, and senders of messages received (not the instance's
/// own number, which messages typed on the phone carry).
const CONTACTS_FROM_LOG: &str = r#"
INSERT INTO contacts (instance_id, contact, last_at)
    SELECT instance_id, contact, MAX(at) FROM (
        SELECT instance_id, to_phone AS contact, updated_at AS at FROM messages
         WHERE direction = 'outbound' AND status IN ('sent', 'delivered', 'read') AND to_phone IS NOT NULL
        UNION ALL
        SELECT instance_id, from_phone, created_at FROM messages
         WHERE direction = 'inbound' AND from_phone IS NOT NULL AND from_phone IS NOT to_phone
    ) GROUP BY instance_id, contact;
"#;

/// Creates the tables; a database made before contacts were kept gets
/// them from its message log, once.
pub(super) fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let has_contacts = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'contacts'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !has_contacts {
        conn.execute_batch(&format!("BEGIN; {CONTACTS} {CONTACTS_FROM_LOG} COMMIT;"))?;
    }
    Ok(())
}

/// Counts a send in its window and keeps its recipient as a contact; in
/// the caller's transaction (the one that stores the send).
pub(super) fn count_send(tx: &Connection, sent: &SentMark) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO sent_windows (instance_id, window, sent) VALUES (?1, ?2, 1)
         ON CONFLICT (instance_id, window) DO UPDATE SET sent = sent + 1",
    )?
    .execute(params![sent.instance.as_str(), sent.window])?;
    match &sent.contact {
        Some(contact) => note_contact(tx, &sent.instance, contact, None, sent.at_ms),
        None => Ok(()),
    }
}

/// Keeps `contact` as a contact of the instance, talked with at `at_ms`,
/// with `unread` as its latest message to mark read when given.
pub(super) fn note_contact(
    tx: &Connection,
    instance: &InstanceId,
    contact: &str,
    unread: Option<&String>,
    at_ms: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO contacts (instance_id, contact, unread_id, last_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (instance_id, contact)
         DO UPDATE SET unread_id = COALESCE(?3, unread_id), last_at = MAX(last_at, ?4)",
    )?
    .execute(params![instance.as_str(), contact, unread, at_ms])
    .map(drop)
}

/// Forgets everything kept for sending by a deleted instance.
pub(super) fn forget(tx: &Connection, instance: &InstanceId) -> rusqlite::Result<()> {
    for table in ["instance_sending", "sent_windows", "contacts"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE instance_id = ?1"),
            [instance.as_str()],
        )?;
    }
    Ok(())
}

impl SqliteStore {
    /// One column of the instance's `instance_sending` row.
    async fn sending_column(
        &self,
        instance: &InstanceId,
        column: &'static str,
    ) -> StoreResult<Option<String>> {
        let instance = instance.clone();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {column} FROM instance_sending WHERE instance_id = ?1"
            ))?
            .query_row([instance.as_str()], |r| r.get::<_, Option<String>>(0))
            .optional()
            .map(Option::flatten)
        })
        .await
    }

    async fn set_sending_column(
        &self,
        instance: &InstanceId,
        column: &'static str,
        value: Option<String>,
    ) -> StoreResult<()> {
        let instance = instance.clone();
        self.with(move |conn| {
            conn.execute(
                &format!(
                    "INSERT INTO instance_sending (instance_id, {column}) VALUES (?1, ?2)
                     ON CONFLICT (instance_id) DO UPDATE SET {column} = ?2"
                ),
                params![instance.as_str(), value],
            )
            .map(drop)
        })
        .await
    }
}

#[async_trait]
impl SendingState for SqliteStore {
    async fn sending_settings(&self, instance: &InstanceId) -> StoreResult<Option<String>> {
        self.sending_column(instance, "settings").await
    }

    async fn save_sending_settings(&self, instance: &InstanceId, settings_json: &str) -> StoreResult<()> {
        self.set_sending_column(instance, "settings", Some(settings_json.to_owned()))
            .await
    }

    async fn sent_in_window(&self, instance: &InstanceId, window: i64) -> StoreResult<u64> {
        let instance = instance.clone();
        self.read(move |conn| {
            conn.prepare_cached("SELECT sent FROM sent_windows WHERE instance_id = ?1 AND window = ?2")?
                .query_row(params![instance.as_str(), window], |r| r.get::<_, i64>(0))
                .optional()
                .map(|sent| sent.unwrap_or(0) as u64)
        })
        .await
    }

    async fn known_contacts(
        &self,
        instance: &InstanceId,
        contacts: &[String],
    ) -> StoreResult<HashSet<String>> {
        let (instance, contacts) = (instance.clone(), contacts.to_vec());
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT 1 FROM contacts WHERE instance_id = ?1 AND contact = ?2")?;
            let mut known = HashSet::new();
            for contact in contacts {
                if stmt.exists(params![instance.as_str(), contact])? {
                    known.insert(contact);
                }
            }
            Ok(known)
        })
        .await
    }

    async fn last_talked(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<i64>> {
        let (instance, contact) = (instance.clone(), contact.to_owned());
        self.read(move |conn| {
            conn.prepare_cached("SELECT last_at FROM contacts WHERE instance_id = ?1 AND contact = ?2")?
                .query_row(params![instance.as_str(), contact], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn take_unread(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<String>> {
        let (instance, contact) = (instance.clone(), contact.to_owned());
        self.with(move |conn| {
            let tx = conn.transaction()?;
            let unread: Option<String> = tx
                .query_row(
                    "SELECT unread_id FROM contacts WHERE instance_id = ?1 AND contact = ?2",
                    params![instance.as_str(), contact],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if unread.is_some() {
                tx.execute(
                    "UPDATE contacts SET unread_id = NULL WHERE instance_id = ?1 AND contact = ?2",
                    params![instance.as_str(), contact],
                )?;
            }
            tx.commit()?;
            Ok(unread)
        })
        .await
    }

    async fn new_contact_block(&self, instance: &InstanceId) -> StoreResult<Option<NewContactBlock>> {
        NewContactBlock::decode(self.sending_column(instance, "new_contact_block").await?)
    }

    async fn set_new_contact_block(
        &self,
        instance: &InstanceId,
        block: Option<&NewContactBlock>,
    ) -> StoreResult<()> {
        self.set_sending_column(instance, "new_contact_block", block.map(NewContactBlock::encode))
            .await
    }
}
