//! Voice notes: any common audio file (mp3, wav, m4a/aac, ogg with Vorbis
//! or Opus, webm with Opus) turned into what WhatsApp clients play as a
//! voice note: mono Ogg/Opus at 48 kHz, with its length in seconds and a
//! 64-value waveform. In-process and without ffmpeg: symphonia demuxes and
//! decodes, libopus decodes Opus and encodes, rubato resamples, the `ogg`
//! crate writes the pages. One step per file: `decode`, `resample`,
//! `encode`, `waveform`; `intake` checks a URL before a send is queued and
//! `fetch` runs the whole for a send.

mod decode;
mod encode;
mod fetch;
mod intake;
mod resample;
#[cfg(test)]
mod tests;
mod waveform;

pub use decode::Hint;
pub use fetch::{VoiceLimits, VoiceMaker};
pub use intake::check_voice_url;

use std::time::Duration;

/// The type of what the gateway sends as a voice note (whatsapp-rust's
/// default for audio, and what WhatsApp's own clients record).
pub const VOICE_MIME: &str = "audio/ogg; codecs=opus";

/// The sample rate of the note: Opus's own; every input is resampled to it.
pub const VOICE_RATE: u32 = 48_000;

/// A voice note ready to upload.
#[derive(Debug, Clone)]
pub struct VoiceNote {
    /// The Ogg/Opus file.
    pub ogg: Vec<u8>,
    /// The length of the audio (without the encoder's padding).
    pub duration: Duration,
    /// 64 levels, 0..=100, over the note's length (WhatsApp's preview).
    pub waveform: Vec<u8>,
}

/// Why an audio file cannot become a voice note. Every one is final: the
/// same bytes will fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoiceError {
    #[error("the audio file could not be read ({0}); voice notes take mp3, wav, m4a/aac, ogg or webm")]
    Unreadable(String),
    #[error("the audio is longer than the voice-note limit of {limit} seconds")]
    TooLong { limit: u32 },
    #[error("the audio file holds no sound")]
    Empty,
    #[error("encoding the voice note failed: {0}")]
    Encode(String),
}

impl VoiceNote {
    /// Decodes `bytes` (`hint`: the served Content-Type and the URL's
    /// extension, hints only: the content decides) and encodes the
    /// note, refusing audio longer than `max_seconds`. CPU-bound: call it
    /// off the async runtime (see [`VoiceMaker`]).
    pub fn transcode(bytes: Vec<u8>, hint: &Hint, max_seconds: u32) -> Result<Self, VoiceError> {
        let mut source = decode::Source::open(bytes, hint)?;
        let mut resampler = resample::To48k::new(source.sample_rate())?;
        let mut encoder = encode::OggOpusWriter::new()?;
        let mut levels = waveform::Levels::default();
        let limit = u64::from(max_seconds) * u64::from(VOICE_RATE);
        let mut feed = |samples: Vec<f32>| -> Result<(), VoiceError> {
            levels.add(&samples);
            encoder.push(&samples)?;
            if encoder.samples() > limit {
                return Err(VoiceError::TooLong { limit: max_seconds });
            }
            Ok(())
        };
        while let Some(chunk) = source.next_chunk()? {
            feed(resampler.push(&chunk)?)?;
        }
        feed(resampler.finish()?)?;
        if encoder.samples() == 0 {
            return Err(VoiceError::Empty);
        }
        let samples = encoder.samples();
        let ogg = encoder.finish()?;
        Ok(Self {
            ogg,
            duration: Duration::from_secs_f64(samples as f64 / f64::from(VOICE_RATE)),
            waveform: levels.waveform(),
        })
    }

    /// The length WhatsApp shows: whole seconds, rounded, at least 1.
    pub fn seconds(&self) -> u32 {
        (self.duration.as_secs_f64().round() as u32).max(1)
    }
}
