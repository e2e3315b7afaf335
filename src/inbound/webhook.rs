//! The webhook delivery (workflow mode): each forward is POSTed to
//! GHL_INBOUND_URL, signed when WEBHOOK_SECRET is set (see `poster`).

use super::delivery::{Delivery, Outcome};
use super::poster::Poster;
use super::WebhookSigner;
use crate::store::ForwardRecord;
use async_trait::async_trait;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct WebhookDelivery {
    /// Where forwards go; unset, they fail and wait in the outbox.
    url: Option<String>,
    signer: Option<WebhookSigner>,
    poster: Poster,
}

impl WebhookDelivery {
    pub fn new(url: Option<String>, signer: Option<WebhookSigner>, timeout: Duration) -> Self {
        let client = Poster::client_builder(timeout)
            .build()
            .expect("a client with a timeout and user agent always builds");
        Self {
            url,
            signer,
            poster: Poster::new(client),
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
        self.poster.post(url, self.signer.as_ref(), forward, stop).await
    }
}
