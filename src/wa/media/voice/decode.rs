//! Reading an audio file into mono samples: symphonia finds the container
//! (mp3, wav, mp4/m4a, ogg, mkv/webm) from the bytes themselves and decodes
//! mp3, pcm, aac and vorbis; libopus decodes Opus, which symphonia 0.5
//! demuxes but cannot decode.

use super::VoiceError;
use std::io::Cursor;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions, CODEC_TYPE_NULL, CODEC_TYPE_OPUS};
use symphonia::core::errors::Error as ReadError;
use symphonia::core::formats::{FormatOptions, FormatReader, Packet};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Sample rates accepted from a file's header (a hostile header could ask
/// for a resampler of any size).
const RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;
/// The longest Opus packet, 120 ms at 48 kHz (RFC 6716 section 3.2.1).
const OPUS_MAX_PACKET_SAMPLES: usize = 5_760;

/// The container's own account of the encoder's priming and padding (an
/// mp3's LAME header, mp4's edit list) marks what to cut from packets.
const GAPLESS: FormatOptions = FormatOptions {
    enable_gapless: true,
    prebuild_seek_index: false,
    seek_index_fill_rate: 20,
};

/// What is known of a file besides its bytes: hints for the probe only.
#[derive(Debug, Clone, Default)]
pub struct Hint {
    /// The Content-Type the media server sent.
    pub mime: Option<String>,
    /// The extension of the URL's last path segment.
    pub extension: Option<String>,
}

/// A file being decoded, one packet at a time.
pub(super) struct Source {
    format: Box<dyn FormatReader>,
    track: u32,
    rate: u32,
    codec: Codec,
    /// Samples still to drop from the start: an Opus stream's pre-skip.
    skip: usize,
}

enum Codec {
    Symphonia(Box<dyn Decoder>),
    Opus(opus::Decoder),
}

impl Source {
    pub(super) fn open(bytes: Vec<u8>, hint: &Hint) -> Result<Self, VoiceError> {
        let stream = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
        let mut probe_hint = symphonia::core::probe::Hint::new();
        if let Some(mime) = &hint.mime {
            probe_hint.mime_type(mime.split(';').next().unwrap_or_default().trim());
        }
        if let Some(extension) = &hint.extension {
            probe_hint.with_extension(extension);
        }
        let probed = symphonia::default::get_probe()
            .format(&probe_hint, stream, &GAPLESS, &MetadataOptions::default())
            .map_err(|e| unreadable("unknown container", e))?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| VoiceError::Unreadable("no audio track".into()))?;
        let params = track.codec_params.clone();
        let mut skip = 0;
        let (codec, rate) = if params.codec == CODEC_TYPE_OPUS {
            skip = params.extra_data.as_deref().map_or(0, pre_skip);
            (Codec::Opus(opus_decoder()?), super::VOICE_RATE)
        } else {
            let decoder = symphonia::default::get_codecs()
                .make(&params, &DecoderOptions::default())
                .map_err(|e| unreadable("unsupported codec", e))?;
            (Codec::Symphonia(decoder), params.sample_rate.unwrap_or(0))
        };
        if !RATES.contains(&rate) {
            return Err(VoiceError::Unreadable(format!("sample rate {rate} Hz")));
        }
        Ok(Self {
            track: track.id,
            format,
            rate,
            codec,
            skip,
        })
    }

    /// The rate of the samples [`Self::next_chunk`] gives.
    pub(super) fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// The next packet's sound, mixed down to mono; `None` at the end.
    /// A packet that does not decode is skipped, as players do.
    pub(super) fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, VoiceError> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(packet) => packet,
                Err(ReadError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None)
                }
                Err(ReadError::ResetRequired) => return Ok(None),
                Err(e) => return Err(unreadable("broken stream", e)),
            };
            if packet.track_id() != self.track {
                continue;
            }
            let mono = match &mut self.codec {
                Codec::Symphonia(decoder) => decode_packet(decoder.as_mut(), &packet)?,
                Codec::Opus(decoder) => decode_opus(decoder, &packet),
            };
            let mut mono = trimmed(mono, &packet);
            let skipped = self.skip.min(mono.len());
            mono.drain(..skipped);
            self.skip -= skipped;
            if !mono.is_empty() {
                return Ok(Some(mono));
            }
        }
    }
}

fn decode_packet(decoder: &mut dyn Decoder, packet: &Packet) -> Result<Vec<f32>, VoiceError> {
    let decoded = match decoder.decode(packet) {
        Ok(decoded) => decoded,
        Err(ReadError::DecodeError(_)) | Err(ReadError::IoError(_)) => return Ok(Vec::new()),
        Err(e) => return Err(unreadable("cannot decode", e)),
    };
    let channels = decoded.spec().channels.count().max(1);
    let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
    buffer.copy_interleaved_ref(decoded);
    Ok(mix_down(buffer.samples(), channels))
}

/// The average of each frame's channels.
fn mix_down(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels == 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect()
}

/// libopus set up for one channel mixes a stereo stream down itself.
fn opus_decoder() -> Result<opus::Decoder, VoiceError> {
    opus::Decoder::new(super::VOICE_RATE, opus::Channels::Mono)
        .map_err(|e| VoiceError::Unreadable(format!("opus decoder: {e}")))
}

/// One Opus packet's samples.
fn decode_opus(decoder: &mut opus::Decoder, packet: &Packet) -> Vec<f32> {
    let mut out = vec![0.0f32; OPUS_MAX_PACKET_SAMPLES];
    let Ok(count) = decoder.decode_float(&packet.data, &mut out, false) else {
        return Vec::new();
    };
    out.truncate(count);
    out
}

/// The pre-skip of an Opus identification header (RFC 7845 section 5.1),
/// the codec's private data in Ogg and in Matroska/WebM alike: samples of
/// encoder priming that the decoder's output starts with.
fn pre_skip(head: &[u8]) -> usize {
    match head {
        [b'O', b'p', b'u', b's', b'H', b'e', b'a', b'd', _, _, low, high, ..] => {
            usize::from(u16::from_le_bytes([*low, *high]))
        }
        _ => 0,
    }
}

/// A packet's samples less the priming and end padding the container
/// marks (the gapless data above; for Ogg Opus, the final granule
/// position, RFC 7845 section 4.5).
fn trimmed(mut samples: Vec<f32>, packet: &Packet) -> Vec<f32> {
    let end = samples.len().saturating_sub(packet.trim_end as usize);
    let start = (packet.trim_start as usize).min(end);
    samples.truncate(end);
    samples.drain(..start);
    samples
}

fn unreadable(what: &str, err: ReadError) -> VoiceError {
    VoiceError::Unreadable(format!("{what}: {err}"))
}
