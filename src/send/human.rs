//! What a person does before a message goes: reads the contact's last
//! message (when the instance marks reads) and types it, or records it,
//! for a while. Failures here never hold the send: they are logged.

use super::pacing;
use super::settings::SendingSettings;
use crate::domain::Phone;
use crate::store::{MessageRecord, SendingState};
use crate::wa::manager::SessionHandle;
use crate::wa::ChatPresence;
use std::time::Duration;

/// How long the presence shown before `message` lasts (zero when off).
pub fn presence_time(message: &MessageRecord, settings: &SendingSettings) -> (ChatPresence, Duration) {
    if !settings.presence.enabled {
        return (ChatPresence::Paused, Duration::ZERO);
    }
    let chars = message.text.chars().count() + message.caption.as_deref().map_or(0, |c| c.chars().count());
    pacing::presence_before(message.kind, chars, &settings.presence)
}

/// Marks the contact's latest unread message read, if the instance does.
pub async fn mark_read(
    handle: &SessionHandle,
    sending: &dyn SendingState,
    to: &Phone,
    settings: &SendingSettings,
) {
    if !settings.mark_read {
        return;
    }
    let unread = match sending.take_unread(&handle.id, to.e164()).await {
        Ok(Some(unread)) => unread,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(instance = %handle.id, error = %e, "could not read the contact's unread message");
            return;
        }
    };
    if let Err(e) = handle.mark_read(to.clone(), vec![unread]).await {
        tracing::debug!(instance = %handle.id, error = %e, "could not mark the contact's message read");
    }
}

/// Shows `presence` to `to` for `how_long`, then stops showing it; false
/// when `stop` came first (the send is left for later).
pub async fn show_presence(
    handle: &SessionHandle,
    to: &Phone,
    (presence, how_long): (ChatPresence, Duration),
    stop: &tokio_util::sync::CancellationToken,
) -> bool {
    if how_long.is_zero() {
        return !stop.is_cancelled();
    }
    if let Err(e) = handle.presence(to.clone(), presence).await {
        tracing::debug!(instance = %handle.id, error = %e, "could not show the typing presence");
    }
    let waited = tokio::select! {
        _ = tokio::time::sleep(how_long) => true,
        _ = stop.cancelled() => false,
    };
    if let Err(e) = handle.presence(to.clone(), ChatPresence::Paused).await {
        tracing::debug!(instance = %handle.id, error = %e, "could not end the typing presence");
    }
    waited
}
