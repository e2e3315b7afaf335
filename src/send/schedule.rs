//! The daily cap and the warm-up ramp. Time is cut into windows (a day
//! from 00:00 UTC unless CAP_WINDOW_MS shortens it for tests); each window
//! allows the instance up to its cap. A new number's cap starts at the
//! warm-up's first day and grows in even steps to the daily cap over the
//! warm-up's days, counted in windows from the instance's creation.

use super::settings::SendingSettings;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    length_ms: i64,
}

impl Windows {
    pub fn new(length: Duration) -> Self {
        Self {
            length_ms: (length.as_millis() as i64).max(1),
        }
    }

    /// The window `at_ms` falls in.
    pub fn index(&self, at_ms: i64) -> i64 {
        at_ms.div_euclid(self.length_ms)
    }

    /// When the window after the one of `at_ms` starts.
    pub fn next_start_ms(&self, at_ms: i64) -> i64 {
        (self.index(at_ms) + 1) * self.length_ms
    }

    /// Most sends allowed in the window of `now_ms` to an instance created
    /// at `created_at_ms`; None when there is no cap.
    pub fn cap(&self, settings: &SendingSettings, created_at_ms: i64, now_ms: i64) -> Option<u32> {
        let cap = settings.daily_cap;
        if cap == 0 {
            return None;
        }
        let warmup = settings.warmup;
        let age = (self.index(now_ms) - self.index(created_at_ms)).max(0);
        if warmup.days == 0 || age >= i64::from(warmup.days) || warmup.first_day >= cap {
            return Some(cap);
        }
        let step = u64::from(cap - warmup.first_day) * age as u64 / u64::from(warmup.days);
        Some(warmup.first_day + step as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::settings::Warmup;

    const DAY: i64 = 86_400_000;

    fn settings(daily_cap: u32, days: u32, first_day: u32) -> SendingSettings {
        let config = crate::config::Config::from_args(["wagate"]).unwrap();
        SendingSettings {
            daily_cap,
            warmup: Warmup { days, first_day },
            ..SendingSettings::from_defaults(&config.send.defaults)
        }
    }

    #[test]
    fn days_start_at_midnight_utc() {
        let days = Windows::new(Duration::from_millis(DAY as u64));
        let noon = 20_000 * DAY + DAY / 2;
        assert_eq!(days.index(noon), 20_000);
        assert_eq!(days.next_start_ms(noon), 20_001 * DAY);
        assert_eq!(days.index(20_001 * DAY), 20_001);
    }

    #[test]
    fn a_new_number_ramps_from_the_first_day_to_the_cap() {
        let days = Windows::new(Duration::from_millis(DAY as u64));
        let s = settings(300, 14, 20);
        let created = 100 * DAY + 5;
        let cap_on = |day: i64| days.cap(&s, created, created + day * DAY).unwrap();
        assert_eq!(cap_on(0), 20);
        assert_eq!(cap_on(7), 160);
        assert_eq!(cap_on(13), 280);
        assert_eq!(cap_on(14), 300);
        assert_eq!(cap_on(400), 300);
        let caps: Vec<u32> = (0..14).map(cap_on).collect();
        assert!(caps.windows(2).all(|w| w[0] < w[1]), "{caps:?}");
    }

    #[test]
    fn no_cap_and_no_warmup_are_honoured() {
        let days = Windows::new(Duration::from_millis(DAY as u64));
        assert_eq!(days.cap(&settings(0, 14, 20), 0, 0), None);
        assert_eq!(days.cap(&settings(500, 0, 20), 0, 0), Some(500));
        assert_eq!(days.cap(&settings(10, 14, 20), 0, 0), Some(10));
    }
}
