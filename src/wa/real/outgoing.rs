//! Outgoing messages on whatsapp-rust: building text and media messages
//! (media fetched by URL and uploaded to WhatsApp; voice notes transcoded
//! first), and sorting library errors into transient and permanent send
//! failures.

use crate::domain::MessageKind;
use crate::wa::media::voice::{VoiceMaker, VOICE_MIME};
use crate::wa::media::MediaFetcher;
use crate::wa::{OutgoingMessage, SendError};
use std::time::Duration;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::media as wa_media;
use whatsapp_rust::proto_helpers::MessageBuilderExt;
use whatsapp_rust::upload::UploadResponse;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, ErrorChainExt, UploadOptions};

const UPLOAD_TIMEOUT: Duration = Duration::from_secs(180);

/// The WhatsApp message for `message`; media is fetched and uploaded here.
pub(super) async fn build_message(
    client: &Client,
    fetcher: &MediaFetcher,
    voice: &VoiceMaker,
    message: &OutgoingMessage,
) -> Result<wa::Message, SendError> {
    let media_type = match message.kind {
        MessageKind::Text => return Ok(wa::Message::text(message.text.clone())),
        MessageKind::Voice => return voice_message(client, voice, message).await,
        MessageKind::Image => MediaType::Image,
        MessageKind::Video => MediaType::Video,
        MessageKind::Audio => MediaType::Audio,
        MessageKind::Document => MediaType::Document,
        other => {
            return Err(SendError::Permanent(format!(
                "sending {other} messages is not supported"
            )))
        }
    };
    let url = media_url(message)?;
    let fetched = fetcher.fetch(url).await.map_err(|e| e.into_send_error())?;
    let mimetype = usable_mime(message.kind, fetched.mime_type.as_deref())?;
    let upload = upload(client, Vec::from(fetched.bytes), media_type).await?;
    let caption = message.caption.clone().filter(|c| !c.is_empty());
    Ok(media_message(message.kind, upload, caption, mimetype, url))
}

fn media_url(message: &OutgoingMessage) -> Result<&str, SendError> {
    message
        .media_url
        .as_deref()
        .filter(|url| !url.trim().is_empty())
        .ok_or_else(|| SendError::Permanent(format!("a {} message needs a media URL", message.kind)))
}

async fn upload(client: &Client, bytes: Vec<u8>, media_type: MediaType) -> Result<UploadResponse, SendError> {
    tokio::time::timeout(
        UPLOAD_TIMEOUT,
        client.upload(bytes, media_type, UploadOptions::default()),
    )
    .await
    .map_err(|_| SendError::Transient("uploading the media to WhatsApp timed out".into()))?
    .map_err(upload_error)
}

/// A voice note: the audio transcoded to Ogg/Opus, uploaded as audio, and
/// sent as an AudioMessage with `ptt` set, its length in `seconds` and its
/// `waveform` (the fields WhatsApp's clients read to show a voice note;
/// whatsapp-rust 0.7's `media::AudioOptions`).
async fn voice_message(
    client: &Client,
    voice: &VoiceMaker,
    message: &OutgoingMessage,
) -> Result<wa::Message, SendError> {
    let note = voice.make(media_url(message)?).await?;
    let seconds = note.seconds();
    let upload = upload(client, note.ogg, MediaType::Audio).await?;
    Ok(wa_media::audio_message(
        upload,
        voice_options(seconds, note.waveform),
    ))
}

/// whatsapp-rust's audio message with these set is what it sends with
/// the stanza media type "ptt" (wacore's `media_type_from_message`).
fn voice_options(seconds: u32, waveform: Vec<u8>) -> wa_media::AudioOptions {
    wa_media::AudioOptions {
        mimetype: Some(VOICE_MIME.to_owned()),
        duration_seconds: Some(seconds),
        ptt: Some(true),
        waveform: Some(waveform),
        ..Default::default()
    }
}

/// The message for uploaded media of `kind`; audio carries no caption on
/// WhatsApp, and documents are named after the URL's last path segment.
fn media_message(
    kind: MessageKind,
    upload: UploadResponse,
    caption: Option<String>,
    mimetype: Option<String>,
    url: &str,
) -> wa::Message {
    match kind {
        MessageKind::Image => wa_media::image_message(
            upload,
            wa_media::ImageOptions {
                caption,
                mimetype,
                ..Default::default()
            },
        ),
        MessageKind::Video => wa_media::video_message(
            upload,
            wa_media::VideoOptions {
                caption,
                mimetype,
                ..Default::default()
            },
        ),
        MessageKind::Audio => wa_media::audio_message(
            upload,
            wa_media::AudioOptions {
                mimetype,
                ..Default::default()
            },
        ),
        _ => {
            let file_name = file_name_of(url);
            let options = wa_media::DocumentOptions {
                caption,
                mimetype,
                file_name,
                ..Default::default()
            };
            wa_media::document_message(upload, options)
        }
    }
}

