//! Missed calls. whatsapp-rust says a call went unanswered itself only
//! with its `voip-runtime` feature, which the gateway does not build;
//! without it, it passes on the call stanzas: an `offer` when a call rings
//! and a `terminate` when it ends, and a `MissedCall` for an offer the
//! server replayed after a reconnect (whatsapp-rust `handlers/call.rs`).
//! The gateway never answers, so a call that rang here and ended with no
//! reason, `timeout` or `group_call_ended` was missed, as whatsapp-rust
//! itself decides; one answered or declined on the phone
//! (`accepted_elsewhere`, `rejected_elsewhere`) was not. The end of a call
//! may come before its offer (see [`CallBook`]). Group calls are left out.

use super::phone_of;
use crate::domain::{Call, MessageDetails, MessageKind};
use crate::wa::InboundMessage;
use std::collections::{HashMap, VecDeque};
use whatsapp_rust::chrono::{DateTime, Utc};
use whatsapp_rust::types::call::{CallAction, IncomingCall};
use whatsapp_rust::types::events::Event;
use whatsapp_rust::wacore::stanza::call::{TERMINATE_REASON_GROUP_CALL_ENDED, TERMINATE_REASON_TIMEOUT};
use whatsapp_rust::Jid;

/// Calls remembered while they ring (and ended calls whose offer is still
/// to come); the oldest are forgotten past this.
const RINGING_KEPT: usize = 64;

/// The calls ringing on this session.
#[derive(Default)]
pub struct CallBook {
    ringing: Recent<Ringing>,
    /// Calls whose end came before their offer, and whether nobody
    /// answered them. whatsapp-rust passes an offer on only after acking
    /// it to the server, so a terminate right behind it (a caller who hangs
    /// up at once) can overtake it; seen on the loopback server.
    ended_first: Recent<bool>,
}

/// What the offer said about a ringing call.
struct Ringing {
    caller: Jid,
    /// The caller's phone-number id, when the offer gave one.
    caller_pn: Option<Jid>,
    video: bool,
}

impl CallBook {
    /// The missed call `event` completes, if it does.
    pub fn observe(&mut self, event: &Event) -> Option<InboundMessage> {
        match event {
            Event::IncomingCall(call) => self.incoming(call),
            Event::MissedCall(missed) => {
                let rang = self.ringing.remove(&missed.call_id);
                let caller = rang.as_ref().map_or(&missed.from, |r| &r.caller);
                let pn = rang.as_ref().and_then(|r| r.caller_pn.as_ref());
                let video = rang.as_ref().map(|r| r.video);
                Some(missed_call(&missed.call_id, caller, pn, video, missed.timestamp))
            }
            _ => None,
        }
    }

    fn incoming(&mut self, call: &IncomingCall) -> Option<InboundMessage> {
        match &call.action {
            CallAction::Offer {
                call_id,
                caller_pn,
                is_video,
                group_jid: None,
                ..
            } if !call.offline => {
                let ringing = Ringing {
                    caller: call.from.clone(),
                    caller_pn: caller_pn.clone(),
                    video: *is_video,
                };
                match self.ended_first.remove(call_id) {
                    Some(unanswered) => unanswered.then(|| ringing.missed(call_id, call.timestamp)),
                    None => {
                        self.ringing.insert(call_id, ringing);
                        None
                    }
                }
            }
            CallAction::Terminate { call_id, reason, .. } => {
                let unanswered = unanswered(reason.as_deref());
                let Some(rang) = self.ringing.remove(call_id) else {
                    self.ended_first.insert(call_id, unanswered);
                    return None;
                };
                unanswered.then(|| rang.missed(call_id, call.timestamp))
            }
            _ => None,
        }
    }
}

/// Whether a call that ended for `reason` went unanswered: no reason,
/// `timeout` or `group_call_ended`, as whatsapp-rust itself decides.
fn unanswered(reason: Option<&str>) -> bool {
    match reason {
        None => true,
        Some(reason) => [TERMINATE_REASON_TIMEOUT, TERMINATE_REASON_GROUP_CALL_ENDED].contains(&reason),
    }
}

impl Ringing {
    fn missed(&self, call_id: &str, at: DateTime<Utc>) -> InboundMessage {
        missed_call(
            call_id,
            &self.caller,
            self.caller_pn.as_ref(),
            Some(self.video),
            at,
        )
    }
}

/// Up to [`RINGING_KEPT`] entries by call id; the oldest go first.
struct Recent<T> {
    entries: HashMap<String, T>,
    order: VecDeque<String>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<T> Recent<T> {
    /// Keeps `entry` for `call_id`, unless one is kept already.
    fn insert(&mut self, call_id: &str, entry: T) {
        if self.entries.contains_key(call_id) {
            return;
        }
        if self.order.len() == RINGING_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.order.push_back(call_id.to_owned());
        self.entries.insert(call_id.to_owned(), entry);
    }

    fn remove(&mut self, call_id: &str) -> Option<T> {
        let entry = self.entries.remove(call_id)?;
        self.order.retain(|id| id != call_id);
        Some(entry)
    }
}

/// The missed call as an inbound message of kind `call`, keyed by the
/// call's id (so a replayed one is passed on once).
fn missed_call(
    call_id: &str,
    caller: &Jid,
    caller_pn: Option<&Jid>,
    video: Option<bool>,
    at: DateTime<Utc>,
) -> InboundMessage {
    let phone = phone_of(caller).or_else(|| caller_pn.and_then(phone_of));
    InboundMessage {
        id: call_id.to_owned(),
        from: phone.clone(),
        contact: phone,
        chat: caller.to_non_ad_string(),
        push_name: None,
        kind: MessageKind::Call,
        text: None,
        caption: None,
        media: None,
        timestamp_ms: at.timestamp_millis(),
        is_group: false,
        group: None,
        from_me: false,
        details: MessageDetails {
            call: Some(Call {
                call_id: call_id.to_owned(),
                video,
            }),
            ..MessageDetails::default()
        },
    }
}
