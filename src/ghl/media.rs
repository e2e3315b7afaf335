//! Inbound media made ready for GHL's upload, which takes only JPG, PNG,
//! MP4, MPEG, MP3, WAV, PDF, DOC(X), TXT, ZIP and RAR: such files are read
//! (from the gateway's own media store, or fetched under the media
//! policy), WebP images (WhatsApp's stickers) are converted to PNG, and
//! anything else (voice notes, for one) is sent as a link instead.

use crate::inbound::media_store::MediaStore;
use crate::wa::media::MediaFetcher;
use bytes::Bytes;
use std::sync::Arc;

/// The MIME types GHL's upload takes.
const UPLOADABLE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "video/mp4",
    "video/mpeg",
    "audio/mpeg",
    "audio/mp3",
    "audio/wav",
    "audio/x-wav",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
    "application/zip",
    "application/vnd.rar",
    "application/x-rar-compressed",
];

/// A media file ready for GHL, or the link to use instead.
pub enum Prepared {
    Upload { bytes: Bytes, mime: String },
    Link,
}

pub struct MediaFiles {
    pub store: Arc<MediaStore>,
    pub fetcher: MediaFetcher,
}

impl MediaFiles {
    /// The file as GHL will take it, converted when that is possible.
    pub async fn prepare(&self, url: &str, mime: Option<&str>) -> Prepared {
        let mime = essence(mime.unwrap_or(""));
        let convertible = mime == "image/webp";
        if !UPLOADABLE.contains(&mime.as_str()) && !convertible {
            return Prepared::Link;
        }
        let bytes = match self.store.read_own(url).await {
            Some(bytes) => bytes,
            None => match self.fetcher.fetch(url).await {
                Ok(fetched) => fetched.bytes,
                Err(e) => {
                    tracing::warn!(error = %e, "could not fetch inbound media for GHL; sending a link");
                    return Prepared::Link;
                }
            },
        };
        if !convertible {
            return Prepared::Upload { bytes, mime };
        }
        match webp_to_png(&bytes) {
            Some(png) => Prepared::Upload {
                bytes: png,
                mime: "image/png".into(),
            },
            None => Prepared::Link,
        }
    }
}

/// A MIME type without parameters, lower-case.
fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn webp_to_png(bytes: &[u8]) -> Option<Bytes> {
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).ok()?;
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).ok()?;
    Some(Bytes::from(png.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webp_images_become_png() {
        let mut webp = std::io::Cursor::new(Vec::new());
        image::RgbaImage::new(2, 2)
            .write_to(&mut webp, image::ImageFormat::WebP)
            .unwrap();
        let png = webp_to_png(webp.get_ref()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        assert!(webp_to_png(b"not an image").is_none());
    }
}