/// The served type when it fits the kind; `None` lets whatsapp-rust pick its
/// default (e.g. `image/jpeg`). A web page where media was expected is refused.
fn usable_mime(kind: MessageKind, served: Option<&str>) -> Result<Option<String>, SendError> {
    let Some(served) = served else { return Ok(None) };
    let essence = served
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "text/html" && kind != MessageKind::Document {
        return Err(SendError::Permanent(format!(
            "the media URL returned a web page, not {}",
            kind.as_str()
        )));
    }
    let fits = match kind {
        MessageKind::Document => !essence.is_empty(),
        _ => essence.starts_with(&format!("{}/", kind.as_str())),
    };
    Ok(fits.then(|| served.trim().to_owned()))
}

/// The last path segment of the URL, as the document's shown file name.
fn file_name_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.rev().find(|s| !s.is_empty())?;
    Some(last.to_owned())
}

fn upload_error(err: whatsapp_rust::anyhow::Error) -> SendError {
    let cause: &(dyn std::error::Error + 'static) = err.as_ref();
    match cause.http_status() {
        Some(status) if (400..500).contains(&status) && status != 408 && status != 429 => {
            SendError::Permanent(format!("WhatsApp refused the media upload (HTTP {status})"))
        }
        _ => SendError::Transient(format!("uploading the media to WhatsApp failed: {err:#}")),
    }
}

/// Library send errors: a request WhatsApp can never accept, or a rejection
/// saying the target does not exist or is off limits, is permanent; anything
/// about the connection or the session is worth another try.
pub(super) fn send_error(err: whatsapp_rust::SendError) -> SendError {
    use whatsapp_rust::SendError as Lib;
    match &err {
        Lib::InvalidRequest(why) => SendError::Permanent(format!("WhatsApp cannot send this message: {why}")),
        Lib::NotLoggedIn => SendError::Transient("not logged in to WhatsApp".into()),
        _ => match err.server_rejection() {
            Some(r) if matches!(r.code, 403 | 404) => {
                SendError::Permanent(format!("WhatsApp refused the message ({}: {})", r.code, r.text))
            }
            _ => SendError::Transient(format!("sending through WhatsApp failed: {err}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_types_are_kept_only_when_they_fit() {
        let keep = |kind, served| usable_mime(kind, Some(served)).unwrap();
        assert_eq!(
            keep(MessageKind::Image, "image/png").as_deref(),
            Some("image/png")
        );
        assert_eq!(
            keep(MessageKind::Audio, "audio/ogg; codecs=opus").as_deref(),
            Some("audio/ogg; codecs=opus")
        );
        assert_eq!(keep(MessageKind::Image, "application/octet-stream"), None);
        assert_eq!(keep(MessageKind::Video, "image/gif"), None);
        assert_eq!(
            keep(MessageKind::Document, "application/pdf").as_deref(),
            Some("application/pdf")
        );
        assert_eq!(usable_mime(MessageKind::Image, None).unwrap(), None);
        let page = usable_mime(MessageKind::Image, Some("text/html; charset=utf-8")).unwrap_err();
        assert!(matches!(page, SendError::Permanent(_)));
    }

    #[test]
    fn a_voice_note_is_flagged_ptt_with_its_length_and_waveform() {
        let options = voice_options(7, vec![50; 64]);
        assert_eq!(options.ptt, Some(true));
        assert_eq!(options.duration_seconds, Some(7));
        assert_eq!(options.waveform.as_deref(), Some(&[50u8; 64][..]));
        assert_eq!(options.mimetype.as_deref(), Some("audio/ogg; codecs=opus"));
    }

    #[test]
    fn documents_are_named_after_the_url() {
        assert_eq!(
            file_name_of("https://x.example/files/report%202024.pdf?sig=1").as_deref(),
            Some("report%202024.pdf")
        );
        assert_eq!(file_name_of("https://x.example/a/b/").as_deref(), Some("b"));
        assert_eq!(file_name_of("https://x.example/"), None);
    }

    #[test]
    fn library_send_errors_are_sorted() {
        use whatsapp_rust::SendError as Lib;
        assert!(matches!(
            send_error(Lib::InvalidRequest("bad jid".into())),
            SendError::Permanent(_)
        ));
        assert!(matches!(send_error(Lib::NotLoggedIn), SendError::Transient(_)));
        let offline = Lib::Client(whatsapp_rust::ClientError::NotConnected);
        assert!(matches!(send_error(offline), SendError::Transient(_)));
        let timeout = Lib::Iq(whatsapp_rust::IqError::Timeout);
        assert!(matches!(send_error(timeout), SendError::Transient(_)));
    }

    #[test]
    fn media_failures_keep_their_class() {
        use crate::wa::media::MediaError;
        assert!(matches!(
            MediaError::Status(404).into_send_error(),
            SendError::Permanent(_)
        ));
        assert!(matches!(
            MediaError::Status(502).into_send_error(),
            SendError::Transient(_)
        ));
        assert!(matches!(
            MediaError::TooLarge { limit: 5 }.into_send_error(),
            SendError::Permanent(_)
        ));
    }
}
