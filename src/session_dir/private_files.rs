//! Everything under SESSION_DIR is the gateway user's alone: the API key,
//! the store, each instance's WhatsApp keys. Folders are made 0700 and
//! files 0600 with the mode given explicitly (a umask can only take bits
//! away from it, never add group or other ones), and [`tighten`] takes the
//! group and other bits off what an older version left readable.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Creates `dir` and every missing folder above it, each 0700.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)
}

/// Options that create files 0600 (an existing file keeps its mode).
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    options.mode(0o600);
    options
}

/// Writes `bytes` as the whole of `path`, creating it 0600.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?
        .write_all(bytes)
}

/// Creates an empty `path` 0600 unless it exists. SQLite gives the `-wal`
/// and `-shm` files it makes the database file's mode, so a database file
/// made here first keeps those private too.
pub fn create_if_missing(path: &Path) -> io::Result<()> {
    match options().write(true).create_new(true).open(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Takes the group and other bits off `root` and everything under it.
/// Symbolic links under it are left alone (and not followed); what cannot
/// be changed is logged and skipped.
pub fn tighten(root: &Path) {
    let Ok(root) = std::fs::canonicalize(root) else {
        return;
    };
    let mut pending = vec![root];
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        restrict(&path, &meta);
        if meta.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => pending.extend(entries.filter_map(Result::ok).map(|e| e.path())),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot list a folder to make it private")
                }
            }
        }
    }
}

#[cfg(unix)]
fn restrict(path: &Path, meta: &std::fs::Metadata) {
    let mode = meta.permissions().mode();
    if mode & 0o077 == 0 {
        return;
    }
    let private = std::fs::Permissions::from_mode(mode & !0o077);
    if let Err(e) = std::fs::set_permissions(path, private) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make a file private to the gateway's user");
    }
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _meta: &std::fs::Metadata) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        create_dir_all(&nested).unwrap();
        write(&nested.join("f"), b"x").unwrap();
        create_if_missing(&nested.join("db")).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&nested.join("f")), 0o600);
        assert_eq!(mode(&nested.join("db")), 0o600);
    }

    #[test]
    fn tighten_takes_group_and_other_bits_off_everything_but_links() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let file = sub.join("f");
        std::fs::write(&file, b"x").unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(outside.path(), sub.join("link")).unwrap();
        for (path, loose) in [(dir.path(), 0o755), (&sub, 0o775), (&file, 0o664)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(loose)).unwrap();
        }
        tighten(dir.path());
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(outside.path()), 0o644, "a link's target is not touched");
    }
}
