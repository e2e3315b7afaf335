//! The webhook delivery (workflow mode): each forward is POSTed to
//! GHL_INBOUND_URL, signed when WEBHOOK_SECRET is set, one at a time per
//! chat (so a contact's messages reach the receiver in the order they are
//! tried) and a few at once in all. Any 2xx is delivered; anything else is
//! a failure, with the receiver's `Retry-After` when it gives one.

use super::delivery::{Delivery, Outcome};
use super::WebhookSigner;
use crate::store::ForwardRecord;
use crate::support::keyed_lock::KeyedLocks;
use crate::support::retry::parse_retry_after;
use async_trait::async_trait;
use std::time::Duration;
use tokio::sync::{OwnedMutexGuard, Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;

/// Webhook POSTs under way at once, across rounds and handed-over ones.
const CONCURRENT_POSTS: usize = 8;

pub struct WebhookDelivery {
    /// Where forwards go; unset, they fail and wait in the outbox.
    url: Option<String>,
    signer: Option<WebhookSigner>,
    client: reqwest::Client,
    chat_order: KeyedLocks,
    post_slots: Semaphore,
}

impl WebhookDelivery {
    pub fn new(url: Option<String>, signer: Option<WebhookSigner>, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with a timeout and user agent always builds");
        Self {
            url,
            signer,
            client,
            chat_order: KeyedLocks::default(),
            post_slots: Semaphore::new(CONCURRENT_POSTS),
        }
    }

    /// Waits for the chat's turn and a free POST slot; None when the
    /// forwarder stops first.
    async fn turn(
        &self,
        forward: &ForwardRecord,
        stop: &CancellationToken,
    ) -> Option<(OwnedMutexGuard<()>, SemaphorePermit<'_>)> {
        let wait = async {
            let in_order = self.chat_order.lock(&chat_key(forward)).await;
            let slot = self.post_slots.acquire().await;
            (
                in_order,
                slot.expect("the webhook delivery never closes its slots"),
            )
        };
        tokio::select! {
            biased;
            _ = stop.cancelled() => None,
            turn = wait => Some(turn),
        }
    }

    async fn post(&self, url: &str, forward: &ForwardRecord) -> Outcome {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &forward.id)
            .header("X-Wagate-Forward-Id", &forward.id);
        if let Some(signer) = &self.signer {
            let signature =
                signer.header_value(forward.body.as_bytes(), crate::support::clock::now_ms() / 1000);
            request = request.header(super::SIGNATURE_HEADER, signature);
        }
        let response = match request.body(forward.body.clone()).send().await {
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

#[async_trait]
impl Delivery for WebhookDelivery {
    async fn deliver(&self, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome {
        let Some(url) = &self.url else {
            return Outcome::Failed {
                error: "GHL_INBOUND_URL is not set".into(),
                retry_after: None,
            };
        };
        let Some((_in_order, _slot)) = self.turn(forward, stop).await else {
            return Outcome::Untried;
        };
        self.post(url, forward).await
    }
}

/// The chat a webhook forward's message belongs to.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChatOf {
    chat_id: String,
}

/// Orders webhook forwards: the instance and chat (a body that names no
/// chat is a key of its own).
fn chat_key(forward: &ForwardRecord) -> String {
    let chat =
        serde_json::from_str::<ChatOf>(&forward.body).map_or_else(|_| forward.id.clone(), |c| c.chat_id);
    format!("{}:{chat}", forward.instance_id)
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
