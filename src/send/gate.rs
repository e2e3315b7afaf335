//! Which queued message may go next, and when. Normally the oldest; while
//! WhatsApp blocks this number from reaching new contacts, the oldest one
//! to a contact it already has a chat with (messages to new contacts wait,
//! in order, until the block ends). Nothing goes while today's cap is
//! reached: the queue waits for the next window.

use super::policy::SendingPolicy;
use super::settings::SendingSettings;
use crate::domain::InstanceId;
use crate::store::{MessageRecord, SendQueue, SendingState, StoreResult};
use std::sync::Arc;

/// How far past the head the sender looks for a message it may send
/// while new contacts are blocked.
const LOOK_AHEAD: usize = 100;

pub struct Gate {
    pub queue: Arc<dyn SendQueue>,
    pub sending: Arc<dyn SendingState>,
    pub policy: SendingPolicy,
}

impl Gate {
    /// The next message that may go; None when the queue is empty or
    /// holds only messages to new contacts while they are blocked.
    pub async fn next(
        &self,
        id: &InstanceId,
        new_contacts_blocked: bool,
    ) -> StoreResult<Option<MessageRecord>> {
        if !new_contacts_blocked {
            return self.queue.head(id).await;
        }
        let waiting = self.queue.queued(id, LOOK_AHEAD).await?;
        let recipients: Vec<String> = waiting.iter().filter_map(|m| m.to.clone()).collect();
        let known = self.sending.known_contacts(id, &recipients).await?;
        Ok(waiting
            .into_iter()
            .find(|m| m.to.as_ref().is_some_and(|to| known.contains(to))))
    }

    /// When today's cap is reached: the start of the next window.
    pub async fn capped_until(
        &self,
        id: &InstanceId,
        settings: &SendingSettings,
        created_at_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Option<i64>> {
        let windows = self.policy.windows;
        let Some(cap) = windows.cap(settings, created_at_ms, now_ms) else {
            return Ok(None);
        };
        let sent = self.sending.sent_in_window(id, windows.index(now_ms)).await?;
        Ok((sent >= u64::from(cap)).then(|| windows.next_start_ms(now_ms)))
    }
}
