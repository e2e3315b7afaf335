//! Instance ids: the names the agency gives its linked WhatsApp numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of one linked WhatsApp number, e.g. `wa-01`. It is also a folder
/// name under SESSION_DIR, so it is restricted to a safe character set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct InstanceId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an instance id is 1 to 64 characters of letters, digits, '-' and '_' (got {0:?})")]
pub struct InvalidInstanceId(pub String);

impl InstanceId {
    pub fn parse(raw: &str) -> Result<Self, InvalidInstanceId> {
        let raw = raw.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(allowed) {
            return Err(InvalidInstanceId(raw.chars().take(80).collect()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for InstanceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        InstanceId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_accept_the_usual_names() {
        for ok in ["wa-01", "WA_2", "a", &"x".repeat(64)] {
            assert_eq!(InstanceId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn instance_ids_refuse_paths_and_junk() {
        for bad in ["", " ", "../etc", "a/b", "wa 01", "é", &"x".repeat(65)] {
            assert!(InstanceId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
