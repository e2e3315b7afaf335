//! Missed calls. whatsapp-rust says a call went unanswered itself only
//! with its `voip-runtime` feature, which the gateway does not build;
//! without it, it passes on the call stanzas: an `offer` when a call rings
//! and a `terminate` when it ends, and a `MissedCall` for an offer the
//! server replayed after a reconnect (whatsapp-rust `handlers/call.rs`).
//! The gateway never answers, so a call that rang here and ended with no
//! reason, `timeout` or `group_call_ended` was missed, as whatsapp-rust
//! itself decides; one answered or declined on the phone
//! (`accepted_elsewhere`, `rejected_elsewhere`) was not. Group calls are
//! left out.

use super::phone_of;
use crate::domain::{Call, MessageDetails, MessageKind};
use crate::wa::InboundMessage;
use std::collections::{HashMap, VecDeque};
use whatsapp_rust::chrono::{DateTime, Utc};
use whatsapp_rust::types::call::{CallAction, IncomingCall};
use whatsapp_rust::types::events::Event;
use whatsapp_rust::wacore::stanza::call::{TERMINATE_REASON_GROUP_CALL_ENDED, TERMINATE_REASON_TIMEOUT};
use whatsapp_rust::Jid;

/// Calls remembered while they ring; the oldest are forgotten past this.
const RINGING_KEPT: usize = 64;

/// The calls ringing on this session.
#[derive(Default)]
pub struct CallBook {
    ringing: HashMap<String, Ringing>,
    order: VecDeque<String>,
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
                self.remember(call_id, call.from.clone(), caller_pn.clone(), *is_video);
                None
            }
            CallAction::Terminate { call_id, reason, .. } => {
                let rang = self.ringing.remove(call_id)?;
                let unanswered = match reason.as_deref() {
                    None => true,
                    Some(reason) => {
                        [TERMINATE_REASON_TIMEOUT, TERMINATE_REASON_GROUP_CALL_ENDED].contains(&reason)
                    }
                };
                unanswered.then(|| {
                    missed_call(
                        call_id,
                        &rang.caller,
                        rang.caller_pn.as_ref(),
                        Some(rang.video),
                        call.timestamp,
                    )
                })
            }
            _ => None,
        }
    }

    fn remember(&mut self, call_id: &str, caller: Jid, caller_pn: Option<Jid>, video: bool) {
        if self.ringing.contains_key(call_id) {
            return;
        }
        if self.order.len() == RINGING_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.ringing.remove(&oldest);
            }
        }
        self.order.push_back(call_id.to_owned());
        let ringing = Ringing {
            caller,
            caller_pn,
            video,
        };
        self.ringing.insert(call_id.to_owned(), ringing);
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
