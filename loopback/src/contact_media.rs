//! The media a simulated contact decrypts: a voice note's or other audio's
//! fields, and the files of images, videos and documents, which its client
//! downloads from the server's media host and decrypts (`Client::download`
//! checks the encrypted file's hash and MAC, and derives the keys from the
//! media type: a file sent under the wrong type does not open).

use crate::Contact;
use anyhow::{Context, Result};
use waproto::whatsapp as wa;
use whatsapp_rust::download::Downloadable;

/// A voice note or other audio, as the contact's client decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    /// The voice-note flag (`AudioMessage.ptt`).
    pub ptt: bool,
    pub seconds: u32,
    pub waveform: Vec<u8>,
    pub mimetype: String,
}

impl Audio {
    pub(crate) fn read(base: &wa::Message) -> Option<Self> {
        let audio = base.audio_message.as_option()?;
        Some(Self {
            ptt: audio.ptt.unwrap_or(false),
            seconds: audio.seconds.unwrap_or(0),
            waveform: audio.waveform.clone().unwrap_or_default(),
            mimetype: audio.mimetype.clone().unwrap_or_default(),
        })
    }
}

/// What kind of message carried a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Image,
    Video,
    Document,
}

/// A file sent as an image, a video or a document, as the contact's client
/// decoded it; the file itself is fetched with [`Contact::download`].
#[derive(Debug, Clone)]
pub struct File {
    pub kind: FileKind,
    pub mimetype: String,
    pub caption: Option<String>,
    /// A document's shown name.
    pub file_name: Option<String>,
    /// What the client downloads and decrypts.
    sealed: Sealed,
}

#[derive(Debug, Clone)]
enum Sealed {
    Image(Box<wa::message::ImageMessage>),
    Video(Box<wa::message::VideoMessage>),
    Document(Box<wa::message::DocumentMessage>),
}

impl File {
    pub(crate) fn read(base: &wa::Message) -> Option<Self> {
        if let Some(image) = base.image_message.as_option() {
            let sealed = Sealed::Image(Box::new(image.clone()));
            return Some(Self::of(
                FileKind::Image,
                &image.mimetype,
                &image.caption,
                None,
                sealed,
            ));
        }
        if let Some(video) = base.video_message.as_option() {
            let sealed = Sealed::Video(Box::new(video.clone()));
            return Some(Self::of(
                FileKind::Video,
                &video.mimetype,
                &video.caption,
                None,
                sealed,
            ));
        }
        let document = base.document_message.as_option()?;
        let name = document.file_name.clone();
        let sealed = Sealed::Document(Box::new(document.clone()));
        Some(Self::of(
            FileKind::Document,
            &document.mimetype,
            &document.caption,
            name,
            sealed,
        ))
    }

    fn of(
        kind: FileKind,
        mimetype: &Option<String>,
        caption: &Option<String>,
        file_name: Option<String>,
        sealed: Sealed,
    ) -> Self {
        Self {
            kind,
            mimetype: mimetype.clone().unwrap_or_default(),
            caption: caption.clone(),
            file_name,
            sealed,
        }
    }

    fn downloadable(&self) -> &dyn Downloadable {
        match &self.sealed {
            Sealed::Image(message) => &**message,
            Sealed::Video(message) => &**message,
            Sealed::Document(message) => &**message,
        }
    }
}

impl Contact {
    /// Downloads and decrypts the file of the message `id` (an image, a
    /// video or a document).
    pub async fn download(&self, id: &str) -> Result<Vec<u8>> {
        let file = self
            .received()
            .into_iter()
            .find(|m| m.id == id)
            .and_then(|m| m.file)
            .with_context(|| format!("the contact has no file in message {id}"))?;
        self.client.download(file.downloadable()).await
    }
}
