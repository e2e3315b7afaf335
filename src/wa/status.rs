//! Instance status as the API and the panel show it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceStatus {
    /// Waiting for a QR scan or a pairing code.
    Pairing,
    Connecting,
    Online,
    Reconnecting,
    /// Not connected and not trying: banned, replaced, stopped.
    Offline,
    /// The phone unlinked this device; it needs a new scan.
    LoggedOut,
}

impl InstanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pairing => "PAIRING",
            Self::Connecting => "CONNECTING",
            Self::Online => "ONLINE",
            Self::Reconnecting => "RECONNECTING",
            Self::Offline => "OFFLINE",
            Self::LoggedOut => "LOGGED_OUT",
        }
    }
}
