//! Pure translation of whatsapp-rust events into the gateway's [`WaEvent`]s.
//! Nothing here touches the network: an inbound media message comes out with
//! a [`PendingMedia`] that the session downloads before passing it on. The
//! typed events inside messages are read in [`typed`]; a message the client
//! could not decrypt comes out as one of kind `undecryptable`.

mod calls;
#[cfg(test)]
mod calls_tests;
#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod inbound_tests;
mod polls;
#[cfg(test)]
mod polls_tests;
mod typed;
#[cfg(test)]
mod typed_tests;

use crate::domain::{GroupId, GroupRef, MessageDetails, MessageKind, Phone};
use crate::wa::{InboundMessage, ReceiptKind, WaEvent};
pub use calls::CallBook;
pub use polls::PollBook;
use typed::Shape;
use whatsapp_rust::download::Downloadable;
use whatsapp_rust::proto_helpers::MessageExt;
use whatsapp_rust::types::events::{
    ConnectFailure, ConnectFailureReason, Event, InboundMessage as WaInbound, LoggedOut, MessageBatch,
    Receipt, TemporaryBan, UndecryptableMessage,
};
use whatsapp_rust::types::message::{MessageInfo, MessageSource};
use whatsapp_rust::types::presence::ReceiptType;
use whatsapp_rust::wacore_binary::JidExt;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

/// An inbound message, plus the media still to download for it.
pub struct Incoming {
    pub message: InboundMessage,
    pub media: Option<PendingMedia>,
}

/// Media referenced by an inbound message, as WhatsApp described it.
pub struct PendingMedia {
    pub source: Box<dyn Downloadable>,
    pub mime_type: Option<String>,
}

/// Maps every event except [`Event::Messages`] (see [`map_batch`]).
/// `own_pn` is asked for this device's phone-number id on `Connected` only.
pub fn map_event(event: &Event, own_pn: impl FnOnce() -> Option<Jid>) -> Option<WaEvent> {
    match event {
        Event::PairingQrCode(qr) => Some(WaEvent::Qr {
            code: qr.code.clone(),
            valid_for: qr.timeout,
        }),
        Event::PairingQrCodesExhausted(_) => Some(WaEvent::QrExhausted),
        Event::PairingCode(pair) => Some(WaEvent::PairCode {
            code: pair.code.clone(),
        }),
        Event::Connected(_) => Some(WaEvent::Connected {
            phone: own_pn().as_ref().and_then(phone_of),
        }),
        Event::Disconnected(gone) => Some(disconnected(
            format!("connection to WhatsApp lost ({})", gone.reason),
            true,
        )),
        Event::LoggedOut(out) => Some(WaEvent::LoggedOut {
            reason: logged_out_reason(out),
        }),
        Event::TemporaryBan(ban) => Some(WaEvent::TemporaryBan {
            reason: ban_reason(ban),
            lasts: ban.expire.to_std().ok(),
        }),
        Event::StreamReplaced(_) => Some(WaEvent::StreamReplaced),
        Event::ConnectFailure(failure) => Some(disconnected(
            connect_failure_reason(failure),
            failure.reason.should_reconnect(),
        )),
        Event::ClientOutdated(_) => Some(WaEvent::ClientOutdated),
        Event::StreamError(err) => {
            // whatsapp-rust only reports stream errors it survives (the
            // connection stays up); a real drop follows as `Disconnected`.
            tracing::warn!(code = %err.code, "WhatsApp stream error; the connection is kept");
            None
        }
        Event::Receipt(receipt) => map_receipt(receipt),
        Event::UndecryptableMessage(failed) => undecryptable(failed).map(|m| WaEvent::Inbound(Box::new(m))),
        Event::PairSuccess(_) => {
            tracing::info!("linked to a phone; WhatsApp reconnects next");
            None
        }
        Event::PairingCodeError(err) => {
            tracing::warn!(error = %err.error, "pairing by code failed");
            None
        }
        _ => None,
    }
}

