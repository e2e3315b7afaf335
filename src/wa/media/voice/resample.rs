//! Bringing any rate to Opus's 48 kHz with rubato's FFT resampler (exact
//! for the fixed ratios audio files have), without its start-up delay and
//! with exactly as many samples out as the ratio gives.

use super::{VoiceError, VOICE_RATE};
use rubato::{FftFixedIn, Resampler};

/// Input frames per resampler call.
const CHUNK: usize = 1_024;

pub(super) struct To48k {
    fft: Option<FftFixedIn<f32>>,
    rate: u32,
    pending: Vec<f32>,
    /// Output samples still to drop: the resampler's delay.
    skip: usize,
    taken_in: u64,
    given_out: u64,
}

impl To48k {
    pub(super) fn new(rate: u32) -> Result<Self, VoiceError> {
        let fft = if rate == VOICE_RATE {
            None
        } else {
            let fft = FftFixedIn::new(rate as usize, VOICE_RATE as usize, CHUNK, 2, 1)
                .map_err(|e| VoiceError::Encode(format!("resampler: {e}")))?;
            Some(fft)
        };
        let skip = fft.as_ref().map_or(0, |f| f.output_delay());
        Ok(Self {
            fft,
            rate,
            pending: Vec::new(),
            skip,
            taken_in: 0,
            given_out: 0,
        })
    }

    /// Takes samples at the input rate; gives what is ready at 48 kHz.
    pub(super) fn push(&mut self, samples: &[f32]) -> Result<Vec<f32>, VoiceError> {
        self.taken_in += samples.len() as u64;
        let Some(fft) = self.fft.as_mut() else {
            self.given_out += samples.len() as u64;
            return Ok(samples.to_vec());
        };
        self.pending.extend_from_slice(samples);
        let mut out = Vec::new();
        while self.pending.len() >= fft.input_frames_next() {
            let take = fft.input_frames_next();
            let chunk = fft
                .process(&[&self.pending[..take]], None)
                .map_err(resample_error)?;
            self.pending.drain(..take);
            out.extend(chunk.into_iter().next().unwrap_or_default());
        }
        Ok(self.emit(out))
    }

    /// The rest, once the input has ended.
    pub(super) fn finish(&mut self) -> Result<Vec<f32>, VoiceError> {
        let wanted = self.expected() + self.skip as u64;
        let Some(fft) = self.fft.as_mut() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let pending = std::mem::take(&mut self.pending);
        let mut input = Some(pending.as_slice());
        while (self.given_out + out.len() as u64) < wanted {
            let chunk = match input.take() {
                Some(rest) => fft.process_partial(Some(&[rest]), None),
                None => fft.process_partial(None::<&[&[f32]]>, None),
            };
            let chunk = chunk.map_err(resample_error)?;
            out.extend(chunk.into_iter().next().unwrap_or_default());
        }
        let mut out = self.emit(out);
        let room = self.expected().saturating_sub(self.given_out - out.len() as u64);
        out.truncate(room as usize);
        Ok(out)
    }

    /// Output samples the input's length calls for.
    fn expected(&self) -> u64 {
        (self.taken_in * u64::from(VOICE_RATE) + u64::from(self.rate) / 2) / u64::from(self.rate)
    }

    /// Drops what is left of the delay, counts the rest out.
    fn emit(&mut self, mut out: Vec<f32>) -> Vec<f32> {
        let drop = self.skip.min(out.len());
        out.drain(..drop);
        self.skip -= drop;
        self.given_out += out.len() as u64;
        out
    }
}

fn resample_error(err: rubato::ResampleError) -> VoiceError {
    VoiceError::Encode(format!("resampler: {err}"))
}
