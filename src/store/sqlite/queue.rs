//! Outbound messages: the per-instance send queue (queued rows in arrival
//! order), their status, idempotency keys, and history lookups.

use super::{rows, sending, SqliteStore};
use crate::domain::{Direction, InstanceId, MessageStatus};
use crate::store::{
    Enqueued, HistoryQuery, MessageLog, MessageRecord, Moved, NewOutbound, QueueStats, SendQueue, SentMark,
    StoreResult,
};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

fn insert_outbound(tx: &Connection, m: &NewOutbound) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO messages (id, instance_id, direction, kind, to_phone, text, media_url, caption,
                               status, created_at, updated_at, request_id, details)
         VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?9, ?10)",
    )?;
    insert
        .execute(params![
            m.id,
            m.instance.as_str(),
            m.kind.as_str(),
            m.to,
            m.text,
            m.media_url,
            m.caption,
            m.created_at_ms,
            m.request_id,
            m.details.to_json()
        ])
        .map(drop)
}

/// Stores a new message as queued, unless the idempotency key was seen
/// before (then the earlier message's id) or the instance is not
/// registered (None). Runs inside the caller's transaction: the group
/// commit's.
pub(super) fn enqueue_in(
    tx: &Connection,
    message: &NewOutbound,
    idempotency_key: Option<&str>,
) -> rusqlite::Result<Option<Enqueued>> {
    if let Some(id) = idempotency_key
        .map(|key| keyed_message(tx, key))
        .transpose()?
        .flatten()
    {
        return Ok(Some(Enqueued { id, duplicate: true }));
    }
    if !instance_registered(tx, &message.instance)? {
        return Ok(None);
    }
    if let Some(key) = idempotency_key {
        tx.prepare_cached("INSERT INTO idempotency_keys (key, message_id, created_at) VALUES (?1, ?2, ?3)")?
            .execute(params![key, message.id, message.created_at_ms])?;
    }
    insert_outbound(tx, message)?;
    Ok(Some(Enqueued {
        id: message.id.clone(),
        duplicate: false,
    }))
}

/// The message an idempotency key was first used for.
fn keyed_message(tx: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached("SELECT message_id FROM idempotency_keys WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

fn instance_registered(tx: &Connection, instance: &InstanceId) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM instances WHERE id = ?1)")?
        .query_row([instance.as_str()], |r| r.get(0))
}

