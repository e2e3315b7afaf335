//! Takes inbound messages from the WhatsApp actors: stores downloaded media,
//! writes the message and its forwards in one step (a replayed message id
//! is dropped there), then hands the forwards to the forwarder (or, when it
//! has no room in memory, wakes it to read them). The forwards: one to
//! GHL_INBOUND_URL when it is set, one into each GHL location's
//! Conversations that the instance serves and that installed the app, and
//! one to each of the instance's own webhooks that takes it (`hooks`).
//! A message WhatsApp could not decrypt is counted (and so alerted on) and
//! goes to the webhooks only, under an id of its own: the same message may
//! still arrive decrypted, and must then be forwarded too.

use super::event_text;
use super::handoff::{Handoff, Place};
use super::payload::{EventFields, GroupPayload};
use super::InboundPayload;
use crate::domain::{Direction, InstanceId, MessageDetails, MessageKind};
use crate::ghl::routing::{conversation_jobs, installed_locations_of, RoutingCache};
use crate::hooks::message_forwards;
use crate::inbound::media_store::MediaStore;
use crate::metrics::Metrics;
use crate::store::{
    ForwardRecord, ForwardTarget, InboundRecord, MessageLog, NewForward, Outbox, Recorded, StoreResult,
};
use crate::wa::manager::InboundSink;
use crate::wa::{InboundMedia, InboundMessage, MediaSource};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub struct Intake {
    pub outbox: Arc<dyn Outbox>,
    /// Which GHL locations inbound messages go to, as last read.
    pub routing: RoutingCache,
    /// To recognise the gateway's own sends when WhatsApp echoes them back.
    pub log: Arc<dyn MessageLog>,
    /// Whether GHL_INBOUND_URL is set (workflow mode forwards).
    pub webhook: bool,
    pub media: Arc<MediaStore>,
    /// Takes stored forwards straight to the forwarder.
    pub handoff: Handoff,
    /// Wakes the forwarder when new forwards are stored but not handed over.
    pub forwarder_wakeup: Arc<Notify>,
    /// Counts the messages that could not be decrypted.
    pub metrics: Arc<Metrics>,
}

/// Pause before storing again when the store did not answer.
const STORE_RETRY: Duration = Duration::from_secs(1);

#[async_trait]
impl InboundSink for Intake {
    async fn accept(&self, instance: &InstanceId, own_phone: Option<&str>, mut message: InboundMessage) {
        self.name_reaction_target(&mut message).await;
        let (media_url, mime_type) = self.media_link(instance, message.media.clone()).await;
        let link = MediaLink { media_url, mime_type };
        let place = self.handoff.place();
        // Nothing inbound may be lost: keep trying until the store takes it.
        let stored = loop {
            match self
                .store(instance, own_phone, &message, &link, place.as_ref())
                .await
            {
                Ok(stored) => break stored,
                Err(e) => {
                    tracing::error!(%instance, error = %e, "could not store an inbound message; retrying");
                    tokio::time::sleep(STORE_RETRY).await;
                }
            }
        };
        if stored.is_some() && message.kind == MessageKind::Undecryptable {
            tracing::warn!(%instance, id = %message.id, chat = %message.chat, "WhatsApp delivered a message that could not be decrypted");
            self.metrics
                .inbound_undecryptable
                .with_label_values(&[instance.as_str()])
                .inc();
        }
        match (stored, place) {
            (None, _) => tracing::debug!(%instance, "inbound message seen before; not forwarded again"),
            (Some(forwards), _) if forwards.is_empty() => {}
            (Some(forwards), Some(place)) => place.hand_over(forwards),
            (Some(_), None) => self.forwarder_wakeup.notify_one(),
        }
    }
}

/// Where an inbound message's media can be fetched, and its type.
struct MediaLink {
    media_url: Option<String>,
    mime_type: Option<String>,
}

