//! Where the API key comes from: API_KEY when set; otherwise a random key
//! made on the first start and kept in SESSION_DIR/api-key (mode 0600).
//! The key itself is never logged, only the file's path.

use rand::distr::{Alphanumeric, SampleString};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn key_file(session_dir: &Path) -> PathBuf {
    session_dir.join("api-key")
}

/// The key to use, creating and storing one if none exists.
pub fn load_or_create(configured: Option<&str>, session_dir: &Path) -> std::io::Result<String> {
    if let Some(key) = configured {
        return Ok(key.trim().to_owned());
    }
    let path = key_file(session_dir);
    if let Some(existing) = read(&path)? {
        return Ok(existing);
    }
    let key = Alphanumeric.sample_string(&mut rand::rng(), 40);
    write_private(&path, &key)?;
    tracing::info!(path = %path.display(), "no API_KEY set: created a key; print it with `wagate api-key`");
    Ok(key)
}

/// The stored key, if the file exists.
pub fn read(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn write_private(path: &Path, key: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::session_dir::private_files::create_dir_all(dir)?;
    }
    let mut file = crate::session_dir::private_files::options()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.len(), 40);
        assert_eq!(load_or_create(None, dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_file(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_key_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load_or_create(Some(" secret-key "), dir.path()).unwrap(),
            "secret-key"
        );
        assert!(!key_file(dir.path()).exists());
    }
}
