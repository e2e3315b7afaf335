//! The sender of one instance: takes the oldest queued message, waits until
//! the instance is online and the pacing gap has passed, hands it to the
//! instance's actor with its stored WhatsApp id, and records the outcome.

use super::{Pacing, Wakeups};
use crate::cluster::tenure::Tenure;
use crate::domain::{MessageStatus, Phone};
use crate::metrics::{Metrics, SendResult};
use crate::store::{MessageRecord, SendQueue};
use crate::support::clock::now_ms;
use crate::support::retry::RetrySchedule;
use crate::wa::manager::{Companion, SessionHandle};
use crate::wa::{InstanceStatus, OutgoingMessage, SendError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Starts an [`InstanceSender`] beside every instance's actor.
pub struct SenderCompanion {
    pub queue: Arc<dyn SendQueue>,
    pub wakeups: Arc<Wakeups>,
    pub pacing: Pacing,
    pub retry: RetrySchedule,
    /// Sends in flight across all instances, for the stats.
    pub in_flight: Arc<AtomicU64>,
    pub metrics: Arc<Metrics>,
    /// Whether this process still holds each instance (with Redis).
    pub tenure: Arc<Tenure>,
}

impl Companion for SenderCompanion {
    fn start(&self, handle: &SessionHandle, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let sender = InstanceSender {
            handle: handle.clone(),
            queue: self.queue.clone(),
            wakeups: self.wakeups.clone(),
            pacing: self.pacing,
            retry: self.retry,
            in_flight: self.in_flight.clone(),
            metrics: self.metrics.clone(),
            tenure: self.tenure.clone(),
            last_send: None,
        };
        tokio::spawn(sender.run(stop))
    }
}

pub struct InstanceSender {
    handle: SessionHandle,
    queue: Arc<dyn SendQueue>,
    wakeups: Arc<Wakeups>,
    pacing: Pacing,
    retry: RetrySchedule,
    in_flight: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    tenure: Arc<Tenure>,
    last_send: Option<Instant>,
}

/// Pause after the store failed to answer, before asking again.
const STORE_RETRY: Duration = Duration::from_secs(1);
/// An idle sender looks at its queue this often even without a wakeup (a
/// wakeup from another process can be missed while Redis reconnects).
const IDLE_RECHECK: Duration = Duration::from_secs(5);
/// Pause while the instance's lease is not confirmed, before looking again
/// (the coordinator renews it or stops this sender meanwhile).
const TENURE_RECHECK: Duration = Duration::from_millis(100);

impl InstanceSender {
    pub async fn run(mut self, stop: CancellationToken) {
        self.last_send = self.stored_last_send().await;
        let wakeup = self.wakeups.for_instance(&self.handle.id);
        while !stop.is_cancelled() {
            let notified = wakeup.notified();
            let head = match self.queue.head(&self.handle.id).await {
                Ok(head) => head,
                Err(e) => {
                    tracing::error!(instance = %self.handle.id, error = %e, "cannot read the send queue");
                    pause(&stop, STORE_RETRY).await;
                    continue;
                }
            };
            match head {
                Some(message) => {
                    // The message's logs carry the id of the request that queued it.
                    let request_id = message.request_id.clone().unwrap_or_default();
                    let span = tracing::info_span!("send", message = %message.id, %request_id);
                    self.deliver(message, &stop).instrument(span).await
                }
                None => tokio::select! {
                    _ = notified => {},
                    _ = tokio::time::sleep(IDLE_RECHECK) => {},
                    _ = stop.cancelled() => {},
                },
            }
        }
    }

    /// Sends one message when the instance is ready; records the outcome.
    async fn deliver(&mut self, message: MessageRecord, stop: &CancellationToken) {
        if !self.wait_until_online(stop).await {
            return;
        }
        if let Some(last) = self.last_send {
            let gap = self.pacing.gap_before(message.kind);
            tokio::select! { _ = tokio::time::sleep_until(last + gap) => {}, _ = stop.cancelled() => return }
        }
        let Some(outgoing) = outgoing(&message) else {
            self.settle_failed(&message, "the stored recipient is not a phone number")
                .await;
            return;
        };
        if !self.tenure.allows_send(&self.handle.id) {
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
            Err(SendError::Transient(reason)) => self.retry_later(&message, &reason, stop).await,
        }
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
        let sent_at = now_ms();
        while let Err(e) = self.queue.mark_sent(&message.id, &self.handle.id, sent_at).await {
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

async fn pause(stop: &CancellationToken, how_long: Duration) {
    tokio::select! { _ = tokio::time::sleep(how_long) => {}, _ = stop.cancelled() => {} }
}

fn outgoing(message: &MessageRecord) -> Option<OutgoingMessage> {
    let to = Phone::from_whatsapp_digits(message.to.as_deref()?.trim_start_matches('+'))?;
    Some(OutgoingMessage {
        id: message.id.clone(),
        to,
        kind: message.kind,
        text: message.text.clone(),
        media_url: message.media_url.clone(),
        caption: message.caption.clone(),
    })
}
