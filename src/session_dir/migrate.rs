//! The one-time move of instance folders from `SESSION_DIR/<id>` (where
//! versions before the split kept them) to `SESSION_DIR/instances/<id>`,
//! run at start before any session opens them. Each move is one rename,
//! which is atomic: processes sharing SESSION_DIR that start at once cannot
//! split a folder; one moves it and the others find it gone.
//!
//! An old folder whose name is one the gateway keeps at the top (`media`,
//! `instances`) was shared by the instance and the gateway's own files;
//! only the instance's files are moved out of it, one rename each.

use super::instances_dir;
use crate::domain::InstanceId;
use std::io;
use std::path::Path;

/// Names the gateway keeps at the top of SESSION_DIR as folders.
const GATEWAY_FOLDERS: [&str; 2] = ["media", "instances"];

/// How the names of an instance's own files start: the real backend's
/// `whatsapp.db` (and SQLite's files beside it), the sim's `sim-*` files.
const INSTANCE_FILE_PREFIXES: [&str; 2] = ["whatsapp.db", "sim-"];

/// Moves the old-layout folder of each of `ids` into `instances/`; logs
/// what it moved and what it had to leave.
pub fn move_old_instance_folders(root: &Path, ids: &[InstanceId]) -> io::Result<()> {
    for id in ids {
        let old = root.join(id.as_str());
        if !old.is_dir() {
            continue;
        }
        let new = instances_dir(root).join(id.as_str());
        if GATEWAY_FOLDERS.contains(&id.as_str()) {
            move_instance_files(&old, &new)?;
        } else if new.exists() {
            tracing::warn!(instance = %id, old = %old.display(), new = %new.display(),
                "an old-layout instance folder was left where it is: the instance already has a folder");
        } else if rename(&old, &new)? {
            tracing::info!(instance = %id, "moved the instance's folder to SESSION_DIR/instances/ (once)");
        }
    }
    Ok(())
}

/// Moves the instance's files out of a folder it shared with the gateway.
fn move_instance_files(old: &Path, new: &Path) -> io::Result<()> {
    let mut any = false;
    for entry in std::fs::read_dir(old)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_instance_file = INSTANCE_FILE_PREFIXES
            .iter()
            .any(|prefix| name.to_string_lossy().starts_with(prefix));
        if !is_instance_file || !entry.file_type()?.is_file() || new.join(&name).exists() {
            continue;
        }
        crate::session_dir::private_files::create_dir_all(new)?;
        any |= rename(&entry.path(), &new.join(&name))?;
    }
    if any {
        tracing::info!(from = %old.display(), to = %new.display(), "moved an instance's files out of a gateway folder");
    }
    Ok(())
}

/// Renames; false when another process moved it first.
fn rename(from: &Path, to: &Path) -> io::Result<bool> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot move {} to {}: {e}", from.display(), to.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> InstanceId {
        InstanceId::parse(raw).unwrap()
    }

    #[test]
    fn an_old_folder_is_moved_whole_and_only_once() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("wa-01")).unwrap();
        std::fs::write(root.path().join("wa-01").join("sim-link.json"), "{}").unwrap();
        std::fs::create_dir(root.path().join("backups")).unwrap();
        std::fs::create_dir(instances_dir(root.path())).unwrap();
        let ids = [id("wa-01"), id("wa-02")];
        move_old_instance_folders(root.path(), &ids).unwrap();
        move_old_instance_folders(root.path(), &ids).unwrap();
        let new = instances_dir(root.path()).join("wa-01");
        assert!(new.join("sim-link.json").is_file());
        assert!(!root.path().join("wa-01").exists());
        assert!(
            root.path().join("backups").is_dir(),
            "a folder of no instance stays"
        );
    }

    #[test]
    fn an_instance_named_like_a_gateway_folder_takes_only_its_own_files() {
        let root = tempfile::tempdir().unwrap();
        let media = root.path().join("media");
        std::fs::create_dir(&media).unwrap();
        for name in ["whatsapp.db", "whatsapp.db-wal", "sim-link.json", "0123abcd.jpg"] {
            std::fs::write(media.join(name), name).unwrap();
        }
        move_old_instance_folders(root.path(), &[id("media")]).unwrap();
        let new = instances_dir(root.path()).join("media");
        for name in ["whatsapp.db", "whatsapp.db-wal", "sim-link.json"] {
            assert!(new.join(name).is_file(), "{name} moved");
            assert!(!media.join(name).exists(), "{name} left the media folder");
        }
        assert!(media.join("0123abcd.jpg").is_file(), "media stays");
    }

    #[test]
    fn a_folder_is_left_when_the_instance_already_has_one() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("wa-01")).unwrap();
        std::fs::create_dir_all(instances_dir(root.path()).join("wa-01")).unwrap();
        move_old_instance_folders(root.path(), &[id("wa-01")]).unwrap();
        assert!(root.path().join("wa-01").is_dir());
    }
}
