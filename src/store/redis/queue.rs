//! Outbound messages: a hash per message, a list of queued ids per instance
//! (a message stays in it until its outcome is stored, so a crash loses
//! nothing), idempotency keys, counters, and the history sets.

use super::fields::{self, Fields};
use super::keys::Keys;
use super::{scripts, unavailable, RedisStore};
use crate::domain::{Direction, InstanceId, MessageStatus};
use crate::store::{
    Enqueued, HistoryQuery, MessageLog, MessageRecord, Moved, NewOutbound, QueueStats, SendQueue, SentMark,
    StoreResult,
};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use redis::AsyncCommands;

/// Adds the message's fields to the ENQUEUE call as field/value pairs,
/// leaving absent optional values out.
fn add_outbound_fields(script: &mut redis::ScriptInvocation<'_>, m: &NewOutbound) {
    let created_at = m.created_at_ms.to_string();
    let details = m.details.to_json();
    let fields = [
        ("id", Some(m.id.as_str())),
        ("instance_id", Some(m.instance.as_str())),
        ("direction", Some("outbound")),
        ("kind", Some(m.kind.as_str())),
        ("to", Some(m.to.as_str())),
        ("text", Some(m.text.as_str())),
        ("media_url", m.media_url.as_deref()),
        ("caption", m.caption.as_deref()),
        ("status", Some("queued")),
        ("attempts", Some("0")),
        ("created_at", Some(created_at.as_str())),
        ("updated_at", Some(created_at.as_str())),
        ("request_id", m.request_id.as_deref()),
        ("details", details.as_deref()),
    ];
    fields::add_pairs(script, &fields);
}

/// The statuses from which a message may move to `next`, as ",a,b,".
fn predecessors(next: MessageStatus) -> String {
    use MessageStatus::*;
    let allowed: Vec<&str> = [Queued, Sent, Delivered, Read, Failed]
        .into_iter()
        .filter(|s| s.can_advance_to(next))
        .map(|s| s.as_str())
        .collect();
    format!(",{},", allowed.join(","))
}

impl RedisStore {
    /// Reads message hashes by key, skipping any that vanished.
    pub(super) async fn messages_at(&self, keys: &[String]) -> StoreResult<Vec<MessageRecord>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.hgetall(key);
        }
        let found: Vec<Fields> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        found
            .iter()
            .filter(|f| !f.is_empty())
            .map(fields::message)
            .collect()
    }

    /// The ADVANCE script: moves the message forward at `now`, and sets the
    /// `pacing` mark to `now` in the same step when given.
    async fn move_forward(
        &self,
        id: &str,
        status: MessageStatus,
        error: Option<&str>,
        now: i64,
        sent: Option<&SentMark>,
    ) -> StoreResult<Option<Moved>> {
        let mut conn = self.conn().await?;
        let mut script = scripts::ADVANCE.prepare_invoke();
        let of_instance = |key: fn(&Keys, &InstanceId) -> String| {
            sent.map(|s| key(&self.keys, &s.instance)).unwrap_or_default()
        };
        script
            .key(self.keys.outbound(id))
            .key(self.keys.stats())
            .key(of_instance(Keys::pacing))
            .key(self.keys.ghl_link(id))
            .key(of_instance(Keys::sent_windows))
            .key(of_instance(Keys::contacts))
            .key(of_instance(Keys::talked))
            .arg(status.as_str())
            .arg(predecessors(status))
            .arg(error.unwrap_or(""))
            .arg(now)
            .arg(self.keys.prefix())
            .arg(sent.map_or(0, |s| s.window))
            .arg(sent.and_then(|s| s.contact.as_deref()).unwrap_or(""));
        let moved: Option<(String, String, String, String)> =
            script.invoke_async(&mut conn).await.map_err(unavailable)?;
        moved.map(fields::moved).transpose()
    }

    /// A history member (`out:<id>` or `in:<instance>:<id>`) → its hash key.
    fn member_key(&self, member: &str) -> String {
        format!("{}msg:{member}", self.keys.prefix())
    }
}

#[async_trait]
impl SendQueue for RedisStore {
    async fn enqueue(
        &self,
        message: NewOutbound,
        idempotency_key: Option<String>,
    ) -> StoreResult<Option<Enqueued>> {
        let mut conn = self.conn().await?;
        let mut script = scripts::ENQUEUE.prepare_invoke();
        script
            .key(self.keys.outbound(&message.id))
            .key(self.keys.queue(&message.instance))
            .key(
                idempotency_key
                    .map(|k| self.keys.idempotency(&k))
                    .unwrap_or_default(),
            )
            .key(self.keys.stats())
            .key(self.keys.instances());
        for log in self.keys.logs_of(&message.instance, Direction::Outbound) {
            script.key(log);
        }
        script
            .arg(&message.id)
            .arg(message.created_at_ms)
            .arg(format!("out:{}", message.id))
            .arg(message.instance.as_str());
        add_outbound_fields(&mut script, &message);
        let stored: Option<(String, i64)> = script.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(stored.map(|(id, duplicate)| Enqueued {
            id,
            duplicate: duplicate == 1,
        }))
    }

