//! POSTing forwards to webhooks, for the global webhook and the instances'
//! own alike: signed when a secret is given, one at a time per target and
//! chat (so a contact's messages reach each receiver in the order they are
//! tried) and a few at once in all. Any 2xx is delivered; anything else is
//! a failure, with the receiver's `Retry-After` when it gives one.

use super::delivery::Outcome;
use super::WebhookSigner;
use crate::store::ForwardRecord;
use crate::support::keyed_lock::KeyedLocks;
use crate::support::retry::parse_retry_after;
use std::time::Duration;
use tokio::sync::{OwnedMutexGuard, Semaphore, SemaphorePermit};
use tokio_util::sync::CancellationToken;

/// Webhook POSTs under way at once, across rounds and handed-over ones.
const CONCURRENT_POSTS: usize = 8;

pub struct Poster {
    client: reqwest::Client,
    chat_order: KeyedLocks,
    post_slots: Semaphore,
}

impl Poster {
    /// POSTs with `client` (its timeout, and whatever limits where it may
    /// connect).
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            chat_order: KeyedLocks::default(),
            post_slots: Semaphore::new(CONCURRENT_POSTS),
        }
    }

    /// A client with the forward timeout and the gateway's user agent.
    pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
    }

    /// POSTs the forward's body to `url` once its chat's turn comes.
    pub async fn post(
        &self,
        url: &str,
        signer: Option<&WebhookSigner>,
        forward: &ForwardRecord,
        stop: &CancellationToken,
    ) -> Outcome {
        let Some((_in_order, _slot)) = self.turn(forward, stop).await else {
            return Outcome::Untried;
        };
        self.send(url, signer, forward).await
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
            (in_order, slot.expect("the poster never closes its slots"))
        };
        tokio::select! {
            biased;
            _ = stop.cancelled() => None,
            turn = wait => Some(turn),
        }
    }

    async fn send(&self, url: &str, signer: Option<&WebhookSigner>, forward: &ForwardRecord) -> Outcome {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", &forward.id)
            .header("X-Wagate-Forward-Id", &forward.id);
        if let Some(signer) = signer {
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

/// The chat a webhook forward's message belongs to.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChatOf {
    chat_id: String,
}

/// Orders webhook forwards: the target, instance and chat (a body that
/// names no chat is a key of its own).
fn chat_key(forward: &ForwardRecord) -> String {
    let chat =
        serde_json::from_str::<ChatOf>(&forward.body).map_or_else(|_| forward.id.clone(), |c| c.chat_id);
    format!("{}:{}:{chat}", forward.target.as_str(), forward.instance_id)
}

/// The failure in words, without the URL: webhook URLs carry secrets.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "the receiver did not answer in time".into()
    } else if error.is_connect() {
        "could not connect to the receiver".into()
    } else {
        format!("request failed: {}", error.without_url())
    }
}