impl Intake {
    /// Stores the message with its forwards, claimed when they have a place
    /// in the handoff; returns the forwards as stored, or `None` when the
    /// message was stored before. Forwards chosen by a routing that changed
    /// meanwhile are chosen again.
    async fn store(
        &self,
        instance: &InstanceId,
        own_phone: Option<&str>,
        message: &InboundMessage,
        link: &MediaLink,
        place: Option<&Place<'_>>,
    ) -> StoreResult<Option<Vec<ForwardRecord>>> {
        let own_send = self.is_own_send(message).await?;
        loop {
            let routing = self.routing.get(self.outbox.as_ref()).await?;
            let locations = match own_send || message.kind == MessageKind::Undecryptable {
                true => Vec::new(),
                false => installed_locations_of(&routing, instance),
            };
            let mut record = inbound_record(instance, own_phone, message.clone(), link);
            let mut forwards = conversation_jobs(
                instance,
                &locations,
                message,
                link.media_url.as_deref(),
                link.mime_type.as_deref(),
            );
            let global = record.forwards.remove(0);
            forwards.extend(message_forwards(
                &routing.webhooks,
                instance,
                message,
                &global.body,
            ));
            if self.webhook {
                forwards.push(global);
            }
            record.forwards = forwards;
            record.routing_generation = routing.generation;
            if let Some(place) = place {
                record.forwards_due_at_ms = place.claimed_until_ms();
            }
            let stored_forwards = record.forward_records();
            match self.outbox.record_inbound(record).await? {
                Recorded::Stored => return Ok(Some(stored_forwards)),
                Recorded::SeenBefore => return Ok(None),
                Recorded::RoutingChanged => self.routing.forget(routing.generation),
            }
        }
    }

    /// Gives a reaction's target the text it has in the message log (the
    /// reaction itself names only its id), so the note reads "reacted 👍 to
    /// \"...\"". A target the log does not hold stays without text.
    async fn name_reaction_target(&self, message: &mut InboundMessage) {
        let Some(reaction) = message.details.reaction.as_mut() else {
            return;
        };
        if !reaction.target.text.is_empty() {
            return;
        }
        match self.log.message(&reaction.target.id).await {
            Ok(Some(target)) => {
                let mut texts = [Some(target.text), target.caption].into_iter().flatten();
                reaction.target.text = texts.find(|t| !t.is_empty()).unwrap_or_default();
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not read a reaction's target; passed on without its text")
            }
        }
    }

    /// A message "typed on the phone" that is really one the gateway sent
    /// (WhatsApp may echo those back): GHL has it already.
    async fn is_own_send(&self, message: &InboundMessage) -> StoreResult<bool> {
        if !message.from_me {
            return Ok(false);
        }
        let known = self.log.message(&message.id).await?;
        Ok(known.is_some_and(|m| m.direction == Direction::Outbound))
    }

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

/// The message as stored, with its webhook forward.
fn inbound_record(
    instance: &InstanceId,
    own_phone: Option<&str>,
    m: InboundMessage,
    link: &MediaLink,
) -> InboundRecord {
    let (media_url, mime_type) = (link.media_url.clone(), link.mime_type.clone());
    let forward_id = uuid::Uuid::new_v4().to_string();
    let wa_id = stored_id(&m);
    let text = event_text::shown(&m);
    let from = m.from.as_ref().map(|p| p.e164().to_owned());
    let payload = InboundPayload {
        forward_id: forward_id.clone(),
        instance_id: instance.to_string(),
        from: from.clone(),
        to: own_phone.map(str::to_owned),
        text: text.clone(),
        timestamp: crate::support::clock::rfc3339(m.timestamp_ms),
        message_id: m.id.clone(),
        kind: m.kind.as_str().to_owned(),
        push_name: m.push_name,
        media_url: media_url.clone(),
        mime_type,
        caption: m.caption.clone(),
        is_group: m.is_group,
        chat_id: m.chat,
        from_me: m.from_me,
        group: m.group.as_ref().map(|group| GroupPayload {
            id: group.id.to_string(),
            subject: group.subject.clone(),
            participant: from.clone(),
        }),
        event: EventFields::of(&m.details),
    };
    InboundRecord {
        wa_id,
        instance: instance.clone(),
        kind: m.kind,
        from,
        to: own_phone.map(str::to_owned),
        contact: m.contact.as_ref().map(|p| p.e164().to_owned()),
        unread: !m.from_me,
        text,
        media_url,
        caption: m.caption,
        details: MessageDetails {
            group: m.group,
            ..m.details
        },
        received_at_ms: m.timestamp_ms,
        forwards: vec![NewForward {
            id: forward_id,
            target: ForwardTarget::Webhook,
            body: serde_json::to_string(&payload).expect("the payload is plain data"),
        }],
        forwards_due_at_ms: m.timestamp_ms,
        routing_generation: 0,
    }
}

/// The id a message is stored (and de-duplicated) by: WhatsApp's, except
/// for one that could not be decrypted, which must not keep the same
/// message from being stored when it arrives decrypted.
fn stored_id(message: &InboundMessage) -> String {
    match message.kind {
        MessageKind::Undecryptable => format!("{}:undecryptable", message.id),
        _ => message.id.clone(),
    }
}
