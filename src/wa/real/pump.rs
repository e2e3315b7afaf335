//! The event pump of a running client: library events, in order, turned
//! into [`WaEvent`]s for the instance's actor; inbound media downloaded on
//! the way, missed calls and poll votes read, acks handed to the send that
//! waits for them, and a group's subject put on its messages.

use super::acks::AckWaiters;
use super::groups::GroupSubjects;
use super::mapping::{map_batch, map_event, CallBook, Incoming, PollBook};
use crate::wa::{InboundMedia, InboundMessage, MediaSource, WaEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use whatsapp_rust::async_channel::Receiver;
use whatsapp_rust::types::events::Event;
use whatsapp_rust::Client;

const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Forwards library events in order until the session ends or the receiver
/// of `events` is gone.
pub(super) async fn pump(
    receiver: Receiver<Arc<Event>>,
    client: Arc<Client>,
    events: mpsc::Sender<WaEvent>,
    max_media: u64,
    acks: Arc<AckWaiters>,
    groups: Arc<GroupSubjects>,
) {
    let mut calls = CallBook::default();
    let mut polls = PollBook::default();
    while let Ok(event) = receiver.recv().await {
        if let Some(missed) = calls.observe(&event) {
            tracing::debug!(id = %missed.id, "missed WhatsApp call");
            if events.send(WaEvent::Inbound(Box::new(missed))).await.is_err() {
                return;
            }
        } else if let Event::ServerAck(ack) = &*event {
            acks.acked(&ack.id, ack.error.clone());
        } else if let Event::Messages(batch) = &*event {
            let votes = polls.read_batch(batch);
            for incoming in map_batch(batch) {
                let mut message = with_media(&client, incoming, max_media).await;
                if let Some(vote) = &mut message.details.poll_vote {
                    vote.options = votes.get(&message.id).cloned();
                }
                if let Some(group) = &mut message.group {
                    group.subject = groups.subject(&client, &group.id).await;
                }
                tracing::debug!(id = %message.id, kind = %message.kind, "inbound WhatsApp message");
                if events.send(WaEvent::Inbound(Box::new(message))).await.is_err() {
                    return;
                }
            }
        } else if let Some(mapped) = map_event(&event, || client.pn()) {
            log_event(&mapped);
            if events.send(mapped).await.is_err() {
                return;
            }
        }
    }
}

fn log_event(event: &WaEvent) {
    match event {
        WaEvent::Connected { .. } => tracing::info!("WhatsApp connected"),
        WaEvent::Disconnected { reason, will_retry } => {
            tracing::info!(%reason, will_retry, "WhatsApp disconnected")
        }
        WaEvent::LoggedOut { reason } => tracing::warn!(%reason, "WhatsApp logged out"),
        WaEvent::TemporaryBan { reason, .. } => tracing::warn!(%reason, "WhatsApp temporary ban"),
        WaEvent::StreamReplaced => tracing::warn!("another client took over this WhatsApp session"),
        WaEvent::ClientOutdated => tracing::error!("WhatsApp refused this client version as outdated"),
        WaEvent::Receipt { message_ids, kind } => {
            tracing::debug!(?kind, count = message_ids.len(), "receipt")
        }
        WaEvent::Qr { .. } | WaEvent::QrExhausted | WaEvent::PairCode { .. } => {
            tracing::debug!("pairing update")
        }
        WaEvent::Inbound(_) => {}
    }
}

/// Downloads the message's media; on failure the message still goes on,
/// without it (its text and caption are worth more than nothing).
async fn with_media(client: &Client, incoming: Incoming, max_bytes: u64) -> InboundMessage {
    let Incoming { mut message, media } = incoming;
    let Some(pending) = media else { return message };
    if pending.source.file_length().is_some_and(|len| len > max_bytes) {
        tracing::warn!(id = %message.id, max_bytes, "inbound media is over the size limit; passed on without it");
        return message;
    }
    match tokio::time::timeout(DOWNLOAD_TIMEOUT, client.download(pending.source.as_ref())).await {
        Ok(Ok(bytes)) if bytes.len() as u64 <= max_bytes => {
            let source = MediaSource::Bytes(bytes.into());
            message.media = Some(InboundMedia {
                mime_type: pending.mime_type,
                source,
            });
        }
        Ok(Ok(_)) => tracing::warn!(id = %message.id, max_bytes, "inbound media is over the size limit"),
        Ok(Err(err)) => tracing::warn!(id = %message.id, error = %err, "could not download inbound media"),
        Err(_) => tracing::warn!(id = %message.id, "downloading inbound media timed out"),
    }
    message
}
