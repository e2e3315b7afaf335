//! The voice note's preview: WhatsApp's AudioMessage carries 64 levels,
//! 0 to 100, drawn as bars in the chat. Levels are kept per 20 ms window
//! while encoding (a few kB even for a long note), then averaged into 64
//! bars and scaled so the loudest is 100.

/// Bars in WhatsApp's preview.
pub const BARS: usize = 64;
/// 20 ms at 48 kHz.
const WINDOW: usize = 960;

/// The loudness (RMS) of each 20 ms window seen so far.
#[derive(Debug, Default)]
pub(super) struct Levels {
    windows: Vec<f32>,
    sum_squares: f64,
    in_window: usize,
}

impl Levels {
    pub(super) fn add(&mut self, samples: &[f32]) {
        for &sample in samples {
            self.sum_squares += f64::from(sample) * f64::from(sample);
            self.in_window += 1;
            if self.in_window == WINDOW {
                self.close_window();
            }
        }
    }

    fn close_window(&mut self) {
        let rms = (self.sum_squares / self.in_window as f64).sqrt();
        self.windows.push(rms as f32);
        self.sum_squares = 0.0;
        self.in_window = 0;
    }

    /// 64 bars, 0..=100; all 0 for silence.
    pub(super) fn waveform(mut self) -> Vec<u8> {
        if self.in_window > 0 {
            self.close_window();
        }
        let count = self.windows.len();
        if count == 0 {
            return vec![0; BARS];
        }
        let bars: Vec<f32> = (0..BARS)
            .map(|bar| {
                let start = (bar * count / BARS).min(count - 1);
                let end = ((bar + 1) * count / BARS).clamp(start + 1, count);
                let slice = &self.windows[start..end];
                slice.iter().sum::<f32>() / slice.len() as f32
            })
            .collect();
        let loudest = bars.iter().copied().fold(0.0f32, f32::max);
        if loudest <= f32::EPSILON {
            return vec![0; BARS];
        }
        bars.iter()
            .map(|level| (level / loudest * 100.0).round().clamp(0.0, 100.0) as u8)
            .collect()
    }
}
