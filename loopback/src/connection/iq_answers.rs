//! The IQs a logged-in client asks that need more than an empty
//! `result`: usync queries, prekey uploads and fetches, and the `passive`
//! IQ that ends a login.

use super::{result, Session};
use crate::iq;
use crate::keys::Keys;
use crate::{contacts, prekeys};
use anyhow::Result;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

impl Session {
    /// WHATSAPP.md, usync (3): contact queries learn which numbers are
    /// WhatsApp users, device queries list each known user's phone (device
    /// 0); other usync queries still get an empty `result`.
    pub(super) async fn usync(&mut self, id: &str, node: &Node) -> Result<()> {
        let sid = node
            .get_optional_child("usync")
            .and_then(|u| u.attrs.get("sid"))
            .map(|sid| sid.to_string());
        let answer = if let Some(numbers) = contacts::asked_numbers(node) {
            contacts::answer(id, sid, self.shared.asked(numbers))
        } else if let Some(users) = prekeys::devices_asked(node) {
            prekeys::device_lists(id, sid, self.shared.known_users(users))
        } else {
            result(id)
        };
        self.send(&answer).await
    }

    /// WHATSAPP.md, prekeys (4): uploads are stored (the first one is
    /// followed by the phone's app-state key share), the count of what is
    /// left is told (wacore `iq/prekeys.rs` `PreKeyCountSpec`: `<count
    /// value>`), bundle fetches are served; other `encrypt` IQs (the
    /// digest, rotations) get an empty `result`.
    pub(super) async fn encrypt(&mut self, id: &str, node: &Node) -> Result<()> {
        let answer = if let Some(devices) = prekeys::bundles_asked(node) {
            prekeys::bundles(id, self.shared.bundles_for(devices))?
        } else if let (Some(keys), Some(me)) = (Keys::read_upload(node), self.me.clone()) {
            let share = self.shared.uploaded(&me, keys);
            self.send(&result(id)).await?;
            if let Some(share) = share {
                let node = crate::keyshare::key_share(&share.key, share.phone, me.1, &share.keys).await?;
                self.send(&node).await?;
            }
            return Ok(());
        } else if let (Some(_), Some(me)) = (node.get_optional_child("count"), &self.me) {
            let left = self.shared.prekeys_left(me).to_string();
            iq::result(id, [NodeBuilder::new("count").attr("value", left).build()])
        } else {
            result(id)
        };
        self.send(&answer).await
    }

    /// WHATSAPP.md, login (2): answer the `passive` IQ, then hand over
    /// what waited for this device and say `<ib><offline count="0"/></ib>`
    /// (else the client waits 60 s).
    pub(super) async fn activate(&mut self, id: &str) -> Result<()> {
        self.send(&result(id)).await?;
        let waiting = self.me.as_ref().map(|me| self.shared.take_pending(me));
        for node in waiting.unwrap_or_default() {
            self.send(&node).await?;
        }
        let offline = NodeBuilder::new("ib")
            .children([NodeBuilder::new("offline").attr("count", "0").build()])
            .build();
        self.send(&offline).await
    }
}
