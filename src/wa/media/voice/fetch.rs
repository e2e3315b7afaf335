//! A voice note for a send: the media URL fetched under the media policy,
//! then transcoded on the blocking pool (it is CPU work: about a third of
//! a second of one core per minute of audio, see docs/benchmarks.md), at
//! most one transcode per core at a time so that a burst of voice notes
//! cannot starve the rest.

use super::{intake, Hint, VoiceNote};
use crate::wa::media::MediaFetcher;
use crate::wa::SendError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bounds on a voice note beyond the media size limit.
#[derive(Debug, Clone, Copy)]
pub struct VoiceLimits {
    /// Longest audio accepted, in seconds (VOICE_MAX_SECONDS).
    pub max_seconds: u32,
}

/// Fetches and transcodes voice notes. Cheap to clone: clones share the
/// HTTP client and the transcode slots.
#[derive(Debug, Clone)]
pub struct VoiceMaker {
    fetcher: MediaFetcher,
    limits: VoiceLimits,
    slots: Arc<Semaphore>,
}

impl VoiceMaker {
    pub fn new(fetcher: MediaFetcher, limits: VoiceLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            fetcher,
            limits,
            slots: Arc::new(Semaphore::new(cores)),
        }
    }

    /// The note for `url`. An unreadable file, or one over a limit, is a
    /// permanent failure; a download that may pass later is transient.
    pub async fn make(&self, url: &str) -> Result<VoiceNote, SendError> {
        let fetched = self.fetcher.fetch(url).await.map_err(|e| e.into_send_error())?;
        let hint = Hint {
            mime: fetched.mime_type,
            extension: intake::extension_of(url),
        };
        let bytes = Vec::from(fetched.bytes);
        let max_seconds = self.limits.max_seconds;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the voice-note transcoder is closed".into()))?;
        tokio::task::spawn_blocking(move || VoiceNote::transcode(bytes, &hint, max_seconds))
            .await
            .map_err(|e| SendError::Transient(format!("the voice-note transcoder stopped: {e}")))?
            .map_err(|e| SendError::Permanent(format!("voice note refused: {e}")))
    }
}
