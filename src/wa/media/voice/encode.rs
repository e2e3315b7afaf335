//! Encoding 48 kHz mono samples with libopus into an Ogg Opus file as RFC
//! 7845 lays it out: an identification header (OpusHead) alone on the
//! first page, a comment header (OpusTags) on the next, then 20 ms audio
//! packets whose granule positions count 48 kHz samples from the start,
//! pre-skip included, and end at the true length.

use super::{VoiceError, VOICE_RATE};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// 20 ms at 48 kHz: the frame WhatsApp's own recorder uses.
const FRAME: usize = 960;
/// Voice-note quality: speech at 32 kbit/s, about 240 kB a minute.
const BITRATE: i32 = 32_000;
/// Packets per Ogg page: one second of audio.
const PACKETS_PER_PAGE: u64 = 50;
/// The largest packet libopus is asked to fit (its own recommendation).
const MAX_PACKET: usize = 4_000;
const SERIAL: u32 = 0x7761_6761; // "waga"
const VENDOR: &[u8] = b"wagate";

pub(super) struct OggOpusWriter {
    encoder: opus::Encoder,
    ogg: PacketWriter<'static, Vec<u8>>,
    pre_skip: u16,
    frame: Vec<f32>,
    samples: u64,
    packets: u64,
}

impl OggOpusWriter {
    pub(super) fn new() -> Result<Self, VoiceError> {
        let mut encoder = opus::Encoder::new(VOICE_RATE, opus::Channels::Mono, opus::Application::Voip)
            .map_err(encode_error)?;
        encoder
            .set_bitrate(opus::Bitrate::Bits(BITRATE))
            .map_err(encode_error)?;
        let pre_skip = encoder.get_lookahead().map_err(encode_error)?;
        let pre_skip = u16::try_from(pre_skip).map_err(|_| VoiceError::Encode("lookahead".into()))?;
        let mut ogg = PacketWriter::new(Vec::new());
        write(&mut ogg, opus_head(pre_skip), PacketWriteEndInfo::EndPage, 0)?;
        write(&mut ogg, opus_tags(), PacketWriteEndInfo::EndPage, 0)?;
        Ok(Self {
            encoder,
            ogg,
            pre_skip,
            frame: Vec::with_capacity(FRAME),
            samples: 0,
            packets: 0,
        })
    }

    /// Samples taken so far.
    pub(super) fn samples(&self) -> u64 {
        self.samples
    }

    pub(super) fn push(&mut self, samples: &[f32]) -> Result<(), VoiceError> {
        self.samples += samples.len() as u64;
        for &sample in samples {
            self.frame.push(sample);
            if self.frame.len() == FRAME {
                self.encode_frame(false)?;
            }
        }
        Ok(())
    }

    /// Encodes the last frame (padded with silence, which the final granule
    /// position cuts off again) and the encoder's lookahead, and gives the file.
    pub(super) fn finish(mut self) -> Result<Vec<u8>, VoiceError> {
        let lookahead_frames = usize::from(self.pre_skip).div_ceil(FRAME);
        for _ in 0..lookahead_frames {
            self.frame.resize(FRAME, 0.0);
            self.encode_frame(false)?;
        }
        self.frame.resize(FRAME, 0.0);
        self.encode_frame(true)?;
        Ok(self.ogg.into_inner())
    }

    fn encode_frame(&mut self, last: bool) -> Result<(), VoiceError> {
        let mut packet = vec![0u8; MAX_PACKET];
        let size = self
            .encoder
            .encode_float(&self.frame, &mut packet)
            .map_err(encode_error)?;
        packet.truncate(size);
        self.frame.clear();
        self.packets += 1;
        let granule = (self.packets * FRAME as u64).min(self.samples + u64::from(self.pre_skip));
        let end = if last {
            PacketWriteEndInfo::EndStream
        } else if self.packets.is_multiple_of(PACKETS_PER_PAGE) {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        write(&mut self.ogg, packet, end, granule)
    }
}

fn write(
    ogg: &mut PacketWriter<'static, Vec<u8>>,
    packet: Vec<u8>,
    end: PacketWriteEndInfo,
    granule: u64,
) -> Result<(), VoiceError> {
    ogg.write_packet(packet, SERIAL, end, granule)
        .map_err(|e| VoiceError::Encode(format!("ogg: {e}")))
}

/// RFC 7845 section 5.1: version 1, one channel, the pre-skip, the input
/// rate, no gain, mapping family 0.
fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(1);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&VOICE_RATE.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0);
    head
}

/// RFC 7845 section 5.2: the vendor string and no comments.
fn opus_tags() -> Vec<u8> {
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    tags.extend_from_slice(VENDOR);
    tags.extend_from_slice(&0u32.to_le_bytes());
    tags
}

fn encode_error(err: opus::Error) -> VoiceError {
    VoiceError::Encode(format!("opus: {err}"))
}
