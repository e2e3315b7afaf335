//! The simulated network's small JSON files in an instance's folder (its
//! link, its groups, the numbers a test singled out): read whole, with a
//! missing or unreadable file read as empty, and replaced whole through a
//! private temporary file, so a reader in another process never sees half
//! of one.

use crate::session_dir::private_files;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// The value in `dir/name`, or the default when there is none.
pub fn load<T: DeserializeOwned + Default>(dir: &Path, name: &str) -> T {
    std::fs::read(dir.join(name))
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or_default()
}

/// Replaces `dir/name` with `value`, creating the folder when needed.
pub fn save<T: Serialize>(dir: &Path, name: &str, value: &T) -> std::io::Result<()> {
    private_files::create_dir_all(dir)?;
    let tmp = dir.join(format!("{name}.tmp"));
    private_files::write(&tmp, &serde_json::to_vec(value)?)?;
    std::fs::rename(tmp, dir.join(name))
}
