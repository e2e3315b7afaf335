//! GHL's rules against replayed webhooks (docs/oauth/WebhookAuthentication.md
//! in GoHighLevel/highlevel-api-docs): a body whose `timestamp` is more than
//! five minutes from now is refused, and a `webhookId` already acted on is
//! not acted on again. The signature only proves that GHL sent the body
//! once. Seen ids are kept in the store, so a replay that reaches another
//! process sharing it, or comes after a restart, is caught too.

use crate::store::{GhlState, StoreResult};
use std::time::Duration;

/// How far a body's timestamp may be from the gateway's clock, either way.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// A body is taken from a window before its timestamp to a window after,
/// so its id is kept that long.
const SEEN_FOR: Duration = Duration::from_secs(2 * WINDOW.as_secs());

/// Why a body's timestamp is not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Stale {
    #[error("the event carries no timestamp")]
    Missing,
    #[error("timestamp {0:?} is not an RFC 3339 time")]
    Malformed(String),
    #[error("timestamp {0} is more than five minutes away from the gateway's clock")]
    OutsideWindow(String),
}

/// Checks a body's `timestamp` (RFC 3339, as GHL sends it) against `now_ms`.
pub fn check_timestamp(raw: Option<&str>, now_ms: i64) -> Result<(), Stale> {
    let raw = raw
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Stale::Missing)?;
    let sent = chrono::DateTime::parse_from_rfc3339(raw)
        .map_err(|_| Stale::Malformed(raw.chars().take(40).collect()))?;
    let apart = (now_ms - sent.timestamp_millis()).unsigned_abs();
    if apart > WINDOW.as_millis() as u64 {
        return Err(Stale::OutsideWindow(raw.to_owned()));
    }
    Ok(())
}

fn mark(webhook_id: &str) -> String {
    format!("app-webhook:{webhook_id}")
}

/// Notes `webhook_id` as acted on; false when it was before.
pub async fn first_sighting(store: &dyn GhlState, webhook_id: &str) -> StoreResult<bool> {
    store
        .note_once(&mark(webhook_id), SEEN_FOR.as_millis() as i64)
        .await
}

/// Forgets `webhook_id` after acting on it failed, so GHL's next try counts.
pub async fn forget_sighting(store: &dyn GhlState, webhook_id: &str) -> StoreResult<bool> {
    store.take_once(&mark(webhook_id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2025-01-28T14:35:00Z";

    fn now_ms() -> i64 {
        chrono::DateTime::parse_from_rfc3339(NOW)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn a_timestamp_within_five_minutes_either_way_is_taken() {
        for fresh in [NOW, "2025-01-28T14:30:00Z", "2025-01-28T14:40:00+00:00"] {
            assert_eq!(check_timestamp(Some(fresh), now_ms()), Ok(()), "{fresh}");
        }
    }

    #[test]
    fn an_old_a_future_a_missing_or_a_garbled_timestamp_is_refused() {
        let check = |raw| check_timestamp(raw, now_ms());
        assert!(matches!(
            check(Some("2025-01-28T14:29:59Z")),
            Err(Stale::OutsideWindow(_))
        ));
        assert!(matches!(
            check(Some("2025-01-28T14:40:01Z")),
            Err(Stale::OutsideWindow(_))
        ));
        assert_eq!(check(None), Err(Stale::Missing));
        assert_eq!(check(Some(" ")), Err(Stale::Missing));
        assert!(matches!(check(Some("yesterday")), Err(Stale::Malformed(_))));
    }
}
