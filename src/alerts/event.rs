//! The JSON an alert carries to the monitoring webhook.

use super::incident::{Change, ForwardChange, Incident};
use crate::domain::InstanceId;
use crate::support::clock::{now_ms, rfc3339};
use crate::wa::actor::InstanceView;
use serde_json::{json, Value};

/// `instance.logged_out|banned|client_outdated|offline` or `instance.recovered`.
pub fn instance(id: &InstanceId, change: Change, view: &InstanceView) -> Value {
    let (event, severity, incident) = match change {
        Change::Opened(incident) => (
            format!("instance.{}", incident.name()),
            severity(incident),
            incident,
        ),
        Change::Recovered(incident) => ("instance.recovered".to_owned(), "resolved", incident),
    };
    json!({
        "event": event,
        "severity": severity,
        "incident": incident.name(),
        "instanceId": id.as_str(),
        "status": view.status.as_str(),
        "phone": view.phone,
        "detail": view.last_error,
        "at": rfc3339(now_ms()),
        "gateway": concat!("wagate/", env!("CARGO_PKG_VERSION")),
    })
}

/// `instance.new_contacts_blocked` when WhatsApp starts refusing the
/// number's messages to new contacts, `instance.new_contacts_unblocked`
/// when that ends.
pub fn new_contacts(id: &InstanceId, blocked: bool, view: &InstanceView) -> Value {
    let block = view.new_contact_block.as_ref();
    json!({
        "event": if blocked { "instance.new_contacts_blocked" } else { "instance.new_contacts_unblocked" },
        "severity": if blocked { "warning" } else { "resolved" },
        "incident": "new_contacts_blocked",
        "instanceId": id.as_str(),
        "status": view.status.as_str(),
        "phone": view.phone,
        "detail": block.map(|b| b.reason.clone()),
        "until": block.and_then(|b| b.until_ms).map(rfc3339),
        "at": rfc3339(now_ms()),
        "gateway": concat!("wagate/", env!("CARGO_PKG_VERSION")),
    })
}

/// `forwards.dead_lettering` or `forwards.recovered`.
pub fn forwards(change: ForwardChange) -> Value {
    let (event, severity, dead_letters) = match change {
        ForwardChange::Opened(count) => ("forwards.dead_lettering", "critical", count),
        ForwardChange::Recovered => ("forwards.recovered", "resolved", 0),
    };
    json!({
        "event": event,
        "severity": severity,
        "incident": "dead_letters",
        "newDeadLetters": dead_letters,
        "at": rfc3339(now_ms()),
        "gateway": concat!("wagate/", env!("CARGO_PKG_VERSION")),
    })
}

/// `messages.undecryptable`: WhatsApp delivered messages to the instance
/// that it could not decrypt (its Signal sessions with a sender may be
/// broken; WhatsApp asks the sender's phone to send them again).
pub fn undecryptable(id: &InstanceId, new: u64, total: u64) -> Value {
    json!({
        "event": "messages.undecryptable",
        "severity": "warning",
        "incident": "undecryptable",
        "instanceId": id.as_str(),
        "newUndecryptable": new,
        "totalUndecryptable": total,
        "detail": "inbound messages could not be decrypted; the webhook got them as type undecryptable",
        "at": rfc3339(now_ms()),
        "gateway": concat!("wagate/", env!("CARGO_PKG_VERSION")),
    })
}

fn severity(incident: Incident) -> &'static str {
    match incident {
        Incident::Offline => "warning",
        Incident::LoggedOut | Incident::Banned | Incident::Outdated => "critical",
    }
}
