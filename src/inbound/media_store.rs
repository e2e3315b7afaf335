//! Inbound media the gateway downloaded from WhatsApp, kept under
//! SESSION_DIR/media (folder 0700, files 0600) and served at `/media/<name>` so GHL can fetch it.
//! Names are random (unguessable), which is what guards the files.

use crate::session_dir::private_files;
use bytes::Bytes;
use std::path::{Path, PathBuf};

pub struct MediaStore {
    dir: PathBuf,
    /// The gateway's public URL, which the links start with.
    base_url: String,
}

impl MediaStore {
    pub fn new(dir: PathBuf, base_url: String) -> Self {
        Self { dir, base_url }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves the bytes and returns the URL they are served at.
    pub async fn save(&self, bytes: Bytes, mime_type: Option<&str>) -> std::io::Result<String> {
        let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), extension_for(mime_type));
        let (dir, file) = (self.dir.clone(), name.clone());
        tokio::task::spawn_blocking(move || write_private(&dir, &file, &bytes))
            .await
            .map_err(std::io::Error::other)??;
        Ok(format!("{}/media/{name}", self.base_url))
    }

    /// The bytes behind a URL this store made, read from disk; `None` for
    /// any other URL (or a file that is gone).
    pub async fn read_own(&self, url: &str) -> Option<Bytes> {
        let name = url.strip_prefix(&self.base_url)?.strip_prefix("/media/")?;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return None;
        }
        tokio::fs::read(self.dir.join(name)).await.ok().map(Bytes::from)
    }
}

/// Writes the file (0600, in a 0700 folder) under a `.part` name first, so
/// that its link never serves half of it.
fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    private_files::create_dir_all(dir)?;
    let tmp = dir.join(format!("{name}.part"));
    private_files::write(&tmp, bytes)?;
    std::fs::rename(tmp, dir.join(name))
}

/// A file extension for a MIME type, so receivers see what the file is.
pub fn extension_for(mime_type: Option<&str>) -> &'static str {
    let essence = mime_type.unwrap_or("").split(';').next().unwrap_or("").trim();
    match essence {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_follow_the_mime_type() {
        assert_eq!(extension_for(Some("audio/ogg; codecs=opus")), "ogg");
        assert_eq!(extension_for(Some("image/jpeg")), "jpg");
        assert_eq!(extension_for(None), "bin");
    }

    #[tokio::test]
    async fn saved_media_gets_a_public_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::new(dir.path().join("media"), "https://gw.example".into());
        let url = store
            .save(Bytes::from_static(b"png"), Some("image/png"))
            .await
            .unwrap();
        let name = url.strip_prefix("https://gw.example/media/").unwrap();
        assert!(name.ends_with(".png"));
        let file = dir.path().join("media").join(name);
        assert_eq!(std::fs::read(&file).unwrap(), b"png");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&file), 0o600);
            assert_eq!(mode(&dir.path().join("media")), 0o700);
        }
    }
}
