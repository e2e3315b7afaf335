//! Reaching sessions that run in another process: their owners publish each
//! instance's state to Redis (and announce its changes on a channel), and
//! requests travel through a per-instance Redis list to the owner, whose
//! answer comes back on a reply list.

use super::control::{Control, ControlReply};
use crate::domain::InstanceId;
use crate::send::Wakeups;
use crate::store::{StoreError, StoreResult};
use crate::wa::actor::InstanceView;
use deadpool_redis::Pool;
use futures::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a request waits for the owner's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);
/// One blocking wait on Redis; below the client's response timeout.
const BLOCK_SECONDS: f64 = 0.3;

/// An instance's state as its owner published it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedView {
    pub owner: String,
    pub view: InstanceView,
}

/// A change of an instance's state, as announced to the other processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ViewNote {
    pub instance: String,
    pub published: PublishedView,
}

#[derive(Serialize, Deserialize)]
struct Request {
    reply_to: String,
    control: Control,
}

#[derive(Clone)]
pub struct Remote {
    pool: Pool,
    prefix: String,
    /// For the subscription to queued-message announcements.
    url: String,
}

impl Remote {
    pub fn new(pool: Pool, prefix: &str, url: &str) -> Self {
        Self {
            pool,
            prefix: prefix.to_owned(),
            url: url.to_owned(),
        }
    }

    fn wake_channel(&self) -> String {
        format!("{}wake", self.prefix)
    }

    /// Announces that a message was queued for `instance`.
    pub async fn announce(&self, instance: &str) -> StoreResult<()> {
        self.broadcast(&self.wake_channel(), instance).await
    }

    /// Wakes local senders on every announcement until `stop`.
    pub async fn relay_wakeups(self, wakeups: Arc<Wakeups>, stop: CancellationToken) {
        let channels = [self.wake_channel()];
        self.follow(&channels, "queued-message announcements", &stop, |_, instance| {
            if let Ok(id) = InstanceId::parse(instance) {
                wakeups.wake(&id);
            }
        })
        .await
    }

    /// Hands every message on `channels` (channel, payload) to `handle`
    /// until `stop`, subscribing again after a lost connection; `what`
    /// names the messages in the log.
    pub(super) async fn follow(
        &self,
        channels: &[String],
        what: &str,
        stop: &CancellationToken,
        mut handle: impl FnMut(&str, &str),
    ) {
        while !stop.is_cancelled() {
            if let Err(e) = self.follow_once(channels, stop, &mut handle).await {
                tracing::warn!(error = %e, "lost the {what}; subscribing again");
                tokio::select! { _ = tokio::time::sleep(Duration::from_secs(1)) => {}, _ = stop.cancelled() => {} }
            }
        }
    }

