//! Status back to GHL for messages sent through the provider. An observer
//! of the store's message changes notices each status change of a linked
//! message and stores a status job in the outbox (so it survives restarts and is
//! retried like any forward); the job PUTs the status to GHL. Statuses
//! only move forward: pending → delivered → read, or pending → failed.

use super::client::{GhlClient, GhlError, CONVERSATIONS_VERSION};
use crate::domain::{InstanceId, MessageStatus};
use crate::store::{
    ForwardTarget, GhlLink, GhlState, MessageLog, MessageObserver, Moved, NewForward, Outbox, StoreResult,
};
use crate::support::secrets::SecretText;
use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

/// The statuses GHL takes, in the order they may follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GhlStatus {
    Pending,
    Delivered,
    Read,
    Failed,
}

impl GhlStatus {
    /// What GHL should show for a message in `status`; WhatsApp's "sent"
    /// (one tick) has no GHL status of its own.
    pub fn of(status: MessageStatus) -> Option<Self> {
        match status {
            MessageStatus::Queued => Some(Self::Pending),
            MessageStatus::Delivered => Some(Self::Delivered),
            MessageStatus::Read => Some(Self::Read),
            MessageStatus::Failed => Some(Self::Failed),
            MessageStatus::Sent | MessageStatus::Received => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// A status job's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusJob {
    pub location_id: String,
    pub ghl_message_id: String,
    pub status: GhlStatus,
    pub error: Option<String>,
}

/// The job that reports `status` of a linked message; its id makes a
/// repeated change a no-op.
pub fn status_job(message_id: &str, link: &GhlLink, status: GhlStatus, error: Option<&str>) -> NewForward {
    let job = StatusJob {
        location_id: link.location_id.clone(),
        ghl_message_id: link.ghl_message_id.clone(),
        status,
        error: error.map(str::to_owned),
    };
    NewForward {
        id: format!("ghl-status:{message_id}:{}", status.as_str()),
        target: ForwardTarget::GhlStatus,
        body: serde_json::to_string(&job).expect("plain data serialises"),
    }
}

/// Whether a part's status speaks for the GHL message: the first part's
/// does; a later part only when it failed.
fn speaks_for_message(link: &GhlLink, status: GhlStatus) -> bool {
    link.part == 0 || status == GhlStatus::Failed
}

/// Whether `status` may follow the last reported rank: only forward, and
/// `failed` only while nothing beyond `pending` was reported (a message
/// GHL shows as delivered is not failed by a later attachment).
fn moves_forward(reported: Option<u8>, status: GhlStatus) -> bool {
    match (reported, status) {
        (None, _) => true,
        (Some(rank), GhlStatus::Failed) => rank <= GhlStatus::Pending.rank(),
        (Some(rank), status) => rank < status.rank(),
    }
}

/// PUTs one status, unless it would not move GHL's forward.
pub async fn report(
    client: &GhlClient,
    store: &dyn GhlState,
    token: SecretText,
    job: &StatusJob,
) -> Result<(), GhlError> {
    let reported = store.reported_rank(&job.ghl_message_id).await?;
    if !moves_forward(reported, job.status) {
        return Ok(());
    }
    let mut body = json!({ "status": job.status.as_str() });
    if let Some(error) = &job.error {
        body["error"] = json!({ "code": "1", "type": "saas", "message": error });
    }
    let path = format!("/conversations/messages/{}/status", job.ghl_message_id);
    let request = client
        .request(Method::PUT, &path, CONVERSATIONS_VERSION, Some(&token))
        .json(&body);
    client.send(&job.location_id, request).await?;
    store
        .advance_reported(&job.ghl_message_id, job.status.rank())
        .await?;
    Ok(())
}

/// Stores status jobs for linked messages as they move.
pub struct StatusReporter {
    pub log: Arc<dyn MessageLog>,
    pub ghl: Arc<dyn GhlState>,
    pub outbox: Arc<dyn Outbox>,
    pub wakeup: Arc<Notify>,
}

impl StatusReporter {
    /// Reports a move the store made (the stored status, not the asked one:
    /// late receipts never move back; a refused move reports nothing).
    async fn report_moved(&self, id: &str, moved: &Moved) {
        if let Err(e) = self.try_report(id, moved).await {
            tracing::error!(message = id, error = %e, "could not store a GHL status update");
        }
    }

    /// Reports a message failed in bulk, as stored.
    async fn report_failed(&self, id: &str) {
        match self.failed_as_stored(id).await {
            Ok(Some(stored)) => self.report_moved(id, &stored).await,
            Ok(None) => {}
            Err(e) => tracing::error!(message = id, error = %e, "could not read a failed message for GHL"),
        }
    }

    async fn failed_as_stored(&self, id: &str) -> StoreResult<Option<Moved>> {
        let Some(message) = self.log.message(id).await? else {
            return Ok(None);
        };
        Ok(Some(Moved {
            instance_id: message.instance_id,
            status: message.status,
            error: message.error,
            ghl_link: self.ghl.message_link(id).await?,
        }))
    }

    async fn try_report(&self, id: &str, moved: &Moved) -> StoreResult<()> {
        let (Some(status), Some(link)) = (GhlStatus::of(moved.status), &moved.ghl_link) else {
            return Ok(());
        };
        if !speaks_for_message(link, status) {
            return Ok(());
        }
        let job = status_job(id, link, status, moved.error.as_deref());
        if self.outbox.add_forward(&moved.instance_id, id, job).await? {
            self.wakeup.notify_one();
        }
        Ok(())
    }
}

#[async_trait]
impl MessageObserver for StatusReporter {
    async fn moved(&self, id: &str, moved: &Moved) {
        self.report_moved(id, moved).await;
    }

    async fn failed_queued(&self, _instance: &InstanceId, ids: &[String]) {
        for id in ids {
            self.report_failed(id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(part: u32) -> GhlLink {
        GhlLink {
            location_id: "loc".into(),
            ghl_message_id: "g1".into(),
            part,
        }
    }

    #[test]
    fn whatsapp_statuses_map_to_ghls_in_forward_order() {
        use MessageStatus::*;
        let mapped: Vec<_> = [Queued, Sent, Delivered, Read, Failed]
            .into_iter()
            .map(GhlStatus::of)
            .collect();
        assert_eq!(
            mapped,
            [
                Some(GhlStatus::Pending),
                None,
                Some(GhlStatus::Delivered),
                Some(GhlStatus::Read),
                Some(GhlStatus::Failed)
            ]
        );
        assert!(GhlStatus::Pending.rank() < GhlStatus::Delivered.rank());
        assert!(GhlStatus::Delivered.rank() < GhlStatus::Read.rank());
    }

    #[test]
    fn the_first_part_speaks_for_the_message_and_any_part_can_fail_it() {
        assert!(speaks_for_message(&link(0), GhlStatus::Delivered));
        assert!(!speaks_for_message(&link(1), GhlStatus::Read));
        assert!(speaks_for_message(&link(2), GhlStatus::Failed));
    }

    #[test]
    fn statuses_move_forward_and_fail_only_from_pending() {
        use GhlStatus::*;
        assert!(moves_forward(None, Read));
        assert!(moves_forward(Some(Pending.rank()), Delivered));
        assert!(!moves_forward(Some(Read.rank()), Delivered));
        assert!(moves_forward(Some(Pending.rank()), Failed));
        assert!(!moves_forward(Some(Delivered.rank()), Failed));
        assert!(!moves_forward(Some(Failed.rank()), Read));
    }

    #[test]
    fn a_status_job_is_keyed_by_message_and_status() {
        let job = status_job("m1", &link(0), GhlStatus::Failed, Some("number not on WhatsApp"));
        assert_eq!(job.id, "ghl-status:m1:failed");
        let body: StatusJob = serde_json::from_str(&job.body).unwrap();
        assert_eq!(body.error.as_deref(), Some("number not on WhatsApp"));
    }
}
