//! Key names, all under one prefix so several gateways (or tests) can share
//! a Redis without touching each other's data.

use crate::domain::{Direction, InstanceId};

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Hash: instance id → the instance record as JSON.
    pub fn instances(&self) -> String {
        format!("{}instances", self.prefix)
    }

    /// Hash: one outbound message.
    pub fn outbound(&self, id: &str) -> String {
        format!("{}msg:out:{id}", self.prefix)
    }

    /// Hash: one inbound message.
    pub fn inbound(&self, instance: &InstanceId, wa_id: &str) -> String {
        format!("{}msg:in:{instance}:{wa_id}", self.prefix)
    }

    /// String: an inbound WhatsApp id → `instance:id`, for lookups by id.
    pub fn inbound_index(&self, wa_id: &str) -> String {
        format!("{}in-id:{wa_id}", self.prefix)
    }

    /// List: the instance's queued message ids, oldest first.
    pub fn queue(&self, instance: &InstanceId) -> String {
        format!("{}queue:{instance}", self.prefix)
    }

    /// String: when the instance last sent, ms since the epoch.
    pub fn pacing(&self, instance: &InstanceId) -> String {
        format!("{}paced:{instance}", self.prefix)
    }

    /// Hash: `settings` and `new_contact_block` of one instance, as JSON.
    pub fn sending(&self, instance: &InstanceId) -> String {
        format!("{}sending:{instance}", self.prefix)
    }

    /// Hash: cap window → sends the instance counted in it.
    pub fn sent_windows(&self, instance: &InstanceId) -> String {
        format!("{}sent-windows:{instance}", self.prefix)
    }

    /// Hash: contact (E.164) → their latest message not yet marked read
    /// ("" for none), for every contact the instance has a chat with.
    pub fn contacts(&self, instance: &InstanceId) -> String {
        format!("{}contacts:{instance}", self.prefix)
    }

    /// Hash: contact (E.164) → when the instance last talked with them, ms.
    pub fn talked(&self, instance: &InstanceId) -> String {
        format!("{}talked:{instance}", self.prefix)
    }

    pub fn idempotency(&self, key: &str) -> String {
        format!("{}idem:{key}", self.prefix)
    }

    /// Hash of counters: total, completed, failed.
    pub fn stats(&self) -> String {
        format!("{}stats", self.prefix)
    }

    /// Sorted sets of message references by time, per filter.
    pub fn log(&self, instance: Option<&InstanceId>, direction: Option<Direction>) -> String {
        let mut key = format!("{}log", self.prefix);
        if let Some(instance) = instance {
            key.push_str(&format!(":i:{instance}"));
        }
        if let Some(direction) = direction {
            key.push_str(&format!(":d:{}", direction.as_str()));
        }
        key
    }

    /// The four log sets a message of `instance` and `direction` is in.
    pub fn logs_of(&self, instance: &InstanceId, direction: Direction) -> [String; 4] {
        [
            self.log(None, None),
            self.log(Some(instance), None),
            self.log(None, Some(direction)),
            self.log(Some(instance), Some(direction)),
        ]
    }

    /// Hash: GHL location id → its route as JSON.
    pub fn locations(&self) -> String {
        format!("{}locations", self.prefix)
    }

    /// Hash: webhook id → an instance's own webhook as JSON.
    pub fn webhooks(&self) -> String {
        format!("{}webhooks", self.prefix)
    }

    /// Counter: moves on with every change to the location routes, to
    /// who holds a GHL token or to the webhooks, in the same write as the
    /// change.
    pub fn routing_generation(&self) -> String {
        format!("{}routing-generation", self.prefix)
    }

    /// Hash: contact id → the instance that serves that contact.
    pub fn contact_routes(&self, location_id: &str) -> String {
        format!("{}contact-routes:{location_id}", self.prefix)
    }

    /// Hash: phone (E.164) → the number the location gave that new contact.
    pub fn new_contact_numbers(&self, location_id: &str) -> String {
        format!("{}new-contacts:{location_id}", self.prefix)
    }

    /// Counter: the location's round-robin turns taken.
    pub fn location_turns(&self, location_id: &str) -> String {
        format!("{}turns:{location_id}", self.prefix)
    }

    /// Hash: WhatsApp group id → its GHL contact link (JSON), per location.
    pub fn group_contacts(&self, location_id: &str) -> String {
        format!("{}ghl-group-contacts:{location_id}", self.prefix)
    }

    /// Hash: GHL contact id → its group link (JSON), per location.
    pub fn contact_groups(&self, location_id: &str) -> String {
        format!("{}ghl-contact-groups:{location_id}", self.prefix)
    }

    pub fn forward(&self, id: &str) -> String {
        format!("{}fwd:{id}", self.prefix)
    }

    /// Sorted set: pending forward ids by due time.
    pub fn forwards_due(&self) -> String {
        format!("{}fwd-due", self.prefix)
    }

    /// Sorted set: every forward id by creation time.
    pub fn forwards_all(&self) -> String {
        format!("{}fwd-all", self.prefix)
    }

    /// String: the GHL app's sealed settings.
    pub fn ghl_app(&self) -> String {
        format!("{}ghl:app", self.prefix)
    }

    /// Hash: token owner (location or company id) → the token as JSON.
    pub fn ghl_tokens(&self) -> String {
        format!("{}ghl:tokens", self.prefix)
    }

    /// Hash: token owner → the stored token's version.
    pub fn ghl_token_versions(&self) -> String {
        format!("{}ghl:token-versions", self.prefix)
    }

    /// String: the GHL message an outbound message answers, as JSON.
    pub fn ghl_link(&self, message_id: &str) -> String {
        format!("{}ghl:link:{message_id}", self.prefix)
    }

    /// String: the rank of the last status reported for a GHL message.
    pub fn ghl_reported(&self, ghl_message_id: &str) -> String {
        format!("{}ghl:reported:{ghl_message_id}", self.prefix)
    }

    /// String with an expiry: a single-use mark (an issued OAuth state, an
    /// app webhook id already obeyed).
    pub fn ghl_mark(&self, mark: &str) -> String {
        format!("{}ghl:once:{mark}", self.prefix)
    }
}