    async fn follow_once(
        &self,
        channels: &[String],
        stop: &CancellationToken,
        handle: &mut impl FnMut(&str, &str),
    ) -> StoreResult<()> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channels).await?;
        let mut messages = pubsub.on_message();
        loop {
            let message = tokio::select! { m = messages.next() => m, _ = stop.cancelled() => return Ok(()) };
            let Some(message) = message else {
                return Err(StoreError::Unavailable("Redis: the subscription ended".into()));
            };
            let payload: String = message.get_payload()?;
            handle(message.get_channel_name(), &payload);
        }
    }

    /// Publishes `payload` on `channel`.
    pub(super) async fn broadcast(&self, channel: &str, payload: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        Ok(conn.publish::<_, _, ()>(channel, payload).await?)
    }

    /// The channel of the owners' instance state changes.
    pub(super) fn views_channel(&self) -> String {
        format!("{}live:views", self.prefix)
    }

    /// The channel on which processes with a panel feed open say so.
    pub(super) fn watching_channel(&self) -> String {
        format!("{}live:watching", self.prefix)
    }

    /// The channel of every process's message changes.
    pub(super) fn messages_channel(&self) -> String {
        format!("{}live:messages", self.prefix)
    }

    fn view_key(&self, instance: &str) -> String {
        format!("{}view:{instance}", self.prefix)
    }

    pub fn command_key(&self, instance: &str) -> String {
        format!("{}cmd:{instance}", self.prefix)
    }

    async fn conn(&self) -> StoreResult<deadpool_redis::Connection> {
        Ok(self.pool.get().await?)
    }

    /// Publishes an owned instance's state; it fades after `ttl` unless
    /// renewed. A change (`changed`) is also announced on the views channel
    /// for the live feeds of other processes.
    pub async fn publish(
        &self,
        instance: &str,
        view: &PublishedView,
        ttl: Duration,
        changed: bool,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(view).expect("plain data serialises");
        let mut pipe = redis::pipe();
        pipe.pset_ex(self.view_key(instance), &json, ttl.as_millis() as u64)
            .ignore();
        if changed {
            let note = ViewNote {
                instance: instance.to_owned(),
                published: view.clone(),
            };
            let note = serde_json::to_string(&note).expect("plain data serialises");
            pipe.publish(self.views_channel(), note).ignore();
        }
        let mut conn = self.conn().await?;
        Ok(pipe.query_async::<()>(&mut conn).await?)
    }

    pub async fn view(&self, instance: &str) -> StoreResult<Option<PublishedView>> {
        let mut conn = self.conn().await?;
        let raw: Option<String> = conn.get(self.view_key(instance)).await?;
        Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    /// Sends `control` to the instance's owner and waits for its answer.
    pub async fn ask(&self, instance: &str, control: Control) -> ControlReply {
        self.ask_owner(instance, control)
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    }

    /// [`Self::ask`]; the outer error is Redis's.
    async fn ask_owner(&self, instance: &str, control: Control) -> StoreResult<ControlReply> {
        let reply_to = format!("{}reply:{}", self.prefix, uuid::Uuid::new_v4().simple());
        let request = serde_json::to_string(&Request {
            reply_to: reply_to.clone(),
            control,
        })
        .expect("serialises");
        let mut conn = self.conn().await?;
        conn.rpush::<_, _, ()>(self.command_key(instance), request)
            .await?;
        let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
        while tokio::time::Instant::now() < deadline {
            let answer: Option<(String, String)> = conn.blpop(&reply_to, BLOCK_SECONDS).await?;
            if let Some((_, raw)) = answer {
                return serde_json::from_str(&raw)
                    .map_err(|e| StoreError::Corrupt(format!("unreadable answer: {e}")));
            }
        }
        Ok(Err(
            "the process that runs this instance did not answer in time".into()
        ))
    }

    /// Waits briefly for a request to any of `instances`; returns it with
    /// the instance it is for.
    pub async fn next_request(&self, instances: &[String]) -> StoreResult<Option<(String, Control, String)>> {
        if instances.is_empty() {
            tokio::time::sleep(Duration::from_secs_f64(BLOCK_SECONDS)).await;
            return Ok(None);
        }
        let keys: Vec<String> = instances.iter().map(|i| self.command_key(i)).collect();
        let mut conn = self.conn().await?;
        let popped: Option<(String, String)> = conn.blpop(keys, BLOCK_SECONDS).await?;
        let Some((key, raw)) = popped else { return Ok(None) };
        let instance = key.trim_start_matches(&self.command_key("")).to_owned();
        let request: Request = serde_json::from_str(&raw)
            .map_err(|e| StoreError::Corrupt(format!("unreadable request: {e}")))?;
        Ok(Some((instance, request.control, request.reply_to)))
    }

    pub async fn answer(&self, reply_to: &str, reply: &ControlReply) -> StoreResult<()> {
        let json = serde_json::to_string(reply).expect("plain data serialises");
        let mut conn = self.conn().await?;
        Ok(redis::pipe()
            .rpush(reply_to, json)
            .expire(reply_to, ANSWER_WITHIN.as_secs() as i64 * 2)
            .query_async::<()>(&mut conn)
            .await?)
    }
}
