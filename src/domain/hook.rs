//! The vocabulary of an instance's own webhooks: their id and the kinds of
//! event they take. Parsed once at the API's edge; the store and the
//! forwarder handle only these types.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A webhook's id: a random UUID, chosen when the webhook is added. Small
/// and `Copy`, so a forward's target can name its webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebhookId(uuid::Uuid);

impl Serialize for WebhookId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WebhookId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("not a webhook id: {raw:?}")))
    }
}

impl WebhookId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// The id as the API and the store write it (lowercase, hyphenated).
    pub fn parse(raw: &str) -> Option<Self> {
        uuid::Uuid::parse_str(raw).ok().map(Self)
    }
}

impl Default for WebhookId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// What a webhook may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookEvent {
    /// Inbound messages (the body the global webhook gets).
    Messages,
    /// Outbound messages' status changes: sent, delivered, read, failed.
    Statuses,
    /// The instance's state changes: ONLINE, LOGGED_OUT, ...
    Instance,
    /// Calls the number missed.
    Calls,
}

impl HookEvent {
    pub const ALL: [HookEvent; 4] = [Self::Messages, Self::Statuses, Self::Instance, Self::Calls];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Statuses => "statuses",
            Self::Instance => "instance",
            Self::Calls => "calls",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_back_from_their_names_and_nothing_else() {
        for event in HookEvent::ALL {
            assert_eq!(HookEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(HookEvent::parse("Messages"), None);
        assert_eq!(HookEvent::parse("status"), None);
    }

    #[test]
    fn an_id_reads_back_from_its_text() {
        let id = WebhookId::new();
        assert_eq!(WebhookId::parse(&id.to_string()), Some(id));
        assert_eq!(WebhookId::parse("not-a-uuid"), None);
    }
}