/// The statuses from which a message may move to `next`.
fn predecessors(next: MessageStatus) -> String {
    use MessageStatus::*;
    [Queued, Sent, Delivered, Read, Failed]
        .into_iter()
        .filter(|from| from.can_advance_to(next))
        .map(|from| format!("'{}'", from.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Moves the message forward inside the caller's transaction, with its GHL
/// link read in the same step; None when it is unknown or the move would go
/// backwards.
fn advance_in(
    tx: &Connection,
    id: &str,
    status: MessageStatus,
    error: Option<&str>,
    now: i64,
) -> rusqlite::Result<Option<Moved>> {
    let sql = format!(
        "UPDATE messages SET status = ?2, error = COALESCE(?3, error), updated_at = ?4,
                attempts = attempts + (CASE WHEN ?2 IN ('sent', 'failed') AND status = 'queued' THEN 1 ELSE 0 END)
         WHERE id = ?1 AND direction = 'outbound' AND status IN ({})
         RETURNING instance_id, status, error",
        predecessors(status)
    );
    let moved = tx
        .prepare_cached(&sql)?
        .query_row(params![id, status.as_str(), error, now], rows::moved)
        .optional()?;
    let Some(moved) = moved else { return Ok(None) };
    let link: Option<String> = tx
        .prepare_cached("SELECT link FROM ghl_links WHERE message_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let ghl_link = link.map(rows::decode_json).transpose()?;
    Ok(Some(Moved { ghl_link, ..moved }))
}

#[async_trait]
impl SendQueue for SqliteStore {
    async fn enqueue(
        &self,
        message: NewOutbound,
        idempotency_key: Option<String>,
    ) -> StoreResult<Option<Enqueued>> {
        self.writer
            .write(move |tx| enqueue_in(tx, &message, idempotency_key.as_deref()))
            .await
    }

    async fn head(&self, instance: &InstanceId) -> StoreResult<Option<MessageRecord>> {
        Ok(self.queued(instance, 1).await?.pop())
    }

    async fn queued(&self, instance: &InstanceId, limit: usize) -> StoreResult<Vec<MessageRecord>> {
        let instance = instance.clone();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {} FROM messages WHERE instance_id = ?1 AND status = 'queued' ORDER BY seq LIMIT ?2",
                rows::MESSAGE_COLUMNS
            );
            let found = conn
                .prepare_cached(&sql)?
                .query_map(params![instance.as_str(), limit as i64], rows::message)?
                .collect();
            found
        })
        .await
    }

    async fn record_attempt(&self, id: &str, error: &str) -> StoreResult<()> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.writer
            .write(move |tx| {
                tx.prepare_cached(
                    "UPDATE messages SET attempts = attempts + 1, error = ?2, updated_at = ?3
                     WHERE id = ?1 AND direction = 'outbound'",
                )?
                .execute(params![id, error, now_ms()])
                .map(drop)
            })
            .await
    }

    async fn advance(
        &self,
        id: &str,
        status: MessageStatus,
        error: Option<&str>,
    ) -> StoreResult<Option<Moved>> {
        let (id, error) = (id.to_owned(), error.map(str::to_owned));
        self.writer
            .write(move |tx| advance_in(tx, &id, status, error.as_deref(), now_ms()))
            .await
    }

    async fn mark_sent(&self, sent: &SentMark) -> StoreResult<Option<Moved>> {
        let sent = sent.clone();
        self.writer
            .write(move |tx| {
                let moved = advance_in(tx, &sent.id, MessageStatus::Sent, None, sent.at_ms)?;
                tx.prepare_cached(
                    "INSERT INTO pacing (instance_id, last_send_at) VALUES (?1, ?2)
                     ON CONFLICT (instance_id) DO UPDATE SET last_send_at = ?2",
                )?
                .execute(params![sent.instance.as_str(), sent.at_ms])?;
                if moved.is_some() {
                    sending::count_send(tx, &sent)?;
                }
                Ok(moved)
            })
            .await
    }

    async fn fail_queued(&self, instance: &InstanceId, reason: &str) -> StoreResult<Vec<String>> {
        let (instance, reason) = (instance.clone(), reason.to_owned());
        self.with(move |conn| {
            let mut stmt = conn.prepare(
                "UPDATE messages SET status = 'failed', error = ?2, updated_at = ?3
                 WHERE instance_id = ?1 AND status = 'queued' RETURNING id",
            )?;
            let failed = stmt.query_map(params![instance.as_str(), reason, now_ms()], |r| r.get(0))?;
            failed.collect()
        })
        .await
    }

    async fn queue_depths(&self) -> StoreResult<Vec<(InstanceId, u64)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT instance_id, COUNT(*) FROM messages WHERE status = 'queued' GROUP BY instance_id",
            )?;
            let depths = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
                .filter_map(|row| match row {
                    Ok((id, n)) => InstanceId::parse(&id).ok().map(|id| Ok((id, n))),
                    Err(e) => Some(Err(e)),
                })
                .collect();
            depths
        })
        .await
    }

    async fn last_send_at(&self, instance: &InstanceId) -> StoreResult<Option<i64>> {
        let instance = instance.clone();
        self.read(move |conn| {
            conn.query_row(
                "SELECT last_send_at FROM pacing WHERE instance_id = ?1",
                [instance.as_str()],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn stats(&self) -> StoreResult<QueueStats> {
        self.with(|conn| {
            conn.query_row(
                "SELECT
                    COALESCE(SUM(status = 'queued' AND attempts = 0), 0),
                    COALESCE(SUM(status IN ('sent', 'delivered', 'read')), 0),
                    COALESCE(SUM(status = 'failed'), 0),
                    COALESCE(SUM(status = 'queued' AND attempts > 0), 0),
                    COUNT(*)
                 FROM messages WHERE direction = 'outbound'",
                [],
                |r| {
                    Ok(QueueStats {
                        waiting: r.get::<_, i64>(0)? as u64,
                        active: 0,
                        completed: r.get::<_, i64>(1)? as u64,
                        failed: r.get::<_, i64>(2)? as u64,
                        delayed: r.get::<_, i64>(3)? as u64,
                        total: r.get::<_, i64>(4)? as u64,
                    })
                },
            )
        })
        .await
    }
}

#[async_trait]
impl MessageLog for SqliteStore {
    async fn message(&self, id: &str) -> StoreResult<Option<MessageRecord>> {
        let id = id.to_owned();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {} FROM messages WHERE id = ?1 ORDER BY direction = 'outbound' DESC LIMIT 1",
                rows::MESSAGE_COLUMNS
            );
            conn.prepare_cached(&sql)?
                .query_row([id], rows::message)
                .optional()
        })
        .await
    }

    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<MessageRecord>> {
        let q = query.clone();
        self.with(move |conn| {
            let sql = format!(
                "SELECT {} FROM messages
                 WHERE (?1 IS NULL OR instance_id = ?1) AND (?2 IS NULL OR direction = ?2)
                   AND (?3 IS NULL OR created_at >= ?3)
                 ORDER BY seq DESC LIMIT ?4",
                rows::MESSAGE_COLUMNS
            );
            let mut stmt = conn.prepare(&sql)?;
            let instance = q.instance.as_ref().map(InstanceId::as_str);
            let direction = q.direction.map(Direction::as_str);
            let found = stmt.query_map(
                params![instance, direction, q.since_ms, q.limit as i64],
                rows::message,
            )?;
            found.collect()
        })
        .await
    }
}
