//! Voice-note transcoding: the CPU a minute of audio costs the gateway
//! (decode, mix down, resample to 48 kHz, Opus-encode, waveform), run on
//! one core as the gateway runs each transcode. Inputs: a WAV written here
//! (44.1 kHz stereo, a tone swelling and fading over noise, so the encoder
//! has sound to work on), and that WAV's own voice note fed back in: Opus
//! in Ogg at 48 kHz, as a browser or a phone records (libopus decodes it). The median of a few rounds is shown,
//! as CPU time of the transcoding thread (Linux's per-thread schedstat, in
//! ns), so other work on the machine does not count; wall time beside it.

use crate::cli::Args;
use crate::report::Row;
use std::f32::consts::PI;
use std::time::{Duration, Instant};
use wagate::wa::media::voice::{Hint, VoiceNote};

const ROUNDS: usize = 5;

pub async fn measure(args: &Args) -> anyhow::Result<Vec<Row>> {
    let seconds = if args.quick { 10 } else { args.voice_seconds };
    let wav = wav_44k_stereo(seconds);
    let opus = VoiceNote::transcode(wav.clone(), &Hint::default(), 7_200)?.ogg;
    let mut rows = Vec::new();
    for (input, bytes) in [("wav 44.1 kHz stereo", wav), ("ogg/opus 48 kHz mono", opus)] {
        rows.push(per_minute(input, bytes).await?);
    }
    Ok(rows)
}

async fn per_minute(input: &str, bytes: Vec<u8>) -> anyhow::Result<Row> {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut walls = Vec::with_capacity(ROUNDS);
    let mut audio = Duration::ZERO;
    let mut out_bytes = 0;
    for _ in 0..ROUNDS {
        let bytes = bytes.clone();
        let (took, wall, note) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let cpu_before = thread_cpu()?;
            let note = VoiceNote::transcode(bytes, &Hint::default(), 7_200);
            anyhow::Ok((thread_cpu()? - cpu_before, started.elapsed(), note))
        })
        .await??;
        let note = note?;
        walls.push(wall);
        audio = note.duration;
        out_bytes = note.ogg.len();
        times.push(took);
    }
    times.sort();
    walls.sort();
    let minutes = audio.as_secs_f64() / 60.0;
    let per_minute = |took: Duration| took.as_secs_f64() * 1000.0 / minutes;
    Ok(Row {
        measure: format!("voice note: transcode {input}"),
        backend: "-".into(),
        value: Some(format!("{:.0} ms CPU per audio minute", per_minute(times[ROUNDS / 2]))),
        note: format!(
            "{:.0} s of audio, median of {ROUNDS} (CPU {:.0}-{:.0}, wall {:.0} ms/min), one thread; {} kB of Ogg/Opus out",
            audio.as_secs_f64(),
            per_minute(times[0]),
            per_minute(times[ROUNDS - 1]),
            per_minute(walls[ROUNDS / 2]),
            out_bytes / 1024
        ),
        ..Row::default()
    })
}

/// CPU time of the calling thread so far: the first field of
/// /proc/thread-self/schedstat, in ns (Linux's scheduler statistics).
fn thread_cpu() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .ok_or_else(|| anyhow::anyhow!("empty schedstat"))?
        .parse()?;
    Ok(Duration::from_nanos(ns))
}

/// A 16-bit PCM WAV (RIFF) of `seconds` of 44.1 kHz stereo.
fn wav_44k_stereo(seconds: u32) -> Vec<u8> {
    const RATE: u32 = 44_100;
    let frames = RATE * seconds;
    let data_len = frames * 4;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for field in [
        16u32.to_le_bytes().as_slice(),
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
    ] {
        out.extend_from_slice(field);
    }
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let mut noise = 0x1234_5678u32;
    for i in 0..frames {
        let t = i as f32 / RATE as f32;
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        let hiss = (noise as f32 / u32::MAX as f32 - 0.5) * 0.1;
        let swell = (PI * t / 1.5).sin().abs();
        let sample = 0.6 * swell * (2.0 * PI * 220.0 * t).sin() + hiss;
        let value = ((sample * 30_000.0) as i16).to_le_bytes();
        out.extend_from_slice(&value);
        out.extend_from_slice(&value);
    }
    out
}
