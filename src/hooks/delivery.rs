//! Delivers a forward to its instance's webhook as the webhook is now: its
//! current URL, signed with its own secret (or WEBHOOK_SECRET when it has
//! none). A forward whose webhook was removed is a dead letter at once
//! (`Outcome::Gone`). Unless private URLs are allowed, the client connects
//! only to public addresses and follows no redirects.

use super::address;
use crate::domain::WebhookId;
use crate::inbound::{HookDeliveries, Outcome, Poster, WebhookSigner};
use crate::store::{ForwardRecord, InstanceWebhook, WebhookStore};
use crate::support::secrets::SecretBox;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct HookDelivery {
    webhooks: Arc<dyn WebhookStore>,
    /// Opens the webhooks' sealed secrets.
    secrets: SecretBox,
    /// WEBHOOK_SECRET's signer, for webhooks without a secret of their own.
    default_signer: Option<WebhookSigner>,
    allow_private: bool,
    poster: Poster,
}

impl HookDelivery {
    pub fn new(
        webhooks: Arc<dyn WebhookStore>,
        secrets: SecretBox,
        default_signer: Option<WebhookSigner>,
        timeout: Duration,
        allow_private: bool,
    ) -> Self {
        let mut client = Poster::client_builder(timeout).redirect(reqwest::redirect::Policy::none());
        if !allow_private {
            // A proxy would resolve the host itself, past the address check.
            client = client
                .no_proxy()
                .dns_resolver(crate::wa::media::public_only_resolver());
        }
        let client = client.build().expect("the webhooks' HTTP client builds");
        Self {
            webhooks,
            secrets,
            default_signer,
            allow_private,
            poster: Poster::new(client),
        }
    }

    fn signer(&self, hook: &InstanceWebhook) -> Result<Option<WebhookSigner>, String> {
        match &hook.secret {
            Some(sealed) => self
                .secrets
                .open(sealed)
                .map(|secret| Some(WebhookSigner::new(&secret)))
                .map_err(|e| format!("the webhook's secret cannot be opened: {e}")),
            None => Ok(self.default_signer.clone()),
        }
    }
}

fn failed(error: String) -> Outcome {
    Outcome::Failed {
        error,
        retry_after: None,
    }
}

#[async_trait]
impl HookDeliveries for HookDelivery {
    async fn deliver(&self, id: WebhookId, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome {
        let hook = match self.webhooks.webhook(id).await {
            Ok(Some(hook)) => hook,
            Ok(None) => {
                return Outcome::Gone {
                    error: "the webhook was removed".into(),
                }
            }
            Err(e) => return failed(format!("could not read the webhook: {e}")),
        };
        if let Err(problem) = address::check(&hook.url, self.allow_private) {
            return failed(problem.to_string());
        }
        match self.signer(&hook) {
            Ok(signer) => self.poster.post(&hook.url, signer.as_ref(), forward, stop).await,
            Err(error) => failed(error),
        }
    }
}