    async fn head(&self, instance: &InstanceId) -> StoreResult<Option<MessageRecord>> {
        Ok(self.queued(instance, 1).await?.pop())
    }

    async fn queued(&self, instance: &InstanceId, limit: usize) -> StoreResult<Vec<MessageRecord>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = {
            let mut conn = self.conn().await?;
            conn.lrange(self.keys.queue(instance), 0, limit as isize - 1)
                .await
                .map_err(unavailable)?
        };
        let keys: Vec<String> = ids.iter().map(|id| self.keys.outbound(id)).collect();
        self.messages_at(&keys).await
    }

    async fn record_attempt(&self, id: &str, error: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let key = self.keys.outbound(id);
        redis::pipe()
            .atomic()
            .hincr(&key, "attempts", 1)
            .hset(&key, "error", error)
            .hset(&key, "updated_at", now_ms())
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn advance(
        &self,
        id: &str,
        status: MessageStatus,
        error: Option<&str>,
    ) -> StoreResult<Option<Moved>> {
        self.move_forward(id, status, error, now_ms(), None).await
    }

    async fn mark_sent(&self, sent: &SentMark) -> StoreResult<Option<Moved>> {
        self.move_forward(&sent.id, MessageStatus::Sent, None, sent.at_ms, Some(sent))
            .await
    }

    async fn fail_queued(&self, instance: &InstanceId, reason: &str) -> StoreResult<Vec<String>> {
        let mut conn = self.conn().await?;
        scripts::FAIL_QUEUED
            .key(self.keys.queue(instance))
            .key(self.keys.stats())
            .arg(reason)
            .arg(now_ms())
            .arg(self.keys.prefix())
            .invoke_async::<Vec<String>>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn queue_depths(&self) -> StoreResult<Vec<(InstanceId, u64)>> {
        let mut conn = self.conn().await?;
        let ids: Vec<String> = conn.hkeys(self.keys.instances()).await.map_err(unavailable)?;
        let ids: Vec<InstanceId> = ids.iter().filter_map(|id| InstanceId::parse(id).ok()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.llen(self.keys.queue(id));
        }
        let lengths: Vec<u64> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        Ok(ids.into_iter().zip(lengths).filter(|(_, n)| *n > 0).collect())
    }

    async fn last_send_at(&self, instance: &InstanceId) -> StoreResult<Option<i64>> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.pacing(instance)).await.map_err(unavailable)
    }

    async fn stats(&self) -> StoreResult<QueueStats> {
        let depths = self.queue_depths().await?;
        let mut heads = Vec::new();
        for (id, _) in &depths {
            heads.extend(self.head(id).await?);
        }
        let mut conn = self.conn().await?;
        let counters: Fields = conn.hgetall(self.keys.stats()).await.map_err(unavailable)?;
        let count = |name: &str| {
            counters
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let queued: u64 = depths.iter().map(|(_, n)| n).sum();
        let delayed = heads.iter().filter(|m| m.attempts > 0).count() as u64;
        Ok(QueueStats {
            waiting: queued - delayed,
            active: 0,
            completed: count("completed"),
            failed: count("failed"),
            delayed,
            total: count("total"),
        })
    }
}

#[async_trait]
impl MessageLog for RedisStore {
    async fn message(&self, id: &str) -> StoreResult<Option<MessageRecord>> {
        if let Some(found) = self.messages_at(&[self.keys.outbound(id)]).await?.pop() {
            return Ok(Some(found));
        }
        let mut conn = self.conn().await?;
        let inbound: Option<String> = conn.get(self.keys.inbound_index(id)).await.map_err(unavailable)?;
        match inbound {
            Some(member) => Ok(self.messages_at(&[self.member_key(&member)]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<MessageRecord>> {
        let key = self.keys.log(query.instance.as_ref(), query.direction);
        let mut conn = self.conn().await?;
        let since = query.since_ms.map_or("-inf".to_owned(), |s| s.to_string());
        let members: Vec<String> = conn
            .zrevrangebyscore_limit(key, "+inf", since, 0, query.limit as isize)
            .await
            .map_err(unavailable)?;
        let keys: Vec<String> = members.iter().map(|m| self.member_key(m)).collect();
        self.messages_at(&keys).await
    }
}
