//! Inbound messages and the forwarding outbox. An inbound message and its
//! forwards are written in one transaction, keyed by WhatsApp's message id,
//! so a message WhatsApp replays is stored and forwarded once.

use super::{routing, rows, SqliteStore};
use crate::domain::InstanceId;
use crate::store::{
    ForwardRecord, ForwardStatus, ForwardTiming, InboundRecord, InboundRouting, NewForward, Outbox, Recorded,
    Requeue, StoreResult,
};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

/// Stores a pending forward; false when its id exists.
fn insert_forward(
    conn: &Connection,
    instance: &str,
    message_id: &str,
    forward: &NewForward,
    timing: ForwardTiming,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO forwards
             (id, instance_id, message_id, target, status, attempts, next_attempt_at, created_at, body)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?7)",
    )?
    .execute(params![
        forward.id,
        instance,
        message_id,
        forward.target.as_str(),
        timing.due_ms,
        timing.created_ms,
        forward.body
    ])
    .map(|inserted| inserted > 0)
}

/// Makes forwards that a previous run's forwarder had claimed in memory
/// due again. One process owns the database, so every such claim is left
/// over from before this start. A claimed forward is the only kind still
/// untried (attempts 0) that falls due after it was made, apart from one
/// requeued by hand, which is due already.
pub(super) fn release_claims(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE forwards SET next_attempt_at = created_at
         WHERE status = 'pending' AND attempts = 0 AND next_attempt_at > created_at",
        [],
    )
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn inbound_routing(&self) -> StoreResult<InboundRouting> {
        self.read(routing::snapshot).await
    }

    async fn record_inbound(&self, m: InboundRecord) -> StoreResult<Recorded> {
        self.with(move |conn| {
            let tx = conn.transaction()?;
            if routing::generation(&tx)? != m.routing_generation {
                return Ok(Recorded::RoutingChanged);
            }
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO messages (id, instance_id, direction, kind, from_phone, to_phone,
                        text, media_url, caption, status, created_at, updated_at, details)
                     VALUES (?1, ?2, 'inbound', ?3, ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9, ?10)",
                )?
                .execute(params![
                    m.wa_id,
                    m.instance.as_str(),
                    m.kind.as_str(),
                    m.from,
                    m.to,
                    m.text,
                    m.media_url,
                    m.caption,
                    m.received_at_ms,
                    m.details.to_json()
                ])?;
            if inserted == 0 {
                return Ok(Recorded::SeenBefore);
            }
            for forward in &m.forwards {
                insert_forward(&tx, m.instance.as_str(), &m.wa_id, forward, m.forward_timing())?;
            }
            if let Some(contact) = &m.contact {
                let unread = m.unread.then_some(&m.wa_id);
                super::sending::note_contact(&tx, &m.instance, contact, unread, m.received_at_ms)?;
            }
            tx.commit()?;
            Ok(Recorded::Stored)
        })
        .await
    }

    async fn add_forward(
        &self,
        instance: &InstanceId,
        message_id: &str,
        forward: NewForward,
    ) -> StoreResult<bool> {
        let (instance, message_id) = (instance.to_string(), message_id.to_owned());
        self.with(move |conn| insert_forward(conn, &instance, &message_id, &forward, ForwardTiming::now()))
            .await
    }

    async fn due_forwards(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        self.with(move |conn| {
            let sql = format!(
                "SELECT {} FROM forwards WHERE status = 'pending' AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at, created_at LIMIT ?2",
                rows::FORWARD_COLUMNS
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let due = stmt
                .query_map(params![now_ms, limit as i64], rows::forward)?
                .collect();
            due
        })
        .await
    }

    async fn next_forward_due(&self) -> StoreResult<Option<i64>> {
        self.with(|conn| {
            conn.prepare_cached("SELECT MIN(next_attempt_at) FROM forwards WHERE status = 'pending'")?
                .query_row([], |r| r.get(0))
                .optional()
                .map(Option::flatten)
        })
        .await
    }

    async fn forward_delivered(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.with(move |conn| {
            conn.prepare_cached(
                "UPDATE forwards SET status = 'delivered', attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            )?
            .execute([id])
            .map(drop)
        })
        .await
    }

    async fn forward_retry_at(&self, id: &str, due_ms: i64, error: &str) -> StoreResult<()> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.with(move |conn| {
            conn.execute(
                "UPDATE forwards SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
                params![id, due_ms, error],
            )
            .map(drop)
        })
        .await
    }

    async fn forward_dead(&self, id: &str, error: &str) -> StoreResult<()> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.with(move |conn| {
            conn.execute(
                "UPDATE forwards SET status = 'dead', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(drop)
        })
        .await
    }

    async fn forwards(&self, status: Option<ForwardStatus>, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        self.with(move |conn| {
            let sql = format!(
                "SELECT {} FROM forwards WHERE (?1 IS NULL OR status = ?1) ORDER BY created_at DESC LIMIT ?2",
                rows::FORWARD_COLUMNS
            );
            let mut stmt = conn.prepare(&sql)?;
            let found = stmt.query_map(
                params![status.map(ForwardStatus::as_str), limit as i64],
                rows::forward,
            )?;
            found.collect()
        })
        .await
    }

    async fn requeue_forward(&self, id: &str) -> StoreResult<Requeue> {
        let id = id.to_owned();
        self.with(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let claim: Option<Option<i64>> = tx
                .query_row(
                    "SELECT CASE WHEN status = 'pending' AND attempts = 0
                                  AND next_attempt_at > created_at AND next_attempt_at > ?2
                             THEN next_attempt_at END
                     FROM forwards WHERE id = ?1",
                    params![id, now],
                    |r| r.get(0),
                )
                .optional()?;
            let outcome = match claim {
                None => Requeue::Unknown,
                Some(Some(claimed_until_ms)) => Requeue::Claimed { claimed_until_ms },
                Some(None) => {
                    tx.execute(
                        "UPDATE forwards SET status = 'pending', attempts = 0, next_attempt_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                    Requeue::Requeued
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn release_forwards(&self, ids: &[String]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.with(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            for id in &ids {
                tx.prepare_cached(
                    "UPDATE forwards SET next_attempt_at = ?2 WHERE id = ?1 AND status = 'pending'",
                )?
                .execute(params![id, now])?;
            }
            tx.commit()
        })
        .await
    }
}
