//! WhatsApp's answer to each sent message. whatsapp-rust hands a message
//! to the socket and returns; the server's ack (or nack, with an error
//! code such as 463) arrives later as an `Event::ServerAck`. A send waits
//! for it briefly here, so a refused message is failed with its reason
//! instead of being counted as sent.

use crate::wa::SendError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a send waits for the server's ack before it counts as sent
/// (the message did leave; receipts will follow if it arrives).
pub(super) const ACK_WAIT: Duration = Duration::from_secs(10);

/// The nack code WhatsApp answers a message to someone this number may not
/// reach (a new contact during the "reach-out timelock").
pub(super) const NEW_CONTACTS_BLOCKED: &str = "463";

/// Sends waiting for their ack, by message id.
#[derive(Default)]
pub(super) struct AckWaiters {
    pending: Mutex<HashMap<String, oneshot::Sender<Option<String>>>>,
}

/// A send's wait for its ack; dropping it stops waiting.
pub(super) struct AwaitedAck {
    id: String,
    waiters: Arc<AckWaiters>,
    answer: oneshot::Receiver<Option<String>>,
}

impl AckWaiters {
    /// Starts waiting for the ack of `id`; call before sending it.
    pub(super) fn expect(self: &Arc<Self>, id: &str) -> AwaitedAck {
        let (tx, answer) = oneshot::channel();
        self.lock().insert(id.to_owned(), tx);
        AwaitedAck {
            id: id.to_owned(),
            waiters: self.clone(),
            answer,
        }
    }

    /// The server acked `id`, with a nack code when it refused it.
    pub(super) fn acked(&self, id: &str, error: Option<String>) {
        if let Some(waiting) = self.lock().remove(id) {
            let _ = waiting.send(error);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Option<String>>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AwaitedAck {
    /// The nack code, if the server refused the message within `wait`.
    pub(super) async fn refusal(mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, &mut self.answer).await.ok()?.ok()?
    }
}

impl Drop for AwaitedAck {
    fn drop(&mut self) {
        self.waiters.lock().remove(&self.id);
    }
}

/// A refused message as a send failure. 463 needs the block's end,
/// asked from WhatsApp by the caller (`until_ms`).
pub(super) fn nack_error(code: &str, until_ms: Option<i64>) -> SendError {
    match code {
        NEW_CONTACTS_BLOCKED => SendError::NewContactsBlocked {
            reason:
                "WhatsApp refused the message (error 463): this number may not message new contacts for now"
                    .into(),
            until_ms,
        },
        "429" | "500" | "503" => {
            SendError::Transient(format!("WhatsApp refused the message for now (error {code})"))
        }
        other => SendError::Permanent(format!("WhatsApp refused the message (error {other})")),
    }
}

/// `time_enforcement_ends` of the reach-out timelock (Unix seconds as
/// text, per whatsapp-rust's decoder test) as ms since the epoch.
pub(super) fn timelock_end_ms(raw: &str) -> Option<i64> {
    let secs: i64 = raw.trim().parse().ok()?;
    (secs > 0).then(|| secs.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_nack_reaches_the_waiting_send_and_others_are_ignored() {
        let waiters = Arc::new(AckWaiters::default());
        let refused = waiters.expect("m1");
        let fine = waiters.expect("m2");
        waiters.acked("m1", Some("463".into()));
        waiters.acked("m2", None);
        waiters.acked("unknown", Some("479".into()));
        assert_eq!(refused.refusal(ACK_WAIT).await.as_deref(), Some("463"));
        assert_eq!(fine.refusal(ACK_WAIT).await, None);
        assert!(waiters.lock().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn no_ack_in_time_counts_as_sent_and_is_forgotten() {
        let waiters = Arc::new(AckWaiters::default());
        assert_eq!(waiters.expect("m1").refusal(ACK_WAIT).await, None);
        assert!(waiters.lock().is_empty());
    }

    #[test]
    fn nack_codes_are_sorted() {
        assert!(matches!(
            nack_error("463", Some(5)),
            SendError::NewContactsBlocked {
                until_ms: Some(5),
                ..
            }
        ));
        assert!(matches!(nack_error("503", None), SendError::Transient(_)));
        assert!(matches!(nack_error("479", None), SendError::Permanent(_)));
        assert_eq!(timelock_end_ms("1770000000"), Some(1_770_000_000_000));
        assert_eq!(timelock_end_ms("soon"), None);
    }
}
