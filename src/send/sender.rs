//! The sender of one instance: takes the next message the gate allows,
//! waits until the instance is online, under today's cap, and the pacing
//! pause has passed, acts like a person (reads, types), hands the message
//! to the instance's actor with its stored WhatsApp id, and records the
//! outcome.

use super::gate::Gate;
use super::settings::SendingSettings;
use super::{human, pacing, SendPermission, Wakeups};
use crate::domain::{MessageStatus, Recipient};
use crate::metrics::{Metrics, SendResult};
use crate::store::{InstanceRegistry, MessageRecord, SendQueue, SentMark, StoreResult};
use crate::support::clock::now_ms;
use crate::support::retry::RetrySchedule;
use crate::wa::manager::{Companion, SessionHandle};
use crate::wa::{ChatPresence, InstanceStatus, OutgoingMessage, SendError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Starts an [`InstanceSender`] beside every instance's actor.
pub struct SenderCompanion {
    pub queue: Arc<dyn SendQueue>,
    pub instances: Arc<dyn InstanceRegistry>,
    pub wakeups: Arc<Wakeups>,
    pub gate: Arc<Gate>,
    pub retry: RetrySchedule,
    /// Sends in flight across all instances, for the stats.
    pub in_flight: Arc<AtomicU64>,
    pub metrics: Arc<Metrics>,
    /// Whether this process still holds each instance (with Redis).
    pub permission: Arc<dyn SendPermission>,
}

impl Companion for SenderCompanion {
    fn start(&self, handle: &SessionHandle, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let sender = InstanceSender {
            handle: handle.clone(),
            queue: self.queue.clone(),
            instances: self.instances.clone(),
            wakeups: self.wakeups.clone(),
            gate: self.gate.clone(),
            retry: self.retry,
            in_flight: self.in_flight.clone(),
            metrics: self.metrics.clone(),
            permission: self.permission.clone(),
            last_send: None,
            created_at_ms: None,
        };
        tokio::spawn(sender.run(stop))
    }
}

pub struct InstanceSender {
    handle: SessionHandle,
    queue: Arc<dyn SendQueue>,
    instances: Arc<dyn InstanceRegistry>,
    wakeups: Arc<Wakeups>,
    gate: Arc<Gate>,
    retry: RetrySchedule,
    in_flight: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    permission: Arc<dyn SendPermission>,
    last_send: Option<Instant>,
    /// When the instance was created: its warm-up counts from then.
    created_at_ms: Option<i64>,
}

/// Pause after the store failed to answer, before asking again.
const STORE_RETRY: Duration = Duration::from_secs(1);
/// An idle sender looks at its queue this often even without a wakeup (a
/// wakeup from another process can be missed while Redis reconnects).
const IDLE_RECHECK: Duration = Duration::from_secs(5);
/// Longest a waiting sender sleeps before it looks again: settings changed
/// by another process (no wakeup reaches it) take effect within this.
const LONGEST_NAP: Duration = Duration::from_secs(30);
/// Pause while the instance's lease is not confirmed, before looking again
/// (the coordinator renews it or stops this sender meanwhile).
const TENURE_RECHECK: Duration = Duration::from_millis(100);

impl InstanceSender {
    pub async fn run(mut self, stop: CancellationToken) {
        self.last_send = self.stored_last_send().await;
        let wakeup = self.wakeups.for_instance(&self.handle.id);
        while !stop.is_cancelled() {
            let notified = wakeup.notified();
            match self.step(&stop).await {
                Ok(Step::Done) => {}
                Ok(Step::WaitUntil(at_ms)) => {
                    let wait = Duration::from_millis((at_ms - now_ms()).max(0) as u64).min(LONGEST_NAP);
                    tokio::select! {
                        _ = notified => {},
                        _ = tokio::time::sleep(wait) => {},
                        _ = stop.cancelled() => {},
                    }
                }
                Err(e) => {
                    tracing::error!(instance = %self.handle.id, error = %e, "cannot read the sending state");
                    pause(&stop, STORE_RETRY).await;
                }
            }
        }
    }

    /// Sends the next message that may go, or says how long to wait.
    async fn step(&mut self, stop: &CancellationToken) -> StoreResult<Step> {
        let id = self.handle.id.clone();
        let blocked = self.handle.view().new_contact_block.is_some();
        let Some(message) = self.gate.next(&id, blocked).await? else {
            return Ok(Step::WaitUntil(now_ms() + IDLE_RECHECK.as_millis() as i64));
        };
        let settings = self.gate.policy.settings(self.gate.sending.as_ref(), &id).await?;
        let created_at_ms = self.created_at_ms().await?;
        if let Some(next_window) = self
            .gate
            .capped_until(&id, &settings, created_at_ms, now_ms())
            .await?
        {
            tracing::debug!(instance = %id, "today's send cap is reached; the queue waits for the next day");
            return Ok(Step::WaitUntil(next_window));
        }
        // The message's logs carry the id of the request that queued it.
        let request_id = message.request_id.clone().unwrap_or_default();
        let span = tracing::info_span!("send", message = %message.id, %request_id);
        self.deliver(message, &settings, stop).instrument(span).await;
        Ok(Step::Done)
    }

    /// Sends one message when the instance is ready; records the outcome.
    async fn deliver(
        &mut self,
        message: MessageRecord,
        settings: &SendingSettings,
        stop: &CancellationToken,
    ) {
        if !self.wait_until_online(stop).await {
            return;
        }
        let Some(outgoing) = outgoing(&message) else {
            self.settle_failed(&message, "the stored recipient is not a phone number or a group")
                .await;
            return;
        };
        let presence = match outgoing.to {
            Recipient::Phone(_) => human::presence_time(&message, settings),
            Recipient::Group(_) => (ChatPresence::Paused, Duration::ZERO),
        };
        if let Some(last) = self.last_send {
            let gap = pacing::draw(settings.delay_for(message.kind));
            let start_typing = (last + gap).checked_sub(presence.1).unwrap_or(last);
            tokio::select! { _ = tokio::time::sleep_until(start_typing) => {}, _ = stop.cancelled() => return }
        }
        // A group is not one person's chat: nothing to mark read, no typing.
        if let Some(phone) = outgoing.to.phone() {
            human::mark_read(&self.handle, self.gate.sending.as_ref(), phone, settings).await;
            if !human::show_presence(&self.handle, phone, presence, stop).await {
                return;
            }
        }
        if !self.permission.allows_send(&self.handle.id) {
            tracing::debug!(instance = %self.handle.id, "the lease is not confirmed lately; holding the send");
            pause(stop, TENURE_RECHECK).await;
            return;
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let result = self.handle.send(outgoing).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(()) => {
                tracing::debug!(instance = %self.handle.id, "message sent");
                self.last_send = Some(Instant::now());
                self.settle_sent(&message).await;
            }
            Err(SendError::Permanent(reason)) => self.settle_failed(&message, &reason).await,
            Err(SendError::NewContactsBlocked { reason, .. }) => self.settle_failed(&message, &reason).await,
            Err(SendError::Transient(reason)) => self.retry_later(&message, &reason, stop).await,
        }
    }

    /// When the instance was created, read once.
    async fn created_at_ms(&mut self) -> StoreResult<i64> {
        if let Some(at) = self.created_at_ms {
            return Ok(at);
        }
        let record = self.instances.instance(&self.handle.id).await?;
        let at = record.map_or_else(now_ms, |r| r.created_at_ms);
        Ok(*self.created_at_ms.insert(at))
    }

    async fn retry_later(&self, message: &MessageRecord, reason: &str, stop: &CancellationToken) {
        let failed_attempts = message.attempts + 1;
        if !self.retry.allows_another(failed_attempts) {
            let why = format!("gave up after {failed_attempts} attempts: {reason}");
            self.settle_failed(message, &why).await;
            return;
        }
        tracing::info!(instance = %self.handle.id, attempt = failed_attempts, %reason, "send failed, will retry");
        self.metrics
            .send_outcome(SendResult::Retried, message.created_at_ms);
        if let Err(e) = self.queue.record_attempt(&message.id, reason).await {
            tracing::error!(instance = %self.handle.id, error = %e, "could not record a send attempt");
        }
        pause(stop, self.retry.delay(failed_attempts, None)).await;
    }

    /// The previous send's time as stored, as an instant on this clock.
    async fn stored_last_send(&self) -> Option<Instant> {
        let at_ms = self.queue.last_send_at(&self.handle.id).await.ok().flatten()?;
        let ago = Duration::from_millis((now_ms() - at_ms).max(0) as u64);
        Instant::now().checked_sub(ago)
    }

    /// Stores the success with the pacing mark, retrying until stored: the
    /// outcome must be kept, or the message would be sent again.
    async fn settle_sent(&self, message: &MessageRecord) {
        let at_ms = now_ms();
        let sent = SentMark {
            id: message.id.clone(),
            instance: self.handle.id.clone(),
            at_ms,
            window: self.gate.policy.windows.index(at_ms),
            contact: message.to.clone(),
        };
        while let Err(e) = self.queue.mark_sent(&sent).await {
            tracing::error!(instance = %self.handle.id, error = %e, "could not store a send outcome; retrying");
            tokio::time::sleep(STORE_RETRY).await;
        }
        self.metrics.send_outcome(SendResult::Sent, message.created_at_ms);
    }

    /// Stores a failure, retrying until stored (see [`Self::settle_sent`]).
    async fn settle_failed(&self, message: &MessageRecord, reason: &str) {
        let failed = MessageStatus::Failed;
        while let Err(e) = self.queue.advance(&message.id, failed, Some(reason)).await {
            tracing::error!(instance = %self.handle.id, error = %e, "could not store a send outcome; retrying");
            tokio::time::sleep(STORE_RETRY).await;
        }
        self.metrics
            .send_outcome(SendResult::Failed, message.created_at_ms);
    }

    /// Waits until the instance is online; false when stopped first.
    async fn wait_until_online(&self, stop: &CancellationToken) -> bool {
        let mut view = self.handle.watch();
        tokio::select! {
            ready = view.wait_for(|v| v.status == InstanceStatus::Online) => ready.is_ok(),
            _ = stop.cancelled() => false,
        }
    }
}

/// What a sender's step came to.
enum Step {
    Done,
    /// Nothing may go before this time (ms since the epoch), unless a
    /// wakeup comes first.
    WaitUntil(i64),
}

async fn pause(stop: &CancellationToken, how_long: Duration) {
    tokio::select! { _ = tokio::time::sleep(how_long) => {}, _ = stop.cancelled() => {} }
}

fn outgoing(message: &MessageRecord) -> Option<OutgoingMessage> {
    let to = Recipient::from_stored(message.to.as_deref()?)?;
    Some(OutgoingMessage {
        id: message.id.clone(),
        to,
        kind: message.kind,
        text: message.text.clone(),
        media_url: message.media_url.clone(),
        caption: message.caption.clone(),
        details: message.details.clone(),
    })
}
