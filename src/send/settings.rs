//! One instance's sending settings: how it paces, whether it shows typing
//! and marks messages read, its daily cap and warm-up. Every instance
//! starts from the gateway's defaults (the environment) and may change
//! its own through `PUT /api/instances/{id}/settings`; they are stored as
//! JSON, so a field added later falls back to its default.

use crate::config::SendingDefaults;
use crate::domain::MessageKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Longest pause or typing time a setting may ask for.
const LONGEST_MS: u64 = 10 * 60 * 1000;
/// Highest daily cap a setting may ask for.
const HIGHEST_CAP: u32 = 100_000;
/// Longest warm-up, in days.
const LONGEST_WARMUP: u32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayRange {
    pub min: u64,
    pub max: u64,
}

impl DelayRange {
    pub fn min(&self) -> Duration {
        Duration::from_millis(self.min)
    }

    pub fn max(&self) -> Duration {
        Duration::from_millis(self.max)
    }
}

/// "typing…" before a text (longer for longer texts, within bounds) and
/// "recording…" before a voice note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PresenceSettings {
    pub enabled: bool,
    pub ms_per_char: u64,
    pub min_ms: u64,
    pub max_ms: u64,
}

/// A new number's daily cap grows from `first_day` to the daily cap over
/// `days` days (0: no warm-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Warmup {
    pub days: u32,
    pub first_day: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendingSettings {
    pub presence: PresenceSettings,
    /// Mark the contact's last message read before replying.
    pub mark_read: bool,
    pub text_delay_ms: DelayRange,
    pub media_delay_ms: DelayRange,
    /// Most sends per day once warmed up (0: no cap).
    pub daily_cap: u32,
    pub warmup: Warmup,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct InvalidSettings {
    pub field: &'static str,
    pub message: String,
}

impl SendingSettings {
    pub fn from_defaults(d: &SendingDefaults) -> Self {
        Self {
            presence: PresenceSettings {
                enabled: d.typing_presence,
                ms_per_char: 60,
                min_ms: 1200,
                max_ms: 8000,
            },
            mark_read: d.mark_read,
            text_delay_ms: DelayRange {
                min: d.text_delay_ms,
                max: d.text_delay_max(),
            },
            media_delay_ms: DelayRange {
                min: d.media_delay_ms_min,
                max: d.media_delay_ms_max,
            },
            daily_cap: d.daily_cap,
            warmup: Warmup {
                days: d.warmup_days,
                first_day: d.warmup_first_day,
            },
        }
    }

    /// The stored settings over `defaults`; fields stored before they
    /// existed, or stored badly, keep their defaults.
    pub fn stored_or(stored: Option<&str>, defaults: Self) -> Self {
        let Some(stored) = stored.and_then(|raw| serde_json::from_str::<Value>(raw).ok()) else {
            return defaults;
        };
        defaults.changed_by(&stored).unwrap_or(defaults)
    }

    /// These settings with the fields `change` names replaced (nested
    /// objects field by field), checked.
    pub fn changed_by(&self, change: &Value) -> Result<Self, InvalidSettings> {
        let mut merged = serde_json::to_value(self).expect("plain data serialises");
        merge(&mut merged, change);
        let settings: Self = serde_json::from_value(merged).map_err(|e| InvalidSettings {
            field: "settings",
            message: e.to_string(),
        })?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), InvalidSettings> {
        let invalid = |field, message: String| Err(InvalidSettings { field, message });
        for (field, range) in [
            ("textDelayMs", self.text_delay_ms),
            ("mediaDelayMs", self.media_delay_ms),
        ] {
            if range.min > range.max {
                return invalid(
                    field,
                    format!("min ({}) is larger than max ({})", range.min, range.max),
                );
            }
            if range.max > LONGEST_MS {
                return invalid(field, format!("max may be at most {LONGEST_MS} ms"));
            }
        }
        let p = self.presence;
        if p.min_ms > p.max_ms || p.max_ms > LONGEST_MS {
            return invalid(
                "presence",
                format!("minMs must not exceed maxMs, which may be at most {LONGEST_MS}"),
            );
        }
        if self.daily_cap > HIGHEST_CAP {
            return invalid("dailyCap", format!("may be at most {HIGHEST_CAP} (0 for no cap)"));
        }
        let w = self.warmup;
        if w.days > LONGEST_WARMUP || (w.days > 0 && w.first_day == 0) {
            return invalid(
                "warmup",
                format!("days may be at most {LONGEST_WARMUP}, and firstDay at least 1"),
            );
        }
        Ok(())
    }

    /// The pause range before sending a message of `kind`.
    pub fn delay_for(&self, kind: MessageKind) -> DelayRange {
        if kind.is_media() {
            self.media_delay_ms
        } else {
            self.text_delay_ms
        }
    }
}

/// Writes `change` into `base`: objects field by field, anything else whole.
fn merge(base: &mut Value, change: &Value) {
    match (base, change) {
        (Value::Object(base), Value::Object(change)) => {
            for (key, value) in change {
                match base.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> SendingSettings {
        let config = crate::config::Config::from_args(["wagate"]).unwrap();
        SendingSettings::from_defaults(&config.send.defaults)
    }

    #[test]
    fn a_change_replaces_only_the_fields_it_names() {
        let changed = defaults()
            .changed_by(&json!({"dailyCap": 50, "textDelayMs": {"max": 9000}}))
            .unwrap();
        assert_eq!(changed.daily_cap, 50);
        assert_eq!(changed.text_delay_ms, DelayRange { min: 3500, max: 9000 });
        assert_eq!(changed.media_delay_ms, defaults().media_delay_ms);
    }

    #[test]
    fn bad_changes_are_refused_with_the_field() {
        let refused = |change| defaults().changed_by(&change).unwrap_err().field;
        assert_eq!(
            refused(json!({"textDelayMs": {"min": 9000, "max": 1}})),
            "textDelayMs"
        );
        assert_eq!(refused(json!({"dailyCap": 1_000_000})), "dailyCap");
        assert_eq!(refused(json!({"warmup": {"firstDay": 0}})), "warmup");
        assert_eq!(refused(json!({"typo": true})), "settings");
        assert_eq!(refused(json!({"dailyCap": "many"})), "settings");
    }

    #[test]
    fn stored_settings_missing_a_field_keep_its_default() {
        let stored = SendingSettings::stored_or(Some(r#"{"markRead": true}"#), defaults());
        assert!(stored.mark_read);
        assert_eq!(stored.daily_cap, defaults().daily_cap);
        assert_eq!(SendingSettings::stored_or(Some("{"), defaults()), defaults());
    }
}
