//! Groups, as WhatsApp's `w:g2` service keeps them: a member creates one
//! (whatsapp-rust `features/groups.rs` `Groups::create_group`), and members
//! ask for the groups they are in (`get_participating`) or for one group
//! (`get_metadata`, and `query_info`, which the client's group send path
//! runs before it encrypts). Groups are LID-addressed, as WhatsApp makes
//! new groups today: each participant is named by its LID with its
//! `phone_number` beside it, which is how clients map a group's senders
//! back to phone numbers (`Groups::fill_participant_pns`, `GroupInfo`'s
//! LID-to-phone map in `query_info`). Messages to a group are carried by
//! `group_routing.rs`.
//!
//! Requests, from wacore `iq/groups.rs`: `build_create_group_node`
//! (`<create subject><participant jid phone_number?/>..`, sent to `g.us`),
//! `GroupParticipatingIq` (`<participating><participants/><description/>`)
//! and `GroupQueryIq` (`<query request="interactive"/>`, sent to the group).
//! Answers, as its parsers read them: `GroupCreateIq::parse_response` and
//! `GroupQueryIq::parse_response` take the `<group>` child,
//! `GroupParticipatingResponse` a `<groups>` list of them;
//! `GroupInfoResponse::try_from_node_ref` reads `id` (without `@g.us`),
//! `subject`, `addressing_mode`, `creator`, `creator_pn`, `creation`, `s_t`,
//! `s_o`, `s_o_pn`, `size`, and `GroupParticipantResponse` each
//! `<participant jid phone_number? type?>`.

use crate::iq;
use crate::routing::Device;
use crate::state::Shared;
use crate::unix_now;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, JidExt, Node};

/// An account as a group sees it: its phone and LID digits and the
/// companions linked to it (the devices a group message goes to).
pub struct Member {
    pub phone: String,
    pub lid: String,
    pub companions: Vec<u16>,
}

#[derive(Clone)]
struct Group {
    subject: String,
    /// Unix seconds.
    created: u64,
    /// Phone digits, the creator first.
    members: Vec<String>,
}

/// The groups, by id (the digits before `@g.us`).
#[derive(Default)]
pub struct GroupBook(Mutex<BTreeMap<String, Group>>);

impl GroupBook {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Group>> {
        self.0.lock().expect("loopback groups lock")
    }

    fn get(&self, id: &str) -> Option<Group> {
        self.lock().get(id).cloned()
    }

    /// The members (phone digits) of group `id`.
    pub fn members(&self, id: &str) -> Option<Vec<String>> {
        self.get(id).map(|group| group.members)
    }
}

impl Shared {
    /// Answers `asker`'s `w:g2` IQ: a create, the participating list, or
    /// one group's query. Other `w:g2` IQs (settings, invites, ..) get the
    /// empty `result` every IQ the server does not model gets.
    pub fn group_iq(&self, asker: &Device, id: &str, iq: &Node) -> Node {
        if let Some(create) = iq.get_optional_child("create") {
            return self.create_group(asker, id, create);
        }
        if iq.get_optional_child("participating").is_some() {
            let groups: Vec<(String, Group)> = self
                .groups
                .lock()
                .iter()
                .filter(|(_, group)| group.members.contains(&asker.0))
                .map(|(id, group)| (id.clone(), group.clone()))
                .collect();
            let nodes = groups.iter().map(|(id, group)| self.group_node(id, group));
            return iq::result(id, [NodeBuilder::new("groups").children(nodes).build()]);
        }
        if iq.get_optional_child("query").is_some() {
            return self.query_group(asker, id, iq);
        }
        iq::result(id, [])
    }

    /// A new group of `asker` (its creator) and the participants the
    /// server knows, named by phone number or LID; numbers that are not
    /// WhatsApp users are left out.
    fn create_group(&self, asker: &Device, id: &str, create: &Node) -> Node {
        let mut members = vec![asker.0.clone()];
        for participant in create.get_children_by_tag("participant") {
            let named = ["phone_number", "jid"]
                .into_iter()
                .find_map(|name| participant.attrs.get(name)?.to_jid());
            let Some(member) = named.and_then(|jid| self.member(&jid)) else {
                continue;
            };
            if !members.contains(&member.phone) {
                members.push(member.phone);
            }
        }
        let group = Group {
            subject: create
                .attrs
                .get("subject")
                .map(|s| s.to_string())
                .unwrap_or_default(),
            created: unix_now(),
            members,
        };
        let group_id = new_group_id();
        let node = self.group_node(&group_id, &group);
        self.groups.lock().insert(group_id, group);
        iq::result(id, [node])
    }

    /// One group's metadata, for a member. whatsapp-rust's own tests answer
    /// a refused group query `<error code="403" text="forbidden"/>`
    /// (`features/groups.rs`, `iq_error`); an unknown group gets 404.
    fn query_group(&self, asker: &Device, id: &str, iq: &Node) -> Node {
        let asked = iq.attrs.get("to").and_then(|to| to.to_jid());
        let Some(group_id) = asked.filter(|jid| jid.is_group()).map(|jid| jid.user.to_string()) else {
            return iq::error(id, 404, "item-not-found");
        };
        let Some(group) = self.groups.get(&group_id) else {
            return iq::error(id, 404, "item-not-found");
        };
        if !group.members.contains(&asker.0) {
            return iq::error(id, 403, "forbidden");
        }
        iq::result(id, [self.group_node(&group_id, &group)])
    }

    /// `<group>` with each member as `<participant jid=LID
    /// phone_number=PN>`, the creator as `superadmin` (wacore
    /// `ParticipantType`).
    fn group_node(&self, id: &str, group: &Group) -> Node {
        let members: Vec<Member> = group
            .members
            .iter()
            .filter_map(|phone| self.member(&Jid::pn(phone.clone())))
            .collect();
        let participants = members.iter().enumerate().map(|(index, member)| {
            let participant = NodeBuilder::new("participant")
                .attr("jid", Jid::lid(member.lid.clone()))
                .attr("phone_number", Jid::pn(member.phone.clone()));
            if index == 0 {
                participant.attr("type", "superadmin").build()
            } else {
                participant.build()
            }
        });
        let created = group.created.to_string();
        let mut node = NodeBuilder::new("group")
            .attr("id", id)
            .attr("subject", group.subject.as_str())
            .attr("addressing_mode", "lid")
            .attr("creation", created.as_str())
            .attr("s_t", created.as_str())
            .attr("size", members.len().to_string());
        if let Some(creator) = members.first() {
            node = node
                .attr("creator", Jid::lid(creator.lid.clone()))
                .attr("creator_pn", Jid::pn(creator.phone.clone()))
                .attr("s_o", Jid::lid(creator.lid.clone()))
                .attr("s_o_pn", Jid::pn(creator.phone.clone()));
        }
        node.children(participants.collect::<Vec<_>>()).build()
    }
}

/// Eighteen digits starting `120363`, as WhatsApp's group ids look today
/// (whatsapp-rust's own tests use `120363000000000099@g.us` and the like,
/// `features/groups.rs`).
fn new_group_id() -> String {
    let n: u64 = rand::random_range(0..1_000_000_000_000);
    format!("120363{n:012}")
}
