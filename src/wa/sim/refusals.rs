//! Numbers the simulated network refuses with WhatsApp's error 463 (the
//! block on messaging new contacts), as a test told it, with when the
//! block it reports ends. Kept in `sim-refusals.json` in the instance's
//! folder, so whichever gateway process runs the instance sees them.

use crate::session_dir::private_files;
use std::collections::BTreeMap;
use std::path::Path;

const FILE: &str = "sim-refusals.json";

/// Recipient (E.164) → when the reported block ends (ms since the epoch;
/// None: the network does not say).
pub type Refusals = BTreeMap<String, Option<i64>>;

pub fn load(dir: &Path) -> Refusals {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or_default()
}

/// Refuses sends to `to` from now on (None: no longer).
pub fn set(dir: &Path, to: &str, until_ms: Option<Option<i64>>) -> std::io::Result<()> {
    let mut refusals = load(dir);
    match until_ms {
        Some(until) => refusals.insert(to.to_owned(), until),
        None => refusals.remove(to),
    };
    private_files::create_dir_all(dir)?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    private_files::write(&tmp, &serde_json::to_vec(&refusals)?)?;
    std::fs::rename(tmp, dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_kept_until_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), "+15550000003", Some(Some(99))).unwrap();
        set(dir.path(), "+15550000004", Some(None)).unwrap();
        assert_eq!(load(dir.path()).get("+15550000003"), Some(&Some(99)));
        set(dir.path(), "+15550000003", None).unwrap();
        assert_eq!(load(dir.path()).len(), 1);
    }
}
