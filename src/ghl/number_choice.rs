//! Which of a location's numbers a send to a contact goes from. A reply
//! comes from the number the contact last talked with; when that number
//! is logged out, banned or down for longer than the failover time, the
//! location's next usable number takes over (the caller records the
//! switch). A contact none of the numbers knows gets the default number,
//! with `leastLoaded` the usable one with the fewest messages waiting, or
//! with `roundRobin` the usable ones in turn; the caller stores that number
//! as the one the contact was given and passes it back as talked with, so
//! the contact's next sends follow it before any of them went out. A
//! number WhatsApp keeps from new contacts (463) gets none while another
//! can take them.
//! When no number is usable the choice stays put: the queue holds.

use crate::domain::InstanceId;
use crate::store::{LocationRoute, NewContacts};
use crate::wa::InstanceStatus;
use std::time::Duration;

/// One of the location's numbers as the choice sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: InstanceId,
    pub status: InstanceStatus,
    /// Since when it has not been online (None while online or unknown).
    pub down_since_ms: Option<i64>,
    /// When it last talked with the contact (0 for the number the contact
    /// was given before any talk).
    pub last_talked_ms: Option<i64>,
    pub queue_depth: u64,
    /// False while WhatsApp refuses its messages to new contacts (error
    /// 463, its "reach-out timelock").
    pub takes_new_contacts: bool,
}

impl Candidate {
    /// Able to carry the contact's messages now or soon.
    fn usable(&self, now_ms: i64, failover_after: Duration) -> bool {
        match self.status {
            InstanceStatus::Online => true,
            InstanceStatus::LoggedOut | InstanceStatus::Offline | InstanceStatus::Pairing => false,
            InstanceStatus::Connecting | InstanceStatus::Reconnecting => self
                .down_since_ms
                .is_none_or(|since| now_ms - since < failover_after.as_millis() as i64),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub instance: InstanceId,
    /// The number the contact talked with last, when it could not be used.
    pub switched_from: Option<InstanceId>,
    /// None of the numbers had talked with the contact: the route's rule
    /// for new contacts picked this one.
    pub new_contact: bool,
}

/// The number for the contact among `candidates` (the route's numbers, in
/// the route's order, the default first); `turn` is the location's next
/// round-robin turn, read only when the rule is `roundRobin`.
pub fn choose(
    route: &LocationRoute,
    candidates: &[Candidate],
    now_ms: i64,
    failover_after: Duration,
    turn: u64,
) -> Choice {
    let usable_ones: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.usable(now_ms, failover_after))
        .collect();
    let first_usable = usable_ones.first().map(|c| c.id.clone());
    let stay = |id: &InstanceId| Choice {
        instance: id.clone(),
        switched_from: None,
        new_contact: false,
    };
    let sticky = candidates
        .iter()
        .filter(|c| c.last_talked_ms.is_some())
        .max_by_key(|c| c.last_talked_ms);
    if let Some(sticky) = sticky {
        if sticky.usable(now_ms, failover_after) {
            return stay(&sticky.id);
        }
        return match first_usable {
            Some(other) => Choice {
                instance: other,
                switched_from: Some(sticky.id.clone()),
                new_contact: false,
            },
            None => stay(&sticky.id),
        };
    }
    let pool = open_to_new_contacts(usable_ones);
    let fresh = match route.new_contacts {
        NewContacts::Default => pool.iter().copied().find(|c| c.id == route.default_instance_id),
        NewContacts::LeastLoaded => pool.iter().copied().min_by_key(|c| c.queue_depth),
        NewContacts::RoundRobin => (!pool.is_empty()).then(|| pool[(turn % pool.len() as u64) as usize]),
    };
    Choice {
        new_contact: true,
        ..stay(
            &fresh
                .or(pool.first().copied())
                .map(|c| c.id.clone())
                .unwrap_or_else(|| route.default_instance_id.clone()),
        )
    }
}

/// The usable numbers that may reach new contacts now; all of them when
/// WhatsApp keeps every one from new contacts (the send then waits in its
/// number's queue, as it would anyway).
fn open_to_new_contacts(usable: Vec<&Candidate>) -> Vec<&Candidate> {
    let open: Vec<&Candidate> = usable.iter().copied().filter(|c| c.takes_new_contacts).collect();
    match open.is_empty() {
        true => usable,
        false => open,
    }
}

#[cfg(test)]
#[path = "number_choice_tests.rs"]
mod tests;
