//! The forwarder: carries out due forwards, a few at a time. Webhook
//! forwards are POSTed to GHL_INBOUND_URL; GHL jobs (status updates,
//! messages into Conversations) go to the GHL provider. Success is
//! delivered; a failure is tried again on the retry schedule (a
//! `Retry-After` is obeyed) until the last try makes it a dead letter.

use crate::clock::now_ms;
use crate::ghl::jobs::GhlJobs;
use crate::metrics::Metrics;
use crate::retry::{parse_retry_after, RetrySchedule};
use crate::store::{ForwardRecord, ForwardTarget, Outbox};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub struct ForwarderSettings {
    /// Where forwards go; unset, they wait in the outbox.
    pub url: Option<String>,
    pub schedule: RetrySchedule,
    pub timeout: Duration,
    /// Signs each POST when WEBHOOK_SECRET is set.
    pub signer: Option<super::WebhookSigner>,
    /// Runs the GHL provider's jobs.
    pub ghl: Arc<GhlJobs>,
}

pub struct Forwarder {
    outbox: Arc<dyn Outbox>,
    client: reqwest::Client,
    settings: ForwarderSettings,
    wakeup: Arc<Notify>,
    metrics: Arc<Metrics>,
}

/// Forwards handled per round, and how many are in flight at once.
const BATCH: usize = 64;
const CONCURRENCY: usize = 8;
/// The longest sleep between two looks at the outbox.
const IDLE_CHECK: Duration = Duration::from_secs(30);

enum Outcome {
    Delivered,
    Failed {
        error: String,
        retry_after: Option<Duration>,
    },
}

impl Forwarder {
    pub fn new(
        outbox: Arc<dyn Outbox>,
        settings: ForwarderSettings,
        wakeup: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with a timeout and user agent always builds");
        Self {
            outbox,
            client,
            settings,
            wakeup,
            metrics,
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        if self.settings.url.is_none() {
            tracing::info!("GHL_INBOUND_URL is not set: inbound messages go to GHL only in provider mode");
        }
        while !stop.is_cancelled() {
            let notified = self.wakeup.notified();
            let handled = self.round().await;
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
    async fn round(&self) -> usize {
        let due = match self.outbox.due_forwards(now_ms(), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                return 0;
            }
        };
        let count = due.len();
        futures::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |f| self.attempt(f))
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

    async fn attempt(&self, forward: ForwardRecord) {
        self.metrics.forward_attempts.inc();
        let stored = match self.carry_out(&forward).await {
            Outcome::Delivered => {
                self.metrics.forwards_delivered.inc();
                self.outbox.forward_delivered(&forward.id).await
            }
            Outcome::Failed { error, retry_after } => {
                self.metrics.forward_failures.inc();
                let failed_attempts = forward.attempts + 1;
                if self.settings.schedule.allows_another(failed_attempts) {
                    let wait = self.settings.schedule.delay(failed_attempts, retry_after);
                    tracing::info!(forward = %forward.id, attempt = failed_attempts, %error, "forward failed, will retry");
                    self.outbox
                        .forward_retry_at(&forward.id, now_ms() + wait.as_millis() as i64, &error)
                        .await
                } else {
                    tracing::warn!(forward = %forward.id, %error, "forward is a dead letter after its last try");
                    self.metrics.forward_dead_letters.inc();
                    self.outbox.forward_dead(&forward.id, &error).await
                }
            }
        };
        if let Err(e) = stored {
            tracing::error!(forward = %forward.id, error = %e, "could not store a forward's outcome");
        }
    }

    async fn carry_out(&self, forward: &ForwardRecord) -> Outcome {
        match (forward.target, &self.settings.url) {
            (ForwardTarget::Webhook, Some(url)) => self.post(url, forward).await,
            (ForwardTarget::Webhook, None) => Outcome::Failed {
                error: "GHL_INBOUND_URL is not set".into(),
                retry_after: None,
            },
            _ => match self.settings.ghl.run(forward).await {
                Ok(()) => Outcome::Delivered,
                Err(e) => Outcome::Failed {
                    retry_after: e.retry_after(),
                    error: e.to_string(),
                },
            },
        }
    }

    async fn post(&self, url: &str, forward: &ForwardRecord) -> Outcome {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &forward.id)
            .header("X-Wagate-Forward-Id", &forward.id);
        if let Some(signer) = &self.settings.signer {
            let signature = signer.header_value(forward.body.as_bytes(), crate::clock::now_ms() / 1000);
            request = request.header(super::SIGNATURE_HEADER, signature);
        }
        let sent = request.body(forward.body.clone()).send().await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Outcome::Failed {
                    error: describe(e),
                    retry_after: None,
                }
            }
        };
        if response.status().is_success() {
            return Outcome::Delivered;
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        Outcome::Failed {
            error: format!("the receiver answered {}", response.status()),
            retry_after,
        }
    }
}

/// The failure in words, without the URL: GHL webhook URLs carry secrets.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "the receiver did not answer in time".into()
    } else if error.is_connect() {
        "could not connect to the receiver".into()
    } else {
        format!("request failed: {}", error.without_url())
    }
}
