//! Durations in settings written for people: `30s`, `5m`, `1h`, `250ms`,
//! or a bare number of milliseconds (like the other `_MS` settings).

use std::time::Duration;

/// Parses `90`, `250ms`, `30s`, `5m` or `1h`.
pub fn parse(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration: write e.g. 30s, 5m, 1h or 250ms"))?;
    let millis = match unit.trim() {
        "" | "ms" => Some(value),
        "s" => value.checked_mul(1000),
        "m" => value.checked_mul(60_000),
        "h" => value.checked_mul(3_600_000),
        other => return Err(format!("unknown unit {other:?} in {raw:?}: use ms, s, m or h")),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{raw:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

    #[test]
    fn units_and_bare_milliseconds() {
        assert_eq!(parse("250"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse(" 5m "), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("5 minutes").is_err());
        assert!(parse("m").is_err());
        assert!(parse("-1s").is_err());
    }
}
