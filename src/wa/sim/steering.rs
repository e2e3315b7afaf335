//! The simulated network carries out the sim requests that reach the
//! process running an instance (`cluster::control`): the cluster knows
//! only the requests, the sim knows what they do.

use super::{SimError, SimNetwork};
use crate::cluster::control::{Control, SimInbound, SimSteering};
use crate::domain::{new_message_id, GroupRef, InstanceId, MessageKind};
use crate::wa::{InboundMedia, InboundMessage, MediaSource, WaEvent};
use async_trait::async_trait;

#[async_trait]
impl SimSteering for SimNetwork {
    async fn steer(&self, id: &InstanceId, control: Control) -> Result<(), String> {
        let done: Result<(), SimError> = match control {
            Control::SimScan { phone } => self.scan(id, phone).await,
            Control::SimInbound { message } => {
                let event = self.inbound_event(id, *message);
                self.deliver_inbound(id, event).await
            }
            Control::SimDrop => self.drop_connection(id).await,
            Control::SimLogout => self.logout(id).await,
            _ => Ok(()),
        };
        done.map_err(|e| e.to_string())
    }
}

impl SimNetwork {
    /// What the simulated contact's message looks like to the gateway; in
    /// a group, the chat is the group's and there is no one contact.
    fn inbound_event(&self, id: &InstanceId, message: SimInbound) -> WaEvent {
        let media = message.media_url.map(|url| InboundMedia {
            mime_type: message.mime_type,
            source: MediaSource::Url(url),
        });
        let has_media = media.is_some();
        let kind = if has_media && message.kind == MessageKind::Text {
            MessageKind::Image
        } else {
            message.kind
        };
        let group = message.group.map(|group| GroupRef {
            subject: self.group_subject(id, &group),
            id: group,
        });
        let chat = match &group {
            Some(group) => group.id.to_string(),
            None => format!("{}@s.whatsapp.net", message.from.digits()),
        };
        WaEvent::Inbound(Box::new(InboundMessage {
            id: message.id.unwrap_or_else(new_message_id),
            chat,
            from: Some(message.from.clone()).filter(|_| !message.from_me),
            contact: Some(message.from).filter(|_| group.is_none()),
            push_name: message.push_name,
            kind,
            caption: if has_media { message.text.clone() } else { None },
            text: if has_media { None } else { message.text },
            media,
            timestamp_ms: crate::support::clock::now_ms(),
            is_group: group.is_some(),
            group,
            from_me: message.from_me,
            details: message.details,
        }))
    }
}
