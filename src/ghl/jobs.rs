//! Runs the outbox's GHL jobs (status updates, messages into
//! Conversations) for the forwarder: each with the location's token, and
//! once more with a renewed token when GHL answers 401. A 403 is not a
//! token problem (GHL answers it for a few seconds after a send): it fails
//! the attempt and the forwarder retries it with backoff.

use super::client::{GhlClient, GhlError};
use super::conversations::{Mirror, MirrorJob};
use super::marketplace_app::GhlApp;
use super::status::{self, StatusJob};
use super::tokens::TokenKeeper;
use crate::inbound::{Delivery, Outcome};
use crate::store::{ForwardRecord, ForwardTarget, GhlState};
use crate::support::keyed_lock::KeyedLocks;
use crate::support::secrets::SecretText;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct GhlJobs {
    pub app: Arc<GhlApp>,
    pub client: Arc<GhlClient>,
    pub tokens: Arc<TokenKeeper>,
    pub store: Arc<dyn GhlState>,
    pub mirror: Mirror,
    /// One status update at a time per GHL message, so they arrive in order.
    pub status_order: KeyedLocks,
    /// One message into Conversations at a time per location and contact
    /// (or group), so a contact's first messages make one contact and one
    /// conversation, and reach GHL in order.
    pub contact_order: KeyedLocks,
}

impl GhlJobs {
    pub async fn run(&self, forward: &ForwardRecord) -> Result<(), GhlError> {
        match forward.target {
            ForwardTarget::GhlStatus => self.report_status(&parse(&forward.body)?).await,
            ForwardTarget::GhlConversation => self.mirror(&parse(&forward.body)?).await,
            ForwardTarget::Webhook | ForwardTarget::Hook(_) => {
                Err(GhlError::NotConfigured("a webhook forward is not a GHL job"))
            }
        }
    }

    async fn report_status(&self, job: &StatusJob) -> Result<(), GhlError> {
        let _in_order = self.status_order.lock(&job.ghl_message_id).await;
        self.authorized(&job.location_id, |token| {
            status::report(&self.client, self.store.as_ref(), token, job)
        })
        .await
    }

    /// The contact's turn is taken before anything else is awaited: jobs
    /// handed over in arrival order then reach GHL in that order.
    async fn mirror(&self, job: &MirrorJob) -> Result<(), GhlError> {
        let _in_order = self.contact_order.lock(&job.conversation_key()).await;
        let provider = self
            .app
            .credentials()
            .await?
            .conversation_provider_id
            .ok_or(GhlError::NotConfigured("GHL_CONVERSATION_PROVIDER_ID is not set"))?;
        let provider = provider.as_str();
        self.authorized(&job.location_id, |token| async move {
            self.mirror.mirror(&token, provider, job).await
        })
        .await
    }

    /// Runs `call` with the location's token; on a 401, renews the token
    /// and runs it once more.
    async fn authorized<F, Fut>(&self, location: &str, call: F) -> Result<(), GhlError>
    where
        F: Fn(SecretText) -> Fut,
        Fut: Future<Output = Result<(), GhlError>>,
    {
        let token = self.tokens.access_token(location).await?;
        match call(token).await {
            Err(GhlError::Unauthorized) => {
                tracing::info!(location, "GHL refused a token before its expiry; renewing it");
                self.tokens.renew(location).await?;
                call(self.tokens.access_token(location).await?).await
            }
            other => other,
        }
    }
}

/// GHL is the delivery of messages into Conversations and of status
/// updates; a failure carries GHL's `Retry-After`.
#[async_trait]
impl Delivery for GhlJobs {
    async fn deliver(&self, forward: &ForwardRecord, _stop: &CancellationToken) -> Outcome {
        match self.run(forward).await {
            Ok(()) => Outcome::Delivered,
            Err(e) => Outcome::Failed {
                retry_after: e.retry_after(),
                error: e.to_string(),
            },
        }
    }
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T, GhlError> {
    serde_json::from_str(body)
        .map_err(|e| GhlError::BadAnswer(format!("a stored GHL job does not parse: {e}")))
}
