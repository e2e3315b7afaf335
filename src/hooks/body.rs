//! The JSON an instance's webhook receives. Every body says which event it
//! is (`event`: `message`, `status`, `instance` or `call`), which webhook
//! it was made for (`webhookId`) and carries its forward's id
//! (`forwardId`, also the `Idempotency-Key` header, the same on every
//! retry). A message's body is otherwise the global webhook's.

use crate::domain::{InstanceId, MessageStatus, WebhookId};
use crate::support::clock::rfc3339;
use crate::wa::actor::InstanceView;
use serde_json::{json, Map, Value};

/// The global webhook's body of a message, made this webhook's.
pub fn message(global: &str, event: &str, forward_id: &str, hook: WebhookId) -> String {
    let mut fields: Map<String, Value> =
        serde_json::from_str(global).expect("the global webhook's body is a JSON object");
    fields.insert("event".into(), json!(event));
    fields.insert("webhookId".into(), json!(hook));
    fields.insert("forwardId".into(), json!(forward_id));
    Value::Object(fields).to_string()
}

/// An outbound message's status change.
pub struct StatusChange<'a> {
    pub instance: &'a InstanceId,
    pub message_id: &'a str,
    pub status: MessageStatus,
    pub error: Option<&'a str>,
    pub at_ms: i64,
}

pub fn status(change: &StatusChange<'_>, forward_id: &str, hook: WebhookId) -> String {
    json!({
        "event": "status",
        "webhookId": hook,
        "forwardId": forward_id,
        "instanceId": change.instance,
        "messageId": change.message_id,
        "status": change.status,
        "error": change.error,
        "timestamp": rfc3339(change.at_ms),
    })
    .to_string()
}

/// An instance's new state.
pub fn instance(
    instance: &InstanceId,
    view: &InstanceView,
    at_ms: i64,
    forward_id: &str,
    hook: WebhookId,
) -> String {
    json!({
        "event": "instance",
        "webhookId": hook,
        "forwardId": forward_id,
        "instanceId": instance,
        "status": view.status,
        "phone": view.phone,
        "error": view.last_error,
        "timestamp": rfc3339(at_ms),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_body_keeps_the_global_fields_and_names_its_own_forward() {
        let hook = WebhookId::new();
        let global = r#"{"forwardId":"global-1","instanceId":"wa-01","text":"hi"}"#;
        let body: Value = serde_json::from_str(&message(global, "message", "f-2", hook)).unwrap();
        assert_eq!(body["forwardId"], "f-2");
        assert_eq!(body["event"], "message");
        assert_eq!(body["webhookId"], hook.to_string());
        assert_eq!(body["text"], "hi");
    }

    #[test]
    fn a_status_body_says_the_status_in_the_apis_words() {
        let instance = InstanceId::parse("wa-01").unwrap();
        let change = StatusChange {
            instance: &instance,
            message_id: "3EB0ABC",
            status: MessageStatus::Delivered,
            error: None,
            at_ms: 0,
        };
        let body: Value = serde_json::from_str(&status(&change, "f", WebhookId::new())).unwrap();
        assert_eq!(body["status"], "delivered");
        assert_eq!(body["messageId"], "3EB0ABC");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00.000Z");
    }
}
