//! Inbound messages and the forwarding outbox: a hash per forward, a
//! sorted set of pending ones by due time (claimed atomically, so two
//! processes never POST the same forward at once) and one of all forwards.

use super::fields::{self, pairs, Fields};
use super::{scripts, unavailable, RedisStore};
use crate::clock::now_ms;
use crate::domain::{Direction, InstanceId};
use crate::store::{
    ForwardRecord, ForwardStatus, ForwardTiming, InboundRecord, NewForward, Outbox, Requeue, StoreResult,
    FORWARD_CLAIM,
};
use async_trait::async_trait;
use redis::AsyncCommands;

/// How many forwards a filtered listing reads per round.
const LIST_PAGE: isize = 200;

fn inbound_fields(m: &InboundRecord) -> Fields {
    pairs(&[
        ("id", Some(m.wa_id.clone())),
        ("instance_id", Some(m.instance.to_string())),
        ("direction", Some("inbound".into())),
        ("kind", Some(m.kind.as_str().into())),
        ("from", m.from.clone()),
        ("to", m.to.clone()),
        ("text", Some(m.text.clone())),
        ("media_url", m.media_url.clone()),
        ("caption", m.caption.clone()),
        ("status", Some("received".into())),
        ("attempts", Some("0".into())),
        ("created_at", Some(m.received_at_ms.to_string())),
        ("updated_at", Some(m.received_at_ms.to_string())),
    ])
}

fn forward_fields(
    instance: &InstanceId,
    message_id: &str,
    forward: &NewForward,
    timing: ForwardTiming,
) -> String {
    let fields = pairs(&[
        ("id", Some(forward.id.clone())),
        ("instance_id", Some(instance.to_string())),
        ("message_id", Some(message_id.to_owned())),
        ("target", Some(forward.target.as_str().to_owned())),
        ("status", Some("pending".into())),
        ("attempts", Some("0".into())),
        ("next_attempt_at", Some(timing.due_ms.to_string())),
        ("created_at", Some(timing.created_ms.to_string())),
        ("body", Some(forward.body.clone())),
    ]);
    serde_json::to_string(&fields).expect("plain data serialises")
}

impl RedisStore {
    async fn forwards_by_id(&self, ids: &[String]) -> StoreResult<Vec<ForwardRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hgetall(self.keys.forward(id));
        }
        let found: Vec<Fields> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        found
            .iter()
            .filter(|f| !f.is_empty())
            .map(fields::forward)
            .collect()
    }

    /// Applies an outcome: field changes, attempts + 1, and the due set.
    async fn settle_forward(
        &self,
        id: &str,
        changes: &[(&str, String)],
        due_ms: Option<i64>,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let key = self.keys.forward(id);
        let mut pipe = redis::pipe();
        pipe.atomic().hincr(&key, "attempts", 1);
        for (field, value) in changes {
            pipe.hset(&key, *field, value);
        }
        match due_ms {
            Some(due) => pipe.zadd(self.keys.forwards_due(), id, due),
            None => pipe.zrem(self.keys.forwards_due(), id),
        };
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }
}

#[async_trait]
impl Outbox for RedisStore {
    async fn record_inbound(&self, m: InboundRecord) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let member = format!("in:{}:{}", m.instance, m.wa_id);
        let mut script = scripts::RECORD_INBOUND.prepare_invoke();
        script
            .key(self.keys.inbound(&m.instance, &m.wa_id))
            .key(self.keys.inbound_index(&m.wa_id))
            .key(self.keys.forwards_due())
            .key(self.keys.forwards_all());
        for log in self.keys.logs_of(&m.instance, Direction::Inbound) {
            script.key(log);
        }
        let message = serde_json::to_string(&inbound_fields(&m)).expect("plain data serialises");
        script
            .arg(message)
            .arg(m.received_at_ms)
            .arg(&member)
            .arg(&member)
            .arg(m.forwards_due_at_ms);
        for forward in &m.forwards {
            script.key(self.keys.forward(&forward.id));
            let timing = m.forward_timing();
            let fields = forward_fields(&m.instance, &m.wa_id, forward, timing);
            script.arg(&forward.id).arg(fields);
        }
        let stored: i64 = script.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(stored == 1)
    }

    async fn add_forward(
        &self,
        instance: &InstanceId,
        message_id: &str,
        forward: NewForward,
    ) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let timing = ForwardTiming::now();
        let stored: i64 = scripts::ADD_FORWARD
            .key(self.keys.forward(&forward.id))
            .key(self.keys.forwards_due())
            .key(self.keys.forwards_all())
            .arg(&forward.id)
            .arg(forward_fields(instance, message_id, &forward, timing))
            .arg(timing.due_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(stored == 1)
    }

    async fn due_forwards(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        let mut conn = self.conn().await?;
        let ids: Vec<String> = scripts::CLAIM_DUE
            .key(self.keys.forwards_due())
            .arg(now_ms)
            .arg(limit)
            .arg(now_ms + FORWARD_CLAIM.as_millis() as i64)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        self.forwards_by_id(&ids).await
    }

    async fn next_forward_due(&self) -> StoreResult<Option<i64>> {
        let mut conn = self.conn().await?;
        let first: Vec<(String, f64)> = conn
            .zrange_withscores(self.keys.forwards_due(), 0, 0)
            .await
            .map_err(unavailable)?;
        Ok(first.first().map(|(_, score)| *score as i64))
    }

    async fn forward_delivered(&self, id: &str) -> StoreResult<()> {
        self.settle_forward(id, &[("status", "delivered".into())], None)
            .await?;
        let mut conn = self.conn().await?;
        conn.hdel::<_, _, ()>(self.keys.forward(id), "last_error")
            .await
            .map_err(unavailable)
    }

    async fn forward_retry_at(&self, id: &str, due_ms: i64, error: &str) -> StoreResult<()> {
        let changes = [
            ("next_attempt_at", due_ms.to_string()),
            ("last_error", error.to_owned()),
        ];
        self.settle_forward(id, &changes, Some(due_ms)).await
    }

    async fn forward_dead(&self, id: &str, error: &str) -> StoreResult<()> {
        self.settle_forward(
            id,
            &[("status", "dead".into()), ("last_error", error.to_owned())],
            None,
        )
        .await
    }

    async fn forwards(&self, status: Option<ForwardStatus>, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        let mut found = Vec::new();
        let mut start = 0;
        while found.len() < limit {
            let ids: Vec<String> = {
                let mut conn = self.conn().await?;
                let last = start + LIST_PAGE - 1;
                conn.zrevrange(self.keys.forwards_all(), start, last)
                    .await
                    .map_err(unavailable)?
            };
            if ids.is_empty() {
                break;
            }
            start += LIST_PAGE;
            let page = self.forwards_by_id(&ids).await?;
            found.extend(page.into_iter().filter(|f| status.is_none_or(|s| f.status == s)));
        }
        found.truncate(limit);
        Ok(found)
    }

    async fn requeue_forward(&self, id: &str) -> StoreResult<Requeue> {
        let mut conn = self.conn().await?;
        let (found, due_ms): (String, i64) = scripts::REQUEUE_FORWARD
            .key(self.keys.forward(id))
            .key(self.keys.forwards_due())
            .arg(id)
            .arg(now_ms())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(match found.as_str() {
            "requeued" => Requeue::Requeued,
            "claimed" => Requeue::Claimed {
                claimed_until_ms: due_ms,
            },
            _ => Requeue::Unknown,
        })
    }
}
