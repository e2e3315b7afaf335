//! The original gateway's vocabulary, for the routes it had (`/api/wa/*`,
//! `/api/messages/history`), so its own web UI keeps working unchanged.
//! Its UI reads three connection words (`frontend/src/types/gateway.ts`:
//! `ONLINE | OFFLINE | RECONNECTING`; its QR routes said `connected` for a
//! linked number) and four message words (`sent | received | failed |
//! queued`), and fixed `wa-01`…`wa-03` ids (`src/api/qr.controller.ts`).
//! wagate's own words ride beside them (`detailedStatus`, `messageStatus`).

use crate::domain::MessageStatus;
use crate::wa::InstanceStatus;
use serde_json::{json, Value};

/// The original gateway's word for a connection state. It had no word for
/// waiting on a scan: its backend said RECONNECTING from the start of a
/// pairing until the number came online (`src/core/baileys.ts`), and its UI
/// polls `qr-check` only while it reads that word.
pub fn status_word(status: InstanceStatus) -> &'static str {
    match status {
        InstanceStatus::Online => "ONLINE",
        InstanceStatus::Pairing | InstanceStatus::Connecting | InstanceStatus::Reconnecting => "RECONNECTING",
        InstanceStatus::Offline | InstanceStatus::LoggedOut => "OFFLINE",
    }
}

/// What the original QR routes answered for a linked number.
pub const LINKED_WORD: &str = "connected";

/// The original gateway's word for a message's state: delivered and read
/// are sent to it (its UI shows any other word as queued).
pub fn message_word(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Queued => "queued",
        MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Read => "sent",
        MessageStatus::Failed => "failed",
        MessageStatus::Received => "received",
    }
}

/// `{status, detailedStatus}`: the original word and wagate's.
pub fn status_fields(status: InstanceStatus) -> Value {
    json!({ "status": status_word(status), "detailedStatus": status })
}

/// Adds `fields` (an object) to `body` (an object), replacing same names.
pub fn merged(mut body: Value, fields: Value) -> Value {
    if let (Some(out), Value::Object(extra)) = (body.as_object_mut(), fields) {
        out.extend(extra);
    }
    body
}

/// The ids the original UI offers: `wa-01` … `wa-NN` for a limit of NN.
pub fn slot_ids(limit: u32) -> Vec<String> {
    (1..=limit).map(|n| format!("wa-{n:02}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_one_of_the_three_original_words() {
        use InstanceStatus::*;
        let words: Vec<_> = [Pairing, Connecting, Online, Reconnecting, Offline, LoggedOut]
            .into_iter()
            .map(status_word)
            .collect();
        assert_eq!(
            words,
            [
                "RECONNECTING",
                "RECONNECTING",
                "ONLINE",
                "RECONNECTING",
                "OFFLINE",
                "OFFLINE"
            ]
        );
    }

    #[test]
    fn delivered_and_read_are_sent_in_the_original_words() {
        use MessageStatus::*;
        let words: Vec<_> = [Queued, Sent, Delivered, Read, Failed, Received]
            .into_iter()
            .map(message_word)
            .collect();
        assert_eq!(words, ["queued", "sent", "sent", "sent", "failed", "received"]);
    }

    #[test]
    fn slots_are_numbered_like_the_original_ids() {
        assert_eq!(slot_ids(3), ["wa-01", "wa-02", "wa-03"]);
        assert!(slot_ids(0).is_empty());
    }
}