/// One [`Incoming`] per message worth passing on: protocol messages other
/// than edits and deletions, empty messages, status updates and channel
/// posts are skipped.
pub fn map_batch(batch: &MessageBatch) -> Vec<Incoming> {
    batch.iter().filter_map(map_inbound).collect()
}

fn map_inbound(item: &WaInbound) -> Option<Incoming> {
    let info = &item.info;
    let chat = &info.source.chat;
    if chat.is_status_broadcast() || chat.is_newsletter() {
        return None;
    }
    let base = item.message.get_base_message();
    let (kind, media, mut details) = match typed::shape(base, &info.source) {
        Shape::Skip => return None,
        Shape::Typed(kind, details) => (kind, None, *details),
        Shape::Plain => {
            let (kind, media) = classify(base)?;
            (kind, media, MessageDetails::default())
        }
    };
    details.quote = typed::quoted(base, &info.source);
    let text = match kind {
        MessageKind::Text => Some(item.message.text_content().filter(|t| !t.is_empty())?.to_owned()),
        _ => None,
    };
    let caption = item.message.get_caption().filter(|c| !c.is_empty());
    let mut message = message_from(info, kind, details);
    message.text = text;
    message.caption = caption.map(str::to_owned);
    Some(Incoming { message, media })
}

/// The message as `info` describes it, with no text, caption or media yet.
fn message_from(info: &MessageInfo, kind: MessageKind, details: MessageDetails) -> InboundMessage {
    let chat = &info.source.chat;
    InboundMessage {
        id: info.id.clone(),
        from: sender_phone(&info.source),
        contact: contact_phone(&info.source),
        chat: chat.to_non_ad_string(),
        push_name: Some(info.push_name.clone()).filter(|name| !name.is_empty()),
        kind,
        text: None,
        caption: None,
        media: None,
        timestamp_ms: info.timestamp.timestamp_millis(),
        is_group: info.source.is_group,
        group: group_of(chat, info.source.is_group),
        from_me: info.source.is_from_me,
        details,
    }
}

/// A message the client could not decrypt (it asks the sender's phone to
/// send it again, and passes it on if that works): passed on so it is
/// counted and alerted on. Status updates and channel posts are left out.
fn undecryptable(failed: &UndecryptableMessage) -> Option<InboundMessage> {
    let chat = &failed.info.source.chat;
    if chat.is_status_broadcast() || chat.is_newsletter() {
        return None;
    }
    Some(message_from(
        &failed.info,
        MessageKind::Undecryptable,
        MessageDetails::default(),
    ))
}

/// A group chat's id; its subject is filled in by the session, which can
/// ask WhatsApp for it.
fn group_of(chat: &Jid, is_group: bool) -> Option<GroupRef> {
    let id = GroupId::parse(&chat.to_non_ad_string())
        .ok()
        .filter(|_| is_group)?;
    Some(GroupRef { id, subject: None })
}

/// The gateway's kind of a text or media message (already unwrapped from
/// ephemeral and view-once wrappers) and its media; `None` for messages
/// that carry nothing a person wrote or sent.
fn classify(base: &wa::Message) -> Option<(MessageKind, Option<PendingMedia>)> {
    if let Some(m) = base.image_message.as_option() {
        return Some((MessageKind::Image, Some(pending(m, &m.mimetype))));
    }
    if let Some(m) = base.video_message.as_option().or(base.ptv_message.as_option()) {
        return Some((MessageKind::Video, Some(pending(m, &m.mimetype))));
    }
    if let Some(m) = base.audio_message.as_option() {
        return Some((MessageKind::Audio, Some(pending(m, &m.mimetype))));
    }
    if let Some(m) = base.document_message.as_option() {
        return Some((MessageKind::Document, Some(pending(m, &m.mimetype))));
    }
    if let Some(m) = base.sticker_message.as_option() {
        return Some((MessageKind::Sticker, Some(pending(m, &m.mimetype))));
    }
    let text =
        base.conversation.as_deref().is_some_and(|t| !t.is_empty()) || base.extended_text_message.is_set();
    text.then_some((MessageKind::Text, None))
}

