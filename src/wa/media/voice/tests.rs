//! The transcoder on audio made here: WAV files written in the test, the
//! transcoder's own Ogg/Opus fed back in, and the small mp3 and webm
//! fixtures of tests/fixtures/voice (see its README for how they were
//! made). Each output is read back as Ogg and checked against RFC 7845.

use super::*;
use std::f32::consts::PI;

/// A 16-bit PCM WAV file (RIFF header as in the WAVE spec) of `samples`
/// frames of `channels` interleaved channels.
fn wav(rate: u32, channels: u16, samples: &[f32]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&((sample * 32_000.0) as i16).to_le_bytes());
    }
    out
}

/// A 440 Hz tone whose loudness swells and fades twice over its length.
fn swelling_tone(rate: u32, seconds: f32) -> Vec<f32> {
    let count = (rate as f32 * seconds) as usize;
    (0..count)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let envelope = (PI * 2.0 * t / seconds).sin().abs();
            0.8 * envelope * (2.0 * PI * 440.0 * t).sin()
        })
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/voice")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn transcode(bytes: Vec<u8>) -> Result<VoiceNote, VoiceError> {
    VoiceNote::transcode(bytes, &Hint::default(), 60)
}

/// The Ogg packets of `file`, in order.
fn ogg_packets(file: &[u8]) -> Vec<ogg::Packet> {
    let mut reader = ogg::PacketReader::new(std::io::Cursor::new(file));
    let mut packets = Vec::new();
    while let Some(packet) = reader.read_packet().expect("valid Ogg pages") {
        packets.push(packet);
    }
    packets
}

/// Checks the file is Ogg Opus (RFC 7845): OpusHead (version 1, one
/// channel, 48 kHz), OpusTags, then audio whose last granule position,
/// less the pre-skip, is the note's length. Gives that length in samples.
fn check_ogg_opus(note: &VoiceNote) -> u64 {
    let packets = ogg_packets(&note.ogg);
    let head = &packets[0].data;
    assert_eq!(&head[..8], b"OpusHead");
    assert_eq!(head[8], 1, "version");
    assert_eq!(head[9], 1, "mono");
    let pre_skip = u64::from(u16::from_le_bytes([head[10], head[11]]));
    assert_eq!(
        u32::from_le_bytes([head[12], head[13], head[14], head[15]]),
        48_000
    );
    assert!(packets[0].last_in_page(), "OpusHead is alone on its page");
    assert_eq!(&packets[1].data[..8], b"OpusTags");
    assert!(packets.len() > 3, "audio packets follow");
    let last = packets.last().unwrap();
    assert!(last.last_in_stream());
    let mut decoder = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
    let mut out = vec![0f32; 5760];
    for packet in &packets[2..] {
        assert_eq!(decoder.decode_float(&packet.data, &mut out, false).unwrap(), 960);
    }
    last.absgp_page() - pre_skip
}

fn assert_close(actual: Duration, expected_secs: f64, tolerance_ms: f64) {
    let diff = (actual.as_secs_f64() - expected_secs).abs() * 1000.0;
    assert!(
        diff <= tolerance_ms,
        "{actual:?} is not {expected_secs} s (±{tolerance_ms} ms)"
    );
}

fn assert_shaped(waveform: &[u8]) {
    assert_eq!(waveform.len(), 64);
    assert!(waveform.iter().all(|&v| v <= 100));
    assert_eq!(waveform.iter().copied().max(), Some(100));
    let distinct: std::collections::HashSet<_> = waveform.iter().collect();
    assert!(distinct.len() > 10, "{waveform:?}");
}

#[test]
fn a_wav_at_44_1_khz_becomes_a_mono_48_khz_ogg_opus_note_of_the_same_length() {
    let note = transcode(wav(44_100, 1, &swelling_tone(44_100, 2.5))).unwrap();
    let samples = check_ogg_opus(&note);
    assert_eq!(samples, 120_000, "2.5 s at 48 kHz");
    assert_close(note.duration, 2.5, 1.0);
    assert_eq!(note.seconds(), 3);
    assert_shaped(&note.waveform);
    // Loud at the swells (a quarter and three quarters in), quiet between.
    assert!(
        note.waveform[16] > 80 && note.waveform[48] > 80,
        "{:?}",
        note.waveform
    );
    assert!(
        note.waveform[0] < 20 && note.waveform[32] < 20,
        "{:?}",
        note.waveform
    );
}

#[test]
fn stereo_and_other_rates_are_mixed_down_and_resampled() {
    for rate in [8_000, 16_000, 22_050, 48_000] {
        let mono = swelling_tone(rate, 1.0);
        let stereo: Vec<f32> = mono.iter().flat_map(|s| [*s, *s]).collect();
        let note = transcode(wav(rate, 2, &stereo)).unwrap();
        assert_eq!(check_ogg_opus(&note), 48_000, "{rate} Hz");
        assert_shaped(&note.waveform);
    }
}

#[test]
fn an_ogg_opus_file_is_read_back_through_libopus() {
    let first = transcode(wav(16_000, 1, &swelling_tone(16_000, 1.5))).unwrap();
    let again = transcode(first.ogg.clone()).unwrap();
    assert_eq!(check_ogg_opus(&again), 72_000);
    assert_shaped(&again.waveform);
}

#[test]
fn the_mp3_and_webm_fixtures_are_transcoded_with_their_length() {
    for (name, seconds) in [("tone-2s.mp3", 2.0), ("tone-3s.webm", 3.0)] {
        let note = transcode(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_ogg_opus(&note);
        // What the containers say of priming and padding is followed
        // (LAME's header, OpusHead's pre-skip); WebM has no end trim, so
        // the last Opus packet's padding stays.
        assert_close(note.duration, seconds, 30.0);
        assert_shaped(&note.waveform);
    }
}

#[test]
fn silence_gives_a_flat_waveform_and_noise_is_refused() {
    let quiet = transcode(wav(48_000, 1, &vec![0.0; 48_000])).unwrap();
    assert_eq!(quiet.waveform, vec![0; 64]);
    let err = transcode(b"this is not audio at all, just some text".repeat(50)).unwrap_err();
    assert!(matches!(err, VoiceError::Unreadable(_)), "{err}");
    let empty = transcode(wav(48_000, 1, &[])).unwrap_err();
    assert_eq!(empty, VoiceError::Empty);
}

#[test]
fn audio_over_the_limit_is_refused() {
    let long = wav(8_000, 1, &swelling_tone(8_000, 3.0));
    let err = VoiceNote::transcode(long, &Hint::default(), 2).unwrap_err();
    assert_eq!(err, VoiceError::TooLong { limit: 2 });
}

#[test]
fn intake_refuses_only_extensions_that_cannot_be_read() {
    assert!(check_voice_url("https://x.test/a/voice.MP3?sig=1").is_ok());
    assert!(check_voice_url("https://x.test/rec.webm").is_ok());
    assert!(check_voice_url("https://x.test/media/12345").is_ok());
    assert!(check_voice_url("https://x.test/get.php?id=1").is_ok());
    let err = check_voice_url("https://x.test/photo.jpg").unwrap_err();
    assert!(err.contains(".jpg"), "{err}");
    assert!(check_voice_url("https://x.test/call.amr").is_err());
}
