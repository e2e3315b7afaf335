//! What can be asked of an instance's session, wherever it runs, and how
//! the process that runs it carries the request out. Requests are plain
//! data so they can travel through Redis to the owning process.

use crate::domain::{GroupId, InstanceId, MessageDetails, MessageKind, Phone};
use crate::wa::manager::SessionHandle;
use async_trait::async_trait;
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
    /// Is this number on WhatsApp? (Answers its WhatsApp id, or nothing.)
    Lookup {
        phone: Phone,
    },
    /// The groups the number is in (answered as JSON).
    Groups,
    /// Steering the simulated network (sim backend only).
    SimScan {
        phone: Phone,
    },
    SimInbound {
        message: Box<SimInbound>,
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
    /// Written in this group (by `from`, a member).
    #[serde(default)]
    pub group: Option<GroupId>,
    /// What it is besides text and media (a quote, reaction, location,
    /// card, edit, deletion, poll, vote or missed call).
    #[serde(default)]
    pub details: MessageDetails,
}

/// The answer: a pairing code for `PairCode`, the WhatsApp id (if any)
/// for `Lookup`, the groups as a JSON list for `Groups`, nothing otherwise.
pub type ControlReply = Result<Option<String>, String>;

/// Carries out the `Sim*` requests; the sim backend is one, and a
/// process without it has none.
#[async_trait]
pub trait SimSteering: Send + Sync {
    async fn steer(&self, instance: &InstanceId, control: Control) -> Result<(), String>;
}

/// Carries `control` out on a session that runs in this process.
pub async fn execute(
    handle: &SessionHandle,
    sim: Option<&Arc<dyn SimSteering>>,
    control: Control,
) -> ControlReply {
    let gone = |e: crate::wa::manager::SessionGone| e.to_string();
    match control {
        Control::Reconnect => handle.reconnect().await.map(|_| None).map_err(gone),
        Control::Clear => handle.clear().await.map(|_| None).map_err(gone),
        Control::Logout => handle.logout().await.map(|_| None).map_err(gone),
        Control::PairCode { phone } => handle.pair_code(phone).await.map(Some).map_err(|e| e.to_string()),
        Control::Lookup { phone } => handle.lookup(phone).await.map_err(|e| e.to_string()),
        Control::Groups => match handle.groups().await {
            Ok(groups) => Ok(Some(
                serde_json::to_string(&groups).expect("groups are plain data"),
            )),
            Err(e) => Err(e.to_string()),
        },
        sim_control => {
            let sim = sim.ok_or("the sim backend is not running")?;
            sim.steer(&handle.id, sim_control).await.map(|_| None)
        }
    }
}
