//! Who a message goes to: a phone number, or a WhatsApp group by its id
//! (`120363041234567890@g.us`, or the older `<creator digits>-<unix time>@g.us`
//! that groups made before 2021 keep; whatsapp-rust's `Jid::group` takes the
//! part before `@`). Stored as the E.164 number or the group id.

use super::Phone;
use serde::{Deserialize, Serialize};
use std::fmt;

const GROUP_SERVER: &str = "@g.us";

/// A WhatsApp group's id, `...@g.us`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a WhatsApp group id (digits, or digits-digits, then @g.us)")]
pub struct InvalidGroupId(pub String);

impl GroupId {
    pub fn parse(raw: &str) -> Result<Self, InvalidGroupId> {
        let raw = raw.trim();
        let invalid = || InvalidGroupId(raw.chars().take(60).collect());
        let user = raw.strip_suffix(GROUP_SERVER).ok_or_else(invalid)?;
        let mut parts = user.split('-');
        let well_formed = user.len() <= 40
            && parts.clone().count() <= 2
            && parts.all(|p| (5..=30).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@g.us`.
    pub fn user(&self) -> &str {
        self.0.trim_end_matches(GROUP_SERVER)
    }

    /// Whether a stored or typed recipient names a group rather than a number.
    pub fn looks_like(raw: &str) -> bool {
        raw.trim().ends_with(GROUP_SERVER)
    }
}

impl TryFrom<String> for GroupId {
    type Error = InvalidGroupId;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<GroupId> for String {
    fn from(id: GroupId) -> String {
        id.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Phone(Phone),
    Group(GroupId),
}

impl Recipient {
    /// As stored: the E.164 number or the group id.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(phone) => phone.e164(),
            Self::Group(group) => group.as_str(),
        }
    }

    /// A stored recipient read back.
    pub fn from_stored(stored: &str) -> Option<Self> {
        if GroupId::looks_like(stored) {
            return GroupId::parse(stored).ok().map(Self::Group);
        }
        Phone::from_whatsapp_digits(stored.trim_start_matches('+')).map(Self::Phone)
    }

    pub fn phone(&self) -> Option<&Phone> {
        match self {
            Self::Phone(phone) => Some(phone),
            Self::Group(_) => None,
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_old_and_new_parse_and_others_do_not() {
        let new = GroupId::parse(" 120363041234567890@g.us ").unwrap();
        assert_eq!(
            (new.as_str(), new.user()),
            ("120363041234567890@g.us", "120363041234567890")
        );
        assert!(GroupId::parse("5511999999999-1500000000@g.us").is_ok());
        for bad in [
            "120363041234567890",
            "120363041234567890@s.whatsapp.net",
            "abc@g.us",
            "@g.us",
            "1-2-3@g.us",
            "12345-@g.us",
            "120363041234567890@g.us.evil",
        ] {
            assert!(GroupId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_recipients_come_back_as_numbers_or_groups() {
        let group = Recipient::from_stored("120363041234567890@g.us").unwrap();
        assert!(matches!(&group, Recipient::Group(g) if g.user() == "120363041234567890"));
        assert_eq!(group.phone(), None);
        let phone = Recipient::from_stored("+5511999999999").unwrap();
        assert_eq!(phone.as_str(), "+5511999999999");
        assert!(Recipient::from_stored("nonsense").is_none());
        let json = serde_json::to_string(&GroupId::parse("120363041234567890@g.us").unwrap()).unwrap();
        assert_eq!(json, r#""120363041234567890@g.us""#);
        assert!(serde_json::from_str::<GroupId>(r#""x@g.us""#).is_err());
    }
}
