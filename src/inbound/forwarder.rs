//! The forwarder: carries out forwards, a few at a time: those the intake
//! hands over as they come, and in rounds those due in the store, each by
//! its target's delivery (see `delivery`). Success is
//! delivered; a failure is tried again on the retry schedule (a
//! `Retry-After` is obeyed) until the last try makes it a dead letter. No
//! try outlasts the forward's claim (see `handoff`). A forward whose
//! destination is gone (a removed webhook) is a dead letter at once, not
//! counted among the failed ones. When it stops, it
//! finishes the tries under way and hands back, due at once, the forwards
//! it took but had not begun to try.

use super::delivery::{Deliveries, Outcome};
use super::handoff::{self, Handed};
use crate::metrics::Metrics;
use crate::store::{ForwardRecord, Outbox, StoreResult, FORWARD_CLAIM};
use crate::support::clock::now_ms;
use crate::support::retry::RetrySchedule;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub struct Forwarder {
    outbox: Arc<dyn Outbox>,
    deliveries: Deliveries,
    schedule: RetrySchedule,
    wakeup: Arc<Notify>,
    metrics: Arc<Metrics>,
}

/// Forwards handled per round, and how many are in flight at once.
const BATCH: usize = 64;
const CONCURRENCY: usize = 8;
/// Handed-over forwards taken at once: most of them may only be waiting
/// for their chat's turn, which takes no POST slot.
const HANDED_AT_ONCE: usize = 64;
/// The longest sleep between two looks at the outbox.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// Where a forward stands after an attempt.
#[derive(Debug, PartialEq, Eq)]
enum Settled {
    /// Delivered, or a dead letter.
    Done,
    /// Due again: a retry, or its claim has to run out first.
    DueLater,
}

impl Forwarder {
    pub fn new(
        outbox: Arc<dyn Outbox>,
        deliveries: Deliveries,
        schedule: RetrySchedule,
        wakeup: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            outbox,
            deliveries,
            schedule,
            wakeup,
            metrics,
        }
    }

    /// Runs until `stop`, finishing the tries in progress.
    pub async fn run(self, mut handed: Handed, stop: CancellationToken) {
        tokio::join!(self.take_handed(&mut handed, &stop), self.rounds(&stop));
        self.hand_back(handed.close()).await;
    }

    /// Hands forwards that were taken but not tried back to the store, due
    /// at once (see [`Outbox::release_forwards`]).
    async fn hand_back(&self, forwards: Vec<ForwardRecord>) {
        if forwards.is_empty() {
            return;
        }
        let ids: Vec<String> = forwards.into_iter().map(|f| f.id).collect();
        match self.outbox.release_forwards(&ids).await {
            Ok(()) => tracing::info!(
                count = ids.len(),
                "handed back forwards not yet tried, due at once"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not hand back untried forwards; their claims run out instead")
            }
        }
    }

    /// Tries the forwards the intake hands over, as they come. One that is
    /// due again later wakes the rounds, which then know when.
    async fn take_handed(&self, handed: &mut Handed, stop: &CancellationToken) {
        handed
            .until_stopped(stop)
            .flat_map(futures::stream::iter)
            .for_each_concurrent(HANDED_AT_ONCE, |forward| async move {
                let deadline = handoff::try_deadline(&forward);
                if self.attempt(forward, deadline, stop).await == Settled::DueLater {
                    self.wakeup.notify_one();
                }
            })
            .await
    }

    /// Tries what is due in the store, round after round.
    async fn rounds(&self, stop: &CancellationToken) {
        while !stop.is_cancelled() {
            let notified = self.wakeup.notified();
            let handled = self.round(stop).await;
            if handled == BATCH {
                continue;
            }
            let wait = self.until_next_due().await;
            tokio::select! {
                _ = notified => {},
                _ = tokio::time::sleep(wait) => {},
                _ = stop.cancelled() => {},
            }
        }
    }

    /// Attempts every due forward once; returns how many it took.
    async fn round(&self, stop: &CancellationToken) -> usize {
        let due = match self.outbox.due_forwards(now_ms(), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                return 0;
            }
        };
        let count = due.len();
        let deadline = Instant::now() + FORWARD_CLAIM.saturating_sub(handoff::OUTCOME_MARGIN);
        futures::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |f| async move {
                self.attempt(f, deadline, stop).await;
            })
            .await;
        count
    }

    async fn until_next_due(&self) -> Duration {
        match self.outbox.next_forward_due().await {
            Ok(Some(due)) => Duration::from_millis((due - now_ms()).max(0) as u64).min(IDLE_CHECK),
            Ok(None) => IDLE_CHECK,
            Err(_) => Duration::from_secs(1),
        }
    }

    /// Tries the forward, unless `deadline` has passed (then its claim runs
    /// out and a later round takes it), and stores the outcome.
    async fn attempt(&self, forward: ForwardRecord, deadline: Instant, stop: &CancellationToken) -> Settled {
        if Instant::now() >= deadline {
            tracing::info!(forward = %forward.id, "a forward waited past its claim; a later round takes it");
            return Settled::DueLater;
        }
        let outcome = tokio::time::timeout_at(deadline, self.carry_out(&forward, stop))
            .await
            .unwrap_or_else(|_| Outcome::Failed {
                error: "the try did not finish within the forward's claim".into(),
                retry_after: None,
            });
        let (settled, stored) = self.settle(&forward, outcome).await;
        if let Err(e) = stored {
            tracing::error!(forward = %forward.id, error = %e, "could not store a forward's outcome");
            return Settled::DueLater;
        }
        settled
    }

    /// Stores the outcome: delivered, a retry at the schedule's next time,
    /// or a dead letter after the last try.
    async fn settle(&self, forward: &ForwardRecord, outcome: Outcome) -> (Settled, StoreResult<()>) {
        if matches!(outcome, Outcome::Delivered | Outcome::Failed { .. }) {
            self.metrics.forward_attempts.inc();
        }
        match outcome {
            Outcome::Untried => (
                Settled::DueLater,
                self.outbox
                    .release_forwards(std::slice::from_ref(&forward.id))
                    .await,
            ),
            Outcome::Delivered => {
                self.metrics.forwards_delivered.inc();
                (Settled::Done, self.outbox.forward_delivered(&forward.id).await)
            }
            Outcome::Gone { error } => {
                tracing::info!(forward = %forward.id, %error, "forward has nowhere to go; kept as a dead letter");
                (Settled::Done, self.outbox.forward_dead(&forward.id, &error).await)
            }
            Outcome::Failed { error, retry_after } => {
                self.metrics.forward_failures.inc();
                let failed_attempts = forward.attempts + 1;
                if self.schedule.allows_another(failed_attempts) {
                    let wait = self.schedule.delay(failed_attempts, retry_after);
                    tracing::info!(forward = %forward.id, attempt = failed_attempts, %error, "forward failed, will retry");
                    let due = now_ms() + wait.as_millis() as i64;
                    let stored = self.outbox.forward_retry_at(&forward.id, due, &error).await;
                    (Settled::DueLater, stored)
                } else {
                    tracing::warn!(forward = %forward.id, %error, "forward is a dead letter after its last try");
                    self.metrics.forward_dead_letters.inc();
                    (Settled::Done, self.outbox.forward_dead(&forward.id, &error).await)
                }
            }
        }
    }

    async fn carry_out(&self, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome {
        if stop.is_cancelled() {
            return Outcome::Untried;
        }
        self.deliveries.deliver(forward, stop).await
    }
}
