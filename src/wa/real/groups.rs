//! Groups on whatsapp-rust 0.7: the groups the number is in, listed with
//! `Groups::get_participating` (one `w:g2` query answering every group's
//! metadata), and each group's subject for its inbound messages, kept for
//! the session and asked with `Groups::get_metadata` the first time a
//! group's message arrives before any listing named it. And how a group
//! names its members, for the quotes and reactions sent into it.

use super::rich::GroupLids;
use crate::domain::GroupId;
use crate::wa::{GroupSummary, OutgoingMessage, SendError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use whatsapp_rust::features::GroupMetadata;
use whatsapp_rust::{Client, Jid, Server};

const QUERY_WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(super) struct GroupSubjects {
    known: Mutex<HashMap<GroupId, String>>,
}

impl GroupSubjects {
    /// The groups the number is in, by subject.
    pub(super) async fn list(&self, client: &Client) -> Result<Vec<GroupSummary>, SendError> {
        let answer = tokio::time::timeout(QUERY_WAIT, client.groups().get_participating())
            .await
            .map_err(|_| SendError::Transient("WhatsApp did not list the groups in time".into()))?
            .map_err(|e| SendError::Transient(format!("could not list the groups: {e}")))?;
        let mut groups: Vec<GroupSummary> = answer
            .iter()
            .filter_map(|(jid, meta)| summary(jid, meta))
            .collect();
        groups.sort_by(|a, b| a.subject.cmp(&b.subject).then_with(|| a.id.cmp(&b.id)));
        let mut known = self.lock();
        for group in &groups {
            known.insert(group.id.clone(), group.subject.clone());
        }
        Ok(groups)
    }

    /// The group's subject: remembered, else asked (None if WhatsApp
    /// does not answer: the message goes on without it).
    pub(super) async fn subject(&self, client: &Client, group: &GroupId) -> Option<String> {
        if let Some(subject) = self.lock().get(group) {
            return Some(subject.clone());
        }
        let jid = Jid::group(group.user());
        let meta = answer(
            client.groups().get_metadata(&jid),
            &format!("the subject of group {group}"),
        )
        .await?;
        self.lock().insert(group.clone(), meta.subject.clone());
        Some(meta.subject)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupId, String>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How the group `to` names its members, when `message` names one of its
/// messages (a quote or a reaction) and the group is LID-addressed.
/// whatsapp-rust keeps the group's info from its own send path, so this
/// asks WhatsApp only when that has not run yet.
pub(super) async fn member_lids(client: &Client, message: &OutgoingMessage, to: &Jid) -> Option<GroupLids> {
    let details = &message.details;
    let names_a_message = details.quote.is_some() || details.reaction.is_some();
    if to.server != Server::Group || !names_a_message {
        return None;
    }
    let info = answer(client.groups().query_info(to), "how the group names its members").await?;
    GroupLids::of(info, client.lid())
}

/// WhatsApp's answer to a group query, if it came in time; an error is
/// logged as not reading `what` (the caller goes on without it).
async fn answer<T, E: std::fmt::Display>(
    asked: impl std::future::Future<Output = Result<T, E>>,
    what: &str,
) -> Option<T> {
    match tokio::time::timeout(QUERY_WAIT, asked).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not read {what}");
            None
        }
        Err(_) => None,
    }
}

fn summary(jid: &Jid, meta: &GroupMetadata) -> Option<GroupSummary> {
    let id = GroupId::parse(&jid.to_string()).ok()?;
    Some(GroupSummary {
        id,
        subject: meta.subject.clone(),
        size: meta.participants.len(),
    })
}
