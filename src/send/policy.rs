//! How an instance may send right now, from its settings and its counts:
//! the settings in force (stored, else the gateway's defaults), and the
//! outlook the API and the panel show (sends today, today's cap, when the
//! next send may go, any block on new contacts).

use super::schedule::Windows;
use super::settings::SendingSettings;
use crate::config::SendingDefaults;
use crate::domain::InstanceId;
use crate::store::{InstanceRecord, NewContactBlock, SendQueue, SendingState, StoreResult};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SendingPolicy {
    pub defaults: SendingSettings,
    pub windows: Windows,
}

/// What `GET /api/instances/{id}` shows under `sending`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Outlook {
    /// Sends counted today (in the current cap window).
    pub sent_today: u64,
    /// Today's cap (lower during warm-up); None when there is none.
    pub cap_today: Option<u32>,
    /// When today's window ends and the count starts again.
    pub window_ends_at_ms: i64,
    /// The earliest a next send may go: after the pacing pause, or when
    /// the cap is reached, at the next window.
    pub next_send_at_ms: i64,
    pub new_contact_block: Option<NewContactBlock>,
}

impl SendingPolicy {
    pub fn from_config(defaults: &SendingDefaults) -> Self {
        Self {
            defaults: SendingSettings::from_defaults(defaults),
            windows: Windows::new(Duration::from_millis(defaults.cap_window_ms)),
        }
    }

    /// The instance's settings in force.
    pub async fn settings(&self, state: &dyn SendingState, id: &InstanceId) -> StoreResult<SendingSettings> {
        let stored = state.sending_settings(id).await?;
        Ok(SendingSettings::stored_or(stored.as_deref(), self.defaults))
    }

    pub async fn outlook(
        &self,
        state: &Arc<dyn SendingState>,
        queue: &Arc<dyn SendQueue>,
        record: &InstanceRecord,
        now_ms: i64,
    ) -> StoreResult<Outlook> {
        let settings = self.settings(state.as_ref(), &record.id).await?;
        let sent_today = state
            .sent_in_window(&record.id, self.windows.index(now_ms))
            .await?;
        let cap_today = self.windows.cap(&settings, record.created_at_ms, now_ms);
        let window_ends_at_ms = self.windows.next_start_ms(now_ms);
        let paced = queue
            .last_send_at(&record.id)
            .await?
            .map_or(now_ms, |last| last + settings.text_delay_ms.min as i64);
        let next_send_at_ms = if cap_today.is_some_and(|cap| sent_today >= u64::from(cap)) {
            window_ends_at_ms
        } else {
            paced.max(now_ms)
        };
        Ok(Outlook {
            sent_today,
            cap_today,
            window_ends_at_ms,
            next_send_at_ms,
            new_contact_block: state.new_contact_block(&record.id).await?,
        })
    }
}
