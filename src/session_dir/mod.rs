//! What SESSION_DIR holds, in two namespaces that cannot meet: the
//! gateway's own files at the top (`wagate.db` with its `-wal`/`-shm`,
//! `api-key`, and `media/`, the one folder served without the key), and
//! one folder per instance under `instances/<id>/` (WhatsApp's auth state,
//! the sim's link). An instance id is never a name at the top, so no id can
//! make an instance's files part of a served or gateway-owned path.
//! Versions before this split kept instance folders at the top; `migrate`
//! moves them once.

pub mod api_key;
mod migrate;
pub mod private_files;

pub use migrate::move_old_instance_folders;

use std::path::{Path, PathBuf};

/// The folder holding one folder per instance.
pub fn instances_dir(root: &Path) -> PathBuf {
    root.join("instances")
}

/// Inbound media, served at `/media/<name>` without the key.
pub fn media_dir(root: &Path) -> PathBuf {
    root.join("media")
}

/// The embedded store's database file.
pub fn store_file(root: &Path) -> PathBuf {
    root.join("wagate.db")
}

/// Creates SESSION_DIR and its folders (0700) and makes private what an
/// older version, or a loose umask, left readable to others.
pub fn prepare(root: &Path) -> std::io::Result<()> {
    for dir in [instances_dir(root), media_dir(root)] {
        crate::session_dir::private_files::create_dir_all(&dir)?;
    }
    crate::session_dir::private_files::tighten(root);
    Ok(())
}