fn pending<M: Downloadable + Clone + 'static>(media: &M, mime_type: &Option<String>) -> PendingMedia {
    PendingMedia {
        source: Box::new(media.clone()),
        mime_type: mime_type.clone().filter(|m| !m.is_empty()),
    }
}

/// The sender's phone number: from a phone-number id, or from the phone
/// number WhatsApp paired with a hidden-number (`@lid`) sender. A LID's own
/// digits are never read as a phone number.
fn sender_phone(source: &MessageSource) -> Option<Phone> {
    if source.sender.server.is_pn_family() {
        return phone_of(&source.sender);
    }
    source.sender_alt.as_ref().and_then(phone_of)
}

/// The other person of a one-to-one chat: the sender, or for a message
/// typed on the linked phone, the chat (or its phone-number form).
fn contact_phone(source: &MessageSource) -> Option<Phone> {
    if source.is_group {
        return None;
    }
    if !source.is_from_me {
        return sender_phone(source);
    }
    phone_of(&source.chat).or_else(|| source.recipient_alt.as_ref().and_then(phone_of))
}

fn phone_of(jid: &Jid) -> Option<Phone> {
    if !jid.server.is_pn_family() {
        return None;
    }
    Phone::from_whatsapp_digits(jid.user_base())
}

/// Delivery and read receipts from the contact. A contact's device that
/// shows no presence (a companion in the background, whatsapp-rust's
/// default) acks delivery as `type="inactive"` (whatsapp-rust `receipt.rs`
/// `delivery_receipt_type`, whatsmeow's `sendActiveReceipts`): the message
/// did reach and decrypt on one of their devices, so it counts as
/// delivered. Receipts from the instance's own devices (`sender`,
/// `read-self`) say nothing about the contact.
fn map_receipt(receipt: &Receipt) -> Option<WaEvent> {
    let kind = match receipt.r#type {
        ReceiptType::Delivered | ReceiptType::Inactive => ReceiptKind::Delivered,
        ReceiptType::Read | ReceiptType::Played => ReceiptKind::Read,
        _ => return None,
    };
    if receipt.message_ids.is_empty() {
        return None;
    }
    Some(WaEvent::Receipt {
        message_ids: receipt.message_ids.clone(),
        kind,
    })
}

fn disconnected(reason: String, will_retry: bool) -> WaEvent {
    WaEvent::Disconnected { reason, will_retry }
}

fn logged_out_reason(out: &LoggedOut) -> String {
    let why = match out.reason {
        ConnectFailureReason::AccountLocked => "the WhatsApp account is locked",
        _ => "the device was unlinked or its session ended",
    };
    let mut reason = format!("{why} (code {})", out.reason.code());
    let server_text = out
        .logout_message
        .as_ref()
        .and_then(|m| m.header.as_deref().or(m.subtext.as_deref()));
    if let Some(text) = server_text {
        reason.push_str(": ");
        reason.push_str(text);
    }
    reason
}

fn ban_reason(ban: &TemporaryBan) -> String {
    let total_minutes = ban.expire.num_minutes().max(0);
    let mut reason = format!(
        "temporarily banned by WhatsApp (code {}), lifted in {}h {:02}m",
        ban.code,
        total_minutes / 60,
        total_minutes % 60
    );
    if let Some(text) = ban.message.as_deref().filter(|m| !m.is_empty()) {
        reason.push_str(": ");
        reason.push_str(text);
    }
    reason
}

fn connect_failure_reason(failure: &ConnectFailure) -> String {
    let mut reason = format!("WhatsApp refused the connection (code {})", failure.reason.code());
    if let Some(text) = failure.message.as_deref().filter(|m| !m.is_empty()) {
        reason.push_str(": ");
        reason.push_str(text);
    }
    reason
}
