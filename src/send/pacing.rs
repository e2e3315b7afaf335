//! Pacing against bans: a fixed pause before a text, a random pause within
//! a range before a media message, counted from the instance's previous send.

use crate::domain::MessageKind;
use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub text: Duration,
    pub media_min: Duration,
    pub media_max: Duration,
}

impl Pacing {
    /// The gap to leave after the previous send before sending `kind`.
    pub fn gap_before(&self, kind: MessageKind) -> Duration {
        if !kind.is_media() {
            return self.text;
        }
        if self.media_min >= self.media_max {
            return self.media_min;
        }
        rand::thread_rng().gen_range(self.media_min..=self.media_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_wait_the_text_delay_and_media_a_random_one_in_range() {
        let p = Pacing {
            text: Duration::from_millis(3500),
            media_min: Duration::from_millis(6000),
            media_max: Duration::from_millis(9000),
        };
        assert_eq!(p.gap_before(MessageKind::Text), Duration::from_millis(3500));
        for _ in 0..100 {
            let gap = p.gap_before(MessageKind::Image);
            assert!(gap >= p.media_min && gap <= p.media_max, "{gap:?}");
        }
    }

    #[test]
    fn an_empty_media_range_uses_its_one_value() {
        let p = Pacing {
            text: Duration::ZERO,
            media_min: Duration::ZERO,
            media_max: Duration::ZERO,
        };
        assert_eq!(p.gap_before(MessageKind::Video), Duration::ZERO);
    }
}
