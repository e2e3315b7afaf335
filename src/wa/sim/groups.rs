//! The groups a simulated number is in, kept in `sim-groups.json` in the
//! instance's folder (so whichever gateway process runs the instance sees
//! them): each group's subject and members. Tests make them through
//! `POST /api/sim/{id}/groups`; the session lists them, sends to them and
//! names them on their members' messages.

use super::json_file;
use crate::domain::GroupId;
use crate::wa::GroupSummary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

const FILE: &str = "sim-groups.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimGroup {
    pub subject: String,
    /// Members besides the instance's own number, E.164.
    pub members: Vec<String>,
}

pub type Groups = BTreeMap<GroupId, SimGroup>;

pub fn load(dir: &Path) -> Groups {
    json_file::load(dir, FILE)
}

/// Adds a group (under `id`, or a fresh id shaped like WhatsApp's) and
/// returns its id.
pub fn add(dir: &Path, id: Option<GroupId>, group: SimGroup) -> std::io::Result<GroupId> {
    let id = id.unwrap_or_else(fresh_id);
    let mut groups = load(dir);
    groups.insert(id.clone(), group);
    json_file::save(dir, FILE, &groups)?;
    Ok(id)
}

/// What the group list shows: the size counts the instance's own number.
pub fn summaries(groups: &Groups) -> Vec<GroupSummary> {
    let summary = |(id, group): (&GroupId, &SimGroup)| GroupSummary {
        id: id.clone(),
        subject: group.subject.clone(),
        size: group.members.len() + 1,
    };
    groups.iter().map(summary).collect()
}

/// `120363` and 12 random digits, as groups made since 2021 are named.
fn fresh_id() -> GroupId {
    let digits: u64 = rand::random_range(100_000_000_000..1_000_000_000_000);
    GroupId::parse(&format!("120363{digits}@g.us")).expect("a well-formed group id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_kept_and_listed_with_their_size() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
        let group = SimGroup {
            subject: "Sales team".into(),
            members: vec!["+5511999999999".into(), "+5511888888888".into()],
        };
        let id = add(dir.path(), None, group).unwrap();
        assert!(id.user().starts_with("120363"), "{id}");
        let listed = summaries(&load(dir.path()));
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (&listed[0].id, listed[0].subject.as_str(), listed[0].size),
            (&id, "Sales team", 3)
        );
    }
}
