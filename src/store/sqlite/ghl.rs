//! GHL provider state in the embedded store: the app's sealed settings,
//! tokens (JSON per owner, replaced inside one transaction that checks the
//! version), message links, the last status reported per GHL message, and
//! single-use marks with their expiry (expired ones are purged as new ones
//! are noted).
//! Lookups use the reading connection, so they never wait for a write.

use super::rows::decode_json;
use super::SqliteStore;
use crate::store::ghl_state::version_matches;
use crate::store::{GhlLink, GhlState, StoreResult, StoredToken};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS ghl_app (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ghl_tokens (
    owner_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ghl_links (
    message_id TEXT PRIMARY KEY,
    link TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ghl_reported (
    ghl_message_id TEXT PRIMARY KEY,
    rank INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ghl_marks (
    mark TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ghl_marks_expiry ON ghl_marks (expires_at);
"#;

#[async_trait]
impl GhlState for SqliteStore {
    async fn ghl_app(&self) -> StoreResult<Option<String>> {
        self.read(|conn| {
            conn.query_row("SELECT sealed FROM ghl_app WHERE id = 1", [], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn set_ghl_app(&self, sealed: &str) -> StoreResult<()> {
        let sealed = sealed.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO ghl_app (id, sealed) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET sealed = ?1",
                [sealed],
            )
            .map(drop)
        })
        .await
    }

    async fn token(&self, owner_id: &str) -> StoreResult<Option<StoredToken>> {
        let owner = owner_id.to_owned();
        self.read(move |conn| {
            let json: Option<String> = conn
                .query_row(
                    "SELECT record FROM ghl_tokens WHERE owner_id = ?1",
                    [owner],
                    |r| r.get(0),
                )
                .optional()?;
            json.map(decode_json).transpose()
        })
        .await
    }

    async fn tokens(&self) -> StoreResult<Vec<StoredToken>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT record FROM ghl_tokens ORDER BY owner_id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|json| decode_json(json?)).collect()
        })
        .await
    }

    async fn replace_token(&self, token: &StoredToken, expected_version: Option<u64>) -> StoreResult<bool> {
        let mut token = token.clone();
        self.with(move |conn| {
            let tx = conn.transaction()?;
            let stored: Option<i64> = tx
                .query_row(
                    "SELECT version FROM ghl_tokens WHERE owner_id = ?1",
                    [&token.owner_id],
                    |r| r.get(0),
                )
                .optional()?;
            let stored = stored.map(|v| v as u64);
            if !version_matches(stored, expected_version) {
                return Ok(false);
            }
            token.version = stored.unwrap_or(0) + 1;
            token.updated_at_ms = now_ms();
            let json = serde_json::to_string(&token).expect("plain data serialises");
            tx.execute(
                "INSERT INTO ghl_tokens (owner_id, version, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (owner_id) DO UPDATE SET version = ?2, record = ?3",
                params![token.owner_id, token.version as i64, json],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn remove_token(&self, owner_id: &str) -> StoreResult<bool> {
        let owner = owner_id.to_owned();
        self.with(move |conn| {
            conn.execute("DELETE FROM ghl_tokens WHERE owner_id = ?1", [owner])
                .map(|removed| removed > 0)
        })
        .await
    }

    async fn link_message(&self, message_id: &str, link: &GhlLink) -> StoreResult<()> {
        let id = message_id.to_owned();
        let json = serde_json::to_string(link).expect("plain data serialises");
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO ghl_links (message_id, link) VALUES (?1, ?2)
                 ON CONFLICT (message_id) DO UPDATE SET link = ?2",
                params![id, json],
            )
            .map(drop)
        })
        .await
    }

    async fn message_link(&self, message_id: &str) -> StoreResult<Option<GhlLink>> {
        let id = message_id.to_owned();
        self.read(move |conn| {
            let json: Option<String> = conn
                .query_row("SELECT link FROM ghl_links WHERE message_id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            json.map(decode_json).transpose()
        })
        .await
    }

    async fn reported_rank(&self, ghl_message_id: &str) -> StoreResult<Option<u8>> {
        let id = ghl_message_id.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT rank FROM ghl_reported WHERE ghl_message_id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn advance_reported(&self, ghl_message_id: &str, rank: u8) -> StoreResult<bool> {
        let id = ghl_message_id.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO ghl_reported (ghl_message_id, rank, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (ghl_message_id) DO UPDATE SET rank = ?2, updated_at = ?3 WHERE rank < ?2",
                params![id, rank, now_ms()],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    async fn note_once(&self, mark: &str, ttl_ms: i64) -> StoreResult<bool> {
        let mark = mark.to_owned();
        self.with(move |conn| {
            let now = now_ms();
            conn.execute("DELETE FROM ghl_marks WHERE expires_at <= ?1", [now])?;
            conn.execute(
                "INSERT OR IGNORE INTO ghl_marks (mark, expires_at) VALUES (?1, ?2)",
                params![mark, now + ttl_ms],
            )
            .map(|noted| noted > 0)
        })
        .await
    }

    async fn take_once(&self, mark: &str) -> StoreResult<bool> {
        let mark = mark.to_owned();
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM ghl_marks WHERE mark = ?1 AND expires_at > ?2",
                params![mark, now_ms()],
            )
            .map(|taken| taken > 0)
        })
        .await
    }
}
