//! Pacing against bans: fixed gaps and instant replies are bot signals, so
//! every pause before a send is a fresh random draw within the instance's
//! range for that kind of message (counted from its previous send), and
//! the "typing…" shown before a text lasts longer for a longer text,
//! within bounds, with a little jitter.

use super::settings::{DelayRange, PresenceSettings};
use crate::domain::MessageKind;
use crate::wa::ChatPresence;
use std::time::Duration;

/// A pause drawn uniformly from `range`.
pub fn draw(range: DelayRange) -> Duration {
    if range.min >= range.max {
        return range.min();
    }
    Duration::from_millis(rand::random_range(range.min..=range.max))
}

/// What to show before sending `kind`, and for how long.
pub fn presence_before(
    kind: MessageKind,
    text_chars: usize,
    p: &PresenceSettings,
) -> (ChatPresence, Duration) {
    let bounds = DelayRange {
        min: p.min_ms,
        max: p.max_ms,
    };
    if kind == MessageKind::Voice {
        return (ChatPresence::Recording, draw(bounds));
    }
    let typing_ms = (text_chars as u64).saturating_mul(p.ms_per_char);
    let jitter = rand::random_range(0.85..=1.15);
    let ms = ((typing_ms as f64 * jitter) as u64).clamp(p.min_ms, p.max_ms);
    (ChatPresence::Composing, Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const PRESENCE: PresenceSettings = PresenceSettings {
        enabled: true,
        ms_per_char: 60,
        min_ms: 1000,
        max_ms: 8000,
    };

    #[test]
    fn a_thousand_draws_stay_in_range_and_vary() {
        let range = DelayRange { min: 3500, max: 7000 };
        let draws: Vec<Duration> = (0..1000).map(|_| draw(range)).collect();
        assert!(draws.iter().all(|d| *d >= range.min() && *d <= range.max()));
        let distinct: HashSet<_> = draws.iter().collect();
        assert!(distinct.len() > 500, "only {} distinct pauses", distinct.len());
        let mean = draws.iter().map(Duration::as_millis).sum::<u128>() / 1000;
        assert!((4800..=5700).contains(&mean), "mean {mean} ms");
    }

    #[test]
    fn an_empty_range_gives_its_one_value() {
        assert_eq!(draw(DelayRange { min: 0, max: 0 }), Duration::ZERO);
    }

    #[test]
    fn typing_grows_with_the_text_within_bounds() {
        let typing = |chars| presence_before(MessageKind::Text, chars, &PRESENCE);
        assert_eq!(typing(1), (ChatPresence::Composing, Duration::from_millis(1000)));
        let (_, medium) = typing(60);
        assert!(
            medium >= Duration::from_millis(3060) && medium <= Duration::from_millis(4140),
            "{medium:?}"
        );
        assert_eq!(typing(10_000).1, Duration::from_millis(8000));
        let (shown, recording) = presence_before(MessageKind::Voice, 0, &PRESENCE);
        assert_eq!(shown, ChatPresence::Recording);
        assert!(recording >= Duration::from_millis(1000) && recording <= Duration::from_millis(8000));
    }
}
