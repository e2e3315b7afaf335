//! When to alert: pure state machines, fed what the gateway looks like and
//! the time, that open an incident once and report its recovery once.
//! Time is passed in, so tests drive it with a paused tokio clock.

use crate::wa::InstanceStatus;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    LoggedOut,
    Banned,
    /// WhatsApp refused the client's version (WA_VERSION needs a change).
    Outdated,
    /// Down (not online, not waiting for a scan) for longer than allowed.
    Offline,
}

impl Incident {
    pub fn name(self) -> &'static str {
        match self {
            Self::LoggedOut => "logged_out",
            Self::Banned => "banned",
            Self::Outdated => "client_outdated",
            Self::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Opened(Incident),
    Recovered(Incident),
}

/// What one look at an instance shows.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub status: InstanceStatus,
    /// Stopped by a temporary ban.
    pub banned: bool,
    /// Stopped because WhatsApp refused the client's version.
    pub outdated: bool,
    /// Linked to a phone: only then is being down an outage.
    pub linked: bool,
    /// Logged out on purpose, through the API: no incident.
    pub deliberate: bool,
}

/// The incident state of one instance.
#[derive(Debug, Default)]
pub struct InstanceTracker {
    down_since: Option<Instant>,
    open: Option<Incident>,
}

impl InstanceTracker {
    pub fn observe(&mut self, seen: Seen, now: Instant) -> Option<Change> {
        match seen.status {
            InstanceStatus::Online => {
                self.down_since = None;
                self.open.take().map(Change::Recovered)
            }
            InstanceStatus::LoggedOut if seen.deliberate => {
                self.down_since = None;
                None
            }
            InstanceStatus::LoggedOut => self.open(Incident::LoggedOut),
            InstanceStatus::Offline if seen.banned => self.open(Incident::Banned),
            InstanceStatus::Offline if seen.outdated => self.open(Incident::Outdated),
            InstanceStatus::Pairing => {
                self.down_since = None;
                None
            }
            _ if seen.linked => {
                self.down_since.get_or_insert(now);
                None
            }
            _ => None,
        }
    }

    /// When the instance has been down for `after`, if it is down and no
    /// incident is open yet.
    pub fn offline_deadline(&self, after: Duration) -> Option<Instant> {
        match self.open {
            Some(_) => None,
            None => self.down_since.map(|since| since + after),
        }
    }

    /// Opens the offline incident once its deadline has passed.
    pub fn tick(&mut self, now: Instant, after: Duration) -> Option<Change> {
        match self.offline_deadline(after) {
            Some(deadline) if deadline <= now => self.open(Incident::Offline),
            _ => None,
        }
    }

    fn open(&mut self, incident: Incident) -> Option<Change> {
        if self.open == Some(incident) {
            return None;
        }
        self.open = Some(incident);
        Some(Change::Opened(incident))
    }
}

/// WhatsApp's block on new contacts: opens when the instance shows one,
/// recovers when it is lifted. Apart from [`InstanceTracker`], since the
/// instance stays online meanwhile.
#[derive(Debug, Default)]
pub struct BlockTracker {
    open: bool,
}

impl BlockTracker {
    /// True: the block began; false: it ended; None: no change.
    pub fn observe(&mut self, blocked: bool) -> Option<bool> {
        (blocked != self.open).then(|| {
            self.open = blocked;
            blocked
        })
    }
}

/// Forwards dead-lettering: opens when the dead-letter count grows,
/// recovers when forwards are delivered again without new dead letters.
#[derive(Debug)]
pub struct DeadLetterTracker {
    dead: u64,
    delivered: u64,
    open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardChange {
    /// How many forwards died since the last look.
    Opened(u64),
    Recovered,
}

impl DeadLetterTracker {
    /// Starts from the counts as they are now.
    pub fn new(dead: u64, delivered: u64) -> Self {
        Self {
            dead,
            delivered,
            open: false,
        }
    }

    pub fn observe(&mut self, dead: u64, delivered: u64) -> Option<ForwardChange> {
        let new_dead = dead.saturating_sub(self.dead);
        let new_delivered = delivered.saturating_sub(self.delivered);
        self.dead = dead;
        self.delivered = delivered;
        if new_dead > 0 && !self.open {
            self.open = true;
            return Some(ForwardChange::Opened(new_dead));
        }
        if self.open && new_dead == 0 && new_delivered > 0 {
            self.open = false;
            return Some(ForwardChange::Recovered);
        }
        None
    }
}

/// Messages that could not be decrypted, per instance: each look that
/// finds an instance's count grown is one alert, naming how many are new.
#[derive(Debug, Default)]
pub struct UndecryptableTracker {
    seen: std::collections::HashMap<String, u64>,
}

impl UndecryptableTracker {
    /// How many more the instance has than at the last look (counts start
    /// at zero with the process).
    pub fn observe(&mut self, instance: &str, count: u64) -> Option<u64> {
        let before = self.seen.insert(instance.to_owned(), count).unwrap_or(0);
        (count > before).then(|| count - before)
    }
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
