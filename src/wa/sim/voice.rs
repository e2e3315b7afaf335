//! Voice notes on the simulated network: the media is fetched and
//! transcoded by the same code as on the real backend (so a file that
//! cannot be decoded fails the send the same way), and what would be sent
//! is recorded on the entry instead of uploaded.

use super::record::VoiceEntry;
use crate::domain::MessageKind;
use crate::wa::media::voice::{VoiceMaker, VOICE_MIME};
use crate::wa::{OutgoingMessage, SendError};

/// The voice note a message carries; `None` for every other kind.
pub(super) async fn entry_for(
    maker: &VoiceMaker,
    message: &OutgoingMessage,
) -> Result<Option<VoiceEntry>, SendError> {
    if message.kind != MessageKind::Voice {
        return Ok(None);
    }
    let url = message
        .media_url
        .as_deref()
        .ok_or_else(|| SendError::Permanent("a voice message needs a media URL".into()))?;
    let note = maker.make(url).await?;
    Ok(Some(VoiceEntry {
        ptt: true,
        mimetype: VOICE_MIME.to_owned(),
        seconds: note.seconds(),
        duration_ms: note.duration.as_millis() as u64,
        waveform: note.waveform,
        bytes: note.ogg.len(),
    }))
}
