//! Takes inbound messages from the WhatsApp actors: stores downloaded media,
//! writes the message and its forward in one step (a replayed message id is
//! dropped there), then wakes the forwarder.

use super::InboundPayload;
use crate::domain::InstanceId;
use crate::media_store::MediaStore;
use crate::store::{InboundRecord, Outbox};
use crate::wa::manager::InboundSink;
use crate::wa::{InboundMedia, InboundMessage, MediaSource};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub struct Intake {
    pub outbox: Arc<dyn Outbox>,
    pub media: Arc<MediaStore>,
    /// Wakes the forwarder when a new forward is stored.
    pub forwarder_wakeup: Arc<Notify>,
}

/// Pause before storing again when the store did not answer.
const STORE_RETRY: Duration = Duration::from_secs(1);

#[async_trait]
impl InboundSink for Intake {
    async fn accept(&self, instance: &InstanceId, own_phone: Option<&str>, message: InboundMessage) {
        let (media_url, mime_type) = self.media_link(instance, message.media.clone()).await;
        let record = inbound_record(instance, own_phone, message, media_url, mime_type);
        // Nothing inbound may be lost: keep trying until the store takes it.
        let stored = loop {
            match self.outbox.record_inbound(record.clone()).await {
                Ok(stored) => break stored,
                Err(e) => {
                    tracing::error!(%instance, error = %e, "could not store an inbound message; retrying");
                    tokio::time::sleep(STORE_RETRY).await;
                }
            }
        };
        if stored {
            self.forwarder_wakeup.notify_one();
        } else {
            tracing::debug!(%instance, "inbound message seen before; not forwarded again");
        }
    }
}

impl Intake {
    async fn media_link(
        &self,
        instance: &InstanceId,
        media: Option<InboundMedia>,
    ) -> (Option<String>, Option<String>) {
        let Some(media) = media else { return (None, None) };
        let url = match media.source {
            MediaSource::Url(url) => Some(url),
            MediaSource::Bytes(bytes) => match self.media.save(bytes, media.mime_type.as_deref()).await {
                Ok(url) => Some(url),
                Err(e) => {
                    tracing::error!(%instance, error = %e, "could not keep inbound media; forwarding without it");
                    None
                }
            },
        };
        (url, media.mime_type)
    }
}

fn inbound_record(
    instance: &InstanceId,
    own_phone: Option<&str>,
    m: InboundMessage,
    media_url: Option<String>,
    mime_type: Option<String>,
) -> InboundRecord {
    let forward_id = uuid::Uuid::new_v4().to_string();
    let text = m.text.clone().or_else(|| m.caption.clone()).unwrap_or_default();
    let from = m.from.as_ref().map(|p| p.e164().to_owned());
    let payload = InboundPayload {
        forward_id: forward_id.clone(),
        instance_id: instance.to_string(),
        from: from.clone(),
        to: own_phone.map(str::to_owned),
        text: text.clone(),
        timestamp: crate::clock::rfc3339(m.timestamp_ms),
        message_id: m.id.clone(),
        kind: m.kind.as_str().to_owned(),
        push_name: m.push_name,
        media_url: media_url.clone(),
        mime_type,
        caption: m.caption.clone(),
        is_group: m.is_group,
        chat_id: m.chat,
        from_me: m.from_me,
    };
    InboundRecord {
        wa_id: m.id,
        instance: instance.clone(),
        kind: m.kind,
        from,
        to: own_phone.map(str::to_owned),
        text,
        media_url,
        caption: m.caption,
        received_at_ms: m.timestamp_ms,
        forward_id,
        forward_body: serde_json::to_string(&payload).expect("the payload is plain data"),
    }
}
