//! Inbound media the gateway downloaded from WhatsApp, kept under
//! SESSION_DIR/media and served at `/media/<name>` so GHL can fetch it.
//! Names are random (unguessable), which is what guards the files.

use bytes::Bytes;
use std::path::PathBuf;

pub struct MediaStore {
    dir: PathBuf,
    /// The gateway's public URL, which the links start with.
    base_url: String,
}

impl MediaStore {
    pub fn new(dir: PathBuf, base_url: String) -> Self {
        Self { dir, base_url }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Saves the bytes and returns the URL they are served at.
    pub async fn save(&self, bytes: Bytes, mime_type: Option<&str>) -> std::io::Result<String> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), extension_for(mime_type));
        let tmp = self.dir.join(format!("{name}.part"));
        tokio::fs::write(&tmp, &bytes).await?;
        tokio::fs::rename(&tmp, self.dir.join(&name)).await?;
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
        assert_eq!(
            std::fs::read(dir.path().join("media").join(name)).unwrap(),
            b"png"
        );
    }
}
