//! What a simulated contact does in groups, through its real client: it
//! creates a group (whatsapp-rust `Groups::create_group`, the server's
//! `w:g2` create in `groups.rs`) and writes in one (the client's group send:
//! sender-key distribution and `skmsg`, fanned out by `group_routing.rs`).
//! What it decrypts from a group is in `received()`, with `group` set.

use crate::Contact;
use anyhow::{ensure, Context, Result};
use wacore_binary::JidExt;
use whatsapp_rust::features::{GroupCreateOptions, GroupParticipantOptions};
use whatsapp_rust::Jid;

impl Contact {
    /// Creates a group named `subject` with the contact and `members`
    /// (`+5511...` or digits; numbers that are not WhatsApp users are left
    /// out); gives the group's id, `120363...@g.us`.
    pub async fn create_group(&self, subject: &str, members: &[&str]) -> Result<String> {
        let participants = members
            .iter()
            .map(|member| {
                Ok(GroupParticipantOptions::new(Jid::pn(crate::phone_digits(
                    member,
                )?)))
            })
            .collect::<Result<Vec<_>>>()?;
        let options = GroupCreateOptions::new(subject).with_participants(participants);
        let created = self.client.groups().create_group(options).await?;
        Ok(created.metadata.id.to_string())
    }

    /// Writes `text` in the group `group` (`120363...@g.us`); gives the
    /// message id.
    pub async fn send_group_text(&self, group: &str, text: &str) -> Result<String> {
        let jid: Jid = group
            .parse()
            .with_context(|| format!("{group:?} is not a group id"))?;
        ensure!(jid.is_group(), "{group:?} is not a group id");
        let sent = self.client.send_text(jid, text).await?;
        Ok(sent.message_id)
    }
}
