//! The sim backend (`WA_BACKEND=sim`): sessions on the in-process simulated
//! network. A new instance shows rotating QR codes of random refs until the
//! sim is told the phone scanned; sends land in the network's record and
//! come back as delivered and read receipts.

mod chat_log;
mod groups;
mod json_file;
mod network;
mod number_lists;
mod record;
mod steering;
mod voice;

pub use chat_log::ChatEntry;
pub use groups::SimGroup;
pub use network::{SimError, SimNetwork};
pub use record::{SentEntry, VoiceEntry};

use super::media::voice::VoiceMaker;
use super::{ChatPresence, GroupSummary, OutgoingMessage, SendError, WaBackend, WaError, WaEvent, WaSession};
use crate::domain::{InstanceId, Phone, Recipient};
use async_trait::async_trait;
use rand::distr::{Alphanumeric, SampleString};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long each simulated QR code stays valid before the next one.
const QR_ROTATION: Duration = Duration::from_secs(20);

pub struct SimBackend {
    network: Arc<SimNetwork>,
    voice: VoiceMaker,
}

impl SimBackend {
    /// `voice` fetches and transcodes voice notes as the real backend does.
    pub fn new(network: Arc<SimNetwork>, voice: VoiceMaker) -> Self {
        Self { network, voice }
    }
}

#[async_trait]
impl WaBackend for SimBackend {
    async fn open(
        &self,
        instance: &InstanceId,
        events: mpsc::Sender<WaEvent>,
    ) -> Result<Box<dyn WaSession>, WaError> {
        let (generation, linked) = self.network.attach(instance, events.clone());
        let qr_rotation = match linked {
            Some(phone) => {
                let phone = Phone::from_whatsapp_digits(phone.trim_start_matches('+'));
                let _ = events.send(WaEvent::Connected { phone }).await;
                None
            }
            None => Some(tokio::spawn(rotate_qr_codes(
                self.network.clone(),
                instance.clone(),
                generation,
                events,
            ))),
        };
        let session = SimSession {
            network: self.network.clone(),
            instance: instance.clone(),
            generation,
            qr_rotation,
            voice: self.voice.clone(),
        };
        Ok(Box::new(session))
    }

    async fn forget(&self, instance: &InstanceId) -> Result<(), WaError> {
        match self.network.unlink(instance) {
            Ok(_) | Err(SimError::NotLinked(_)) => Ok(()),
            Err(e) => Err(WaError::Store(e.to_string())),
        }
    }
}

/// Shows a fresh random QR ref every [`QR_ROTATION`] until the instance is
/// linked or the session ends.
async fn rotate_qr_codes(
    network: Arc<SimNetwork>,
    id: InstanceId,
    generation: u64,
    events: mpsc::Sender<WaEvent>,
) {
    while network.is_attached(&id, generation) && network.linked(&id).is_none() {
        let code = format!("2@{},sim", Alphanumeric.sample_string(&mut rand::rng(), 44));
        if events
            .send(WaEvent::Qr {
                code,
                valid_for: QR_ROTATION,
            })
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(QR_ROTATION).await;
    }
}

impl SimSession {
    fn connected(&self) -> Result<(), SendError> {
        if self.network.is_current(&self.instance, self.generation) {
            Ok(())
        } else {
            Err(SendError::Transient(
                "not connected to the simulated network".into(),
            ))
        }
    }

    /// Refuses a number that is not on WhatsApp, or one the test made
    /// answer with error 463.
    fn reachable(&self, to: &Phone) -> Result<(), SendError> {
        if !self.network.is_registered(&self.instance, to) {
            return Err(SendError::Permanent(format!("{to} is not on WhatsApp")));
        }
        if let Some(until_ms) = self.network.refusal(&self.instance, to) {
            return Err(SendError::NewContactsBlocked {
                reason: format!(
                    "WhatsApp refused the message to {} (error 463: this number may not reach new contacts for now)",
                    to.e164()
                ),
                until_ms,
            });
        }
        Ok(())
    }

    fn note_chat(&self, to: &Phone, state: &str, message_ids: Vec<String>) -> Result<(), SendError> {
        self.connected()?;
        let entry = ChatEntry {
            to: to.e164().to_owned(),
            state: state.to_owned(),
            message_ids,
            at: crate::support::clock::now_ms(),
        };
        self.network
            .note_chat(&self.instance, &entry)
            .map_err(|e| SendError::Transient(e.to_string()))
    }
}

struct SimSession {
    network: Arc<SimNetwork>,
    instance: InstanceId,
    /// Which attachment this session is; a dropped one no longer sends.
    generation: u64,
    qr_rotation: Option<JoinHandle<()>>,
    voice: VoiceMaker,
}

#[async_trait]
impl WaSession for SimSession {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), SendError> {
        tokio::time::sleep(self.network.send_delay()).await;
        let voice = voice::entry_for(&self.voice, message).await?;
        self.connected()?;
        match &message.to {
            Recipient::Phone(phone) => self.reachable(phone)?,
            Recipient::Group(group) => {
                if self.network.group_subject(&self.instance, group).is_none() {
                    return Err(SendError::Permanent(format!(
                        "this number is not in the group {group}"
                    )));
                }
            }
        }
        let entry = SentEntry {
            id: message.id.clone(),
            to: message.to.as_str().to_owned(),
            kind: message.kind.as_str().to_owned(),
            text: message.text.clone(),
            media_url: message.media_url.clone(),
            caption: message.caption.clone(),
            at: crate::support::clock::now_ms(),
            attempts: 1,
            voice,
            vcard: message.details.contact.as_ref().map(|card| card.vcard()),
            details: message.details.clone(),
        };
        self.network
            .receive(&self.instance, entry)
            .map_err(|e| SendError::Transient(e.to_string()))
    }

    async fn presence(&self, to: &Phone, presence: ChatPresence) -> Result<(), SendError> {
        self.note_chat(to, presence.as_str(), Vec::new())
    }

    async fn mark_read(&self, contact: &Phone, message_ids: &[String]) -> Result<(), SendError> {
        self.note_chat(contact, "read", message_ids.to_vec())
    }

    async fn lookup(&self, phone: &Phone) -> Result<Option<String>, SendError> {
        self.connected()?;
        let registered = self.network.is_registered(&self.instance, phone);
        Ok(registered.then(|| format!("{}@s.whatsapp.net", phone.digits())))
    }

    async fn groups(&self) -> Result<Vec<GroupSummary>, SendError> {
        self.connected()?;
        Ok(self.network.groups(&self.instance))
    }

    async fn pair_with_code(&self, _phone: &Phone) -> Result<String, WaError> {
        let raw = Alphanumeric
            .sample_string(&mut rand::rng(), 8)
            .to_ascii_uppercase();
        Ok(format!("{}-{}", &raw[..4], &raw[4..]))
    }

    async fn logout(&self) -> Result<(), WaError> {
        match self.network.unlink(&self.instance) {
            Ok(_) | Err(SimError::NotLinked(_)) => Ok(()),
            Err(e) => Err(WaError::Logout(e.to_string())),
        }
    }

    async fn shutdown(self: Box<Self>) {
        if let Some(rotation) = &self.qr_rotation {
            rotation.abort();
        }
        self.network.detach(&self.instance, self.generation);
    }
}
