//! Numbers a test singled out on the simulated network, kept in files in
//! the instance's folder so whichever gateway process runs the instance
//! sees them: those refused with WhatsApp's error 463 (the block on
//! messaging new contacts, with when the block it reports ends), and
//! those that are not on WhatsApp at all.

use super::json_file;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub enum List {
    /// Sends to them get a 463; the value is the reported block's end.
    Refused,
    /// Not on WhatsApp: lookups say so and sends fail for good.
    Unregistered,
}

impl List {
    fn file(self) -> &'static str {
        match self {
            Self::Refused => "sim-refusals.json",
            Self::Unregistered => "sim-unregistered.json",
        }
    }
}

/// Number (E.164) → a time that goes with it (ms since the epoch), if any.
pub type Numbers = BTreeMap<String, Option<i64>>;

pub fn load(dir: &Path, list: List) -> Numbers {
    json_file::load(dir, list.file())
}

/// Puts `number` on the list with its time (`Some`), or takes it off (`None`).
pub fn set(dir: &Path, list: List, number: &str, entry: Option<Option<i64>>) -> std::io::Result<()> {
    let mut numbers = load(dir, list);
    match entry {
        Some(at) => numbers.insert(number.to_owned(), at),
        None => numbers.remove(number),
    };
    json_file::save(dir, list.file(), &numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_kept_until_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), List::Refused, "+15550000003", Some(Some(99))).unwrap();
        set(dir.path(), List::Refused, "+15550000004", Some(None)).unwrap();
        assert_eq!(
            load(dir.path(), List::Refused).get("+15550000003"),
            Some(&Some(99))
        );
        set(dir.path(), List::Refused, "+15550000003", None).unwrap();
        assert_eq!(load(dir.path(), List::Refused).len(), 1);
        assert!(load(dir.path(), List::Unregistered).is_empty(), "lists are apart");
    }
}
