//! The send path's settings: what every instance starts with (each may
//! change its own through the API and the panel: pauses between sends, the
//! typing presence, read marks, the daily cap and the warm-up ramp), and
//! the limits of retries and of the media a send may carry.

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SendSection {
    #[command(flatten)]
    pub defaults: SendingDefaults,
    /// Tries of a send that fails for a passing cause before it is marked failed.
    #[arg(
        id = "send_max_attempts",
        long = "send-max-attempts",
        env = "SEND_MAX_ATTEMPTS",
        default_value_t = 5
    )]
    pub max_attempts: u32,
    /// First pause before retrying a failed send, in ms (doubles each time).
    #[arg(
        id = "send_retry_base_ms",
        long = "send-retry-base-ms",
        env = "SEND_RETRY_BASE_MS",
        default_value_t = 2000
    )]
    pub retry_base_ms: u64,
    /// Longest pause before retrying a failed send, in ms.
    #[arg(
        id = "send_retry_max_ms",
        long = "send-retry-max-ms",
        env = "SEND_RETRY_MAX_MS",
        default_value_t = 300_000
    )]
    pub retry_max_ms: u64,
    /// Largest media file fetched for a send, in bytes.
    #[arg(long, env = "MEDIA_MAX_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub media_max_bytes: u64,
    /// Time limit for fetching a media file, in ms.
    #[arg(long, env = "MEDIA_FETCH_TIMEOUT_MS", default_value_t = 20_000)]
    pub media_fetch_timeout_ms: u64,
    /// Longest audio a voice note is made from, in seconds (type voice; longer is refused).
    #[arg(long, env = "VOICE_MAX_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(1..=7200))]
    pub voice_max_seconds: u32,
    /// Let mediaUrl point at loopback or private addresses (off: refused, against SSRF).
    #[arg(
        long,
        env = "ALLOW_PRIVATE_MEDIA_URLS",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub allow_private_media_urls: bool,
}

impl SendSection {
    pub(super) fn validate(&self) -> Result<(), String> {
        self.defaults.validate()?;
        super::positive("SEND_MAX_ATTEMPTS", self.max_attempts.into())?;
        super::positive("SEND_RETRY_MAX_MS", self.retry_max_ms)
    }
}

#[derive(Debug, Clone, Args)]
pub struct SendingDefaults {
    /// Shortest pause before a text send, in ms, counted from the instance's previous
    /// send; each pause is a random draw up to TEXT_DELAY_MS_MAX.
    #[arg(long, env = "TEXT_DELAY_MS", default_value_t = 3500)]
    pub text_delay_ms: u64,
    /// Longest pause before a text send, in ms. Unset: twice TEXT_DELAY_MS.
    #[arg(long, env = "TEXT_DELAY_MS_MAX")]
    pub text_delay_ms_max: Option<u64>,
    /// Shortest pause before a media send, in ms.
    #[arg(long, env = "MEDIA_DELAY_MS_MIN", default_value_t = 6000)]
    pub media_delay_ms_min: u64,
    /// Longest pause before a media send, in ms.
    #[arg(long, env = "MEDIA_DELAY_MS_MAX", default_value_t = 9000)]
    pub media_delay_ms_max: u64,
    /// Show the contact "typing…" (or "recording…" for a voice note) before each send.
    #[arg(
        long,
        env = "TYPING_PRESENCE",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub typing_presence: bool,
    /// Mark the contact's last message read (blue ticks) before replying.
    #[arg(
        long,
        env = "MARK_READ",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub mark_read: bool,
    /// Most messages one number sends per day once warmed up; more wait for the next day (0: no cap).
    #[arg(long, env = "DAILY_CAP", default_value_t = 1000)]
    pub daily_cap: u32,
    /// Days a new number takes to ramp up from WARMUP_FIRST_DAY to DAILY_CAP (0: no warm-up).
    #[arg(long, env = "WARMUP_DAYS", default_value_t = 14)]
    pub warmup_days: u32,
    /// Messages a new number may send on its first day.
    #[arg(long, env = "WARMUP_FIRST_DAY", default_value_t = 20)]
    pub warmup_first_day: u32,
    /// Length of a cap "day" in ms, from 00:00 UTC (tests shorten it).
    #[arg(long, env = "CAP_WINDOW_MS", default_value_t = 86_400_000, hide = true)]
    pub cap_window_ms: u64,
}

impl SendingDefaults {
    /// TEXT_DELAY_MS_MAX, or twice TEXT_DELAY_MS when it is unset.
    pub fn text_delay_max(&self) -> u64 {
        self.text_delay_ms_max
            .unwrap_or_else(|| self.text_delay_ms.saturating_mul(2))
    }

    /// Checks the values; the error names the variable.
    pub fn validate(&self) -> Result<(), String> {
        let ranges = [
            (
                "TEXT_DELAY_MS",
                self.text_delay_ms,
                "TEXT_DELAY_MS_MAX",
                self.text_delay_max(),
            ),
            (
                "MEDIA_DELAY_MS_MIN",
                self.media_delay_ms_min,
                "MEDIA_DELAY_MS_MAX",
                self.media_delay_ms_max,
            ),
        ];
        for (min_name, min, max_name, max) in ranges {
            if min > max {
                return Err(format!("{min_name} ({min}) is larger than {max_name} ({max})"));
            }
        }
        if self.cap_window_ms < 1000 {
            return Err("CAP_WINDOW_MS must be at least 1000".into());
        }
        if self.warmup_days > 0 && self.warmup_first_day == 0 {
            return Err("WARMUP_FIRST_DAY must be at least 1 while WARMUP_DAYS is set".into());
        }
        Ok(())
    }
}
