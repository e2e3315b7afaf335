//! Inbound messages and the forwarding outbox: a hash per forward, a
//! sorted set of pending ones by due time (claimed atomically, so two
//! processes never POST the same forward at once) and one of all forwards.

use super::fields::{self, Fields};
use super::{scripts, unavailable, RedisStore};
use crate::domain::{Direction, InstanceId};
use crate::store::{
    ForwardRecord, ForwardStatus, ForwardTiming, InboundRecord, InboundRouting, NewForward, Outbox, Recorded,
    Requeue, StoreResult, FORWARD_CLAIM,
};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use redis::{AsyncCommands, ScriptInvocation};

/// How many forwards a filtered listing reads per round.
const LIST_PAGE: isize = 200;

/// Adds the message's fields to the RECORD_INBOUND call, counted.
fn add_inbound_fields(script: &mut ScriptInvocation<'_>, m: &InboundRecord) {
    let received_at = m.received_at_ms.to_string();
    let details = m.details.to_json();
    let fields = [
        ("id", Some(m.wa_id.as_str())),
        ("instance_id", Some(m.instance.as_str())),
        ("direction", Some("inbound")),
        ("kind", Some(m.kind.as_str())),
        ("from", m.from.as_deref()),
        ("to", m.to.as_deref()),
        ("text", Some(m.text.as_str())),
        ("media_url", m.media_url.as_deref()),
        ("caption", m.caption.as_deref()),
        ("status", Some("received")),
        ("attempts", Some("0")),
        ("created_at", Some(received_at.as_str())),
        ("updated_at", Some(received_at.as_str())),
        ("details", details.as_deref()),
    ];
    fields::add_counted_pairs(script, &fields);
}

/// Adds a new forward's id and fields (counted) to a script call.
fn add_forward(
    script: &mut ScriptInvocation<'_>,
    instance: &InstanceId,
    message_id: &str,
    forward: &NewForward,
    timing: ForwardTiming,
) {
    let (due, created) = (timing.due_ms.to_string(), timing.created_ms.to_string());
    let target = forward.target.as_str();
    let fields = [
        ("id", Some(forward.id.as_str())),
        ("instance_id", Some(instance.as_str())),
        ("message_id", Some(message_id)),
        ("target", Some(target.as_ref())),
        ("status", Some("pending")),
        ("attempts", Some("0")),
        ("next_attempt_at", Some(due.as_str())),
        ("created_at", Some(created.as_str())),
        ("body", Some(forward.body.as_str())),
    ];
    script.arg(&forward.id);
    fields::add_counted_pairs(script, &fields);
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
    async fn inbound_routing(&self) -> StoreResult<InboundRouting> {
        let mut conn = self.conn().await?;
        let (generation, mut installed, routes, webhooks): (
            Option<u64>,
            Vec<String>,
            Vec<String>,
            Vec<String>,
        ) = redis::pipe()
            .atomic()
            .get(self.keys.routing_generation())
            .hkeys(self.keys.ghl_tokens())
            .hvals(self.keys.locations())
            .hvals(self.keys.webhooks())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        installed.sort_unstable();
        Ok(InboundRouting {
            generation: generation.unwrap_or(0),
            installed,
            routes: super::routes::decode_all(&routes)?,
            webhooks: super::webhooks::decode_all(&webhooks)?,
        })
    }

    async fn record_inbound(&self, m: InboundRecord) -> StoreResult<Recorded> {
        let mut conn = self.conn().await?;
        let member = format!("in:{}:{}", m.instance, m.wa_id);
        let mut script = scripts::RECORD_INBOUND.prepare_invoke();
        script
            .key(self.keys.routing_generation())
            .key(self.keys.inbound(&m.instance, &m.wa_id))
            .key(self.keys.inbound_index(&m.wa_id))
            .key(self.keys.forwards_due())
            .key(self.keys.forwards_all());
        for log in self.keys.logs_of(&m.instance, Direction::Inbound) {
            script.key(log);
        }
        script
            .key(self.keys.contacts(&m.instance))
            .key(self.keys.talked(&m.instance));
        let unread = if m.unread { m.wa_id.as_str() } else { "" };
        script
            .arg(m.routing_generation)
            .arg(m.received_at_ms)
            .arg(&member)
            .arg(m.forwards_due_at_ms)
            .arg(m.contact.as_deref().unwrap_or(""))
            .arg(if m.contact.is_some() { unread } else { "" });
        add_inbound_fields(&mut script, &m);
        for forward in &m.forwards {
            script.key(self.keys.forward(&forward.id));
            add_forward(&mut script, &m.instance, &m.wa_id, forward, m.forward_timing());
        }
        let outcome: i64 = script.invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(match outcome {
            1 => Recorded::Stored,
            0 => Recorded::SeenBefore,
            _ => Recorded::RoutingChanged,
        })
    }

    async fn add_forward(
        &self,
        instance: &InstanceId,
        message_id: &str,
        forward: NewForward,
    ) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let timing = ForwardTiming::now();
        let mut script = scripts::ADD_FORWARD.prepare_invoke();
        script
            .key(self.keys.forward(&forward.id))
            .key(self.keys.forwards_due())
            .key(self.keys.forwards_all())
            .arg(timing.due_ms);
        add_forward(&mut script, instance, message_id, &forward, timing);
        let stored: i64 = script.invoke_async(&mut conn).await.map_err(unavailable)?;
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

    async fn release_forwards(&self, ids: &[String]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut script = scripts::RELEASE_FORWARDS.prepare_invoke();
        script.key(self.keys.forwards_due()).arg(now_ms());
        for id in ids {
            script.key(self.keys.forward(id)).arg(id);
        }
        let mut conn = self.conn().await?;
        script
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}
