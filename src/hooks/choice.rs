//! Which of an instance's webhooks an inbound message goes to: those that
//! subscribed to its event. Chosen with the rest of the message's forwards
//! from the same routing snapshot, so the store refuses them when a webhook
//! was added or removed meanwhile and they are chosen again.

use super::body;
use crate::domain::{HookEvent, InstanceId, MessageKind};
use crate::store::{ForwardTarget, InstanceWebhook, NewForward};
use crate::wa::InboundMessage;

/// The event an inbound message is to a webhook's filter, with the name its
/// body gives it: a missed call is the `calls` event, every other kind
/// (typed events and undecryptable messages included) a message.
fn event_of(message: &InboundMessage) -> (HookEvent, &'static str) {
    match message.kind {
        MessageKind::Call => (HookEvent::Calls, "call"),
        MessageKind::Text
        | MessageKind::Image
        | MessageKind::Video
        | MessageKind::Audio
        | MessageKind::Voice
        | MessageKind::Document
        | MessageKind::Sticker
        | MessageKind::Location
        | MessageKind::Contact
        | MessageKind::Reaction
        | MessageKind::Edit
        | MessageKind::Delete
        | MessageKind::Poll
        | MessageKind::PollVote
        | MessageKind::Undecryptable
        | MessageKind::Other => (HookEvent::Messages, "message"),
    }
}

/// One forward to each webhook of `instance` that takes the message's
/// event, each with its own forward id; `global` is the body the global
/// webhook gets.
pub fn message_forwards(
    hooks: &[InstanceWebhook],
    instance: &InstanceId,
    message: &InboundMessage,
    global: &str,
) -> Vec<NewForward> {
    let (event, name) = event_of(message);
    hooks
        .iter()
        .filter(|hook| hook.instance_id == *instance && hook.wants(event))
        .map(|hook| {
            let id = uuid::Uuid::new_v4().to_string();
            NewForward {
                body: body::message(global, name, &id, hook.id),
                target: ForwardTarget::Hook(hook.id),
                id,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WebhookId;

    fn hook(instance: &str, events: &[HookEvent]) -> InstanceWebhook {
        InstanceWebhook {
            id: WebhookId::new(),
            instance_id: InstanceId::parse(instance).unwrap(),
            url: "https://example.com/hook".into(),
            events: events.to_vec(),
            secret: None,
            created_at_ms: 0,
        }
    }

    fn text() -> InboundMessage {
        InboundMessage {
            id: "m1".into(),
            from: None,
            contact: None,
            chat: "5511999999999@s.whatsapp.net".into(),
            push_name: None,
            kind: MessageKind::Text,
            text: Some("hi".into()),
            caption: None,
            media: None,
            timestamp_ms: 0,
            is_group: false,
            group: None,
            from_me: false,
            details: Default::default(),
        }
    }

    #[test]
    fn only_the_instances_hooks_that_take_messages_get_one() {
        let hooks = [
            hook("wa-01", &[HookEvent::Messages]),
            hook("wa-01", &[HookEvent::Statuses]),
            hook("wa-02", &[HookEvent::Messages]),
            hook("wa-01", &[HookEvent::Messages, HookEvent::Instance]),
        ];
        let wa01 = InstanceId::parse("wa-01").unwrap();
        let forwards = message_forwards(&hooks, &wa01, &text(), r#"{"text":"hi"}"#);
        let targets: Vec<_> = forwards.iter().map(|f| f.target).collect();
        assert_eq!(
            targets,
            [ForwardTarget::Hook(hooks[0].id), ForwardTarget::Hook(hooks[3].id)]
        );
        assert_ne!(forwards[0].id, forwards[1].id);
    }

    #[test]
    fn a_missed_call_goes_to_the_hooks_that_take_calls_only() {
        let hooks = [
            hook("wa-01", &[HookEvent::Messages]),
            hook("wa-01", &[HookEvent::Calls]),
        ];
        let wa01 = InstanceId::parse("wa-01").unwrap();
        let call = InboundMessage {
            kind: MessageKind::Call,
            ..text()
        };
        let forwards = message_forwards(&hooks, &wa01, &call, r#"{"type":"call"}"#);
        let targets: Vec<_> = forwards.iter().map(|f| f.target).collect();
        assert_eq!(targets, [ForwardTarget::Hook(hooks[1].id)]);
        assert!(
            forwards[0].body.contains(r#""event":"call""#),
            "{}",
            forwards[0].body
        );
    }
}
