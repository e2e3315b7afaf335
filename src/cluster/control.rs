//! What can be asked of an instance's session, wherever it runs, and how
//! the process that runs it carries the request out. Requests are plain
//! data so they can travel through Redis to the owning process.

use crate::domain::{new_message_id, InstanceId, MessageKind, Phone};
use crate::wa::manager::SessionHandle;
use crate::wa::sim::SimNetwork;
use crate::wa::{InboundMedia, InboundMessage, MediaSource, WaEvent};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Control {
    Reconnect,
    Clear,
    Logout,
    PairCode {
        phone: Phone,
    },
    /// Steering the simulated network (sim backend only).
    SimScan {
        phone: Phone,
    },
    SimInbound {
        message: SimInbound,
    },
    SimDrop,
    SimLogout,
}

/// A message a simulated contact writes (or, with `from_me`, one the
/// linked phone's owner typed to that contact).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimInbound {
    pub id: Option<String>,
    pub from: Phone,
    #[serde(default)]
    pub from_me: bool,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
    pub push_name: Option<String>,
}

/// The answer: a pairing code for `PairCode`, nothing otherwise.
pub type ControlReply = Result<Option<String>, String>;

/// Carries `control` out on a session that runs in this process.
pub async fn execute(
    handle: &SessionHandle,
    sim: Option<&Arc<SimNetwork>>,
    control: Control,
) -> ControlReply {
    let gone = |e: crate::wa::manager::SessionGone| e.to_string();
    match control {
        Control::Reconnect => handle.reconnect().await.map(|_| None).map_err(gone),
        Control::Clear => handle.clear().await.map(|_| None).map_err(gone),
        Control::Logout => handle.logout().await.map(|_| None).map_err(gone),
        Control::PairCode { phone } => handle.pair_code(phone).await.map(Some).map_err(|e| e.to_string()),
        sim_control => {
            let sim = sim.ok_or("the sim backend is not running")?;
            execute_sim(sim, &handle.id, sim_control)
                .await
                .map(|_| None)
                .map_err(|e| e.to_string())
        }
    }
}

async fn execute_sim(
    sim: &SimNetwork,
    id: &InstanceId,
    control: Control,
) -> Result<(), crate::wa::sim::SimError> {
    match control {
        Control::SimScan { phone } => sim.scan(id, phone).await,
        Control::SimInbound { message } => sim.deliver_inbound(id, message.into_event()).await,
        Control::SimDrop => sim.drop_connection(id).await,
        Control::SimLogout => sim.logout(id).await,
        _ => Ok(()),
    }
}

impl SimInbound {
    fn into_event(self) -> WaEvent {
        let media = self.media_url.map(|url| InboundMedia {
            mime_type: self.mime_type,
            source: MediaSource::Url(url),
        });
        let has_media = media.is_some();
        let kind = if has_media && self.kind == MessageKind::Text {
            MessageKind::Image
        } else {
            self.kind
        };
        WaEvent::Inbound(Box::new(InboundMessage {
            id: self.id.unwrap_or_else(new_message_id),
            chat: format!("{}@s.whatsapp.net", self.from.digits()),
            from: Some(self.from.clone()).filter(|_| !self.from_me),
            contact: Some(self.from),
            push_name: self.push_name,
            kind,
            caption: if has_media { self.text.clone() } else { None },
            text: if has_media { None } else { self.text },
            media,
            timestamp_ms: crate::support::clock::now_ms(),
            is_group: false,
            from_me: self.from_me,
        }))
    }
}
