//! Which of a location's numbers a send to a contact goes from. A reply
//! comes from the number the contact last talked with; when that number
//! is logged out, banned or down for longer than the failover time, the
//! location's next usable number takes over (the caller records the
//! switch). A contact none of the numbers knows gets the default number,
//! with `leastLoaded` the usable one with the fewest messages waiting, or
//! with `roundRobin` the usable ones in turn; the caller stores that number
//! as the one the contact was given and passes it back as talked with, so
//! the contact's next sends follow it before any of them went out.
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
    let fresh = match route.new_contacts {
        NewContacts::Default => usable_ones
            .iter()
            .copied()
            .find(|c| c.id == route.default_instance_id),
        NewContacts::LeastLoaded => usable_ones.iter().copied().min_by_key(|c| c.queue_depth),
        NewContacts::RoundRobin => {
            (!usable_ones.is_empty()).then(|| usable_ones[(turn % usable_ones.len() as u64) as usize])
        }
    };
    Choice {
        new_contact: true,
        ..stay(
            &fresh
                .map(|c| c.id.clone())
                .or(first_usable)
                .unwrap_or_else(|| route.default_instance_id.clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;
    const FAILOVER: Duration = Duration::from_secs(600);

    fn id(raw: &str) -> InstanceId {
        InstanceId::parse(raw).unwrap()
    }

    fn route(new_contacts: NewContacts) -> LocationRoute {
        LocationRoute {
            location_id: "loc".into(),
            default_instance_id: id("wa-01"),
            instance_ids: vec![id("wa-01"), id("wa-02"), id("wa-03")],
            new_contacts,
        }
    }

    fn online(raw: &str, last_talked_ms: Option<i64>, queue_depth: u64) -> Candidate {
        Candidate {
            id: id(raw),
            status: InstanceStatus::Online,
            down_since_ms: None,
            last_talked_ms,
            queue_depth,
        }
    }

    fn chosen(route: &LocationRoute, candidates: &[Candidate]) -> (String, Option<String>) {
        let choice = choose(route, candidates, NOW, FAILOVER, 0);
        (
            choice.instance.to_string(),
            choice.switched_from.map(|s| s.to_string()),
        )
    }

    #[test]
    fn a_reply_comes_from_the_number_the_contact_talked_with_last() {
        let numbers = [
            online("wa-01", Some(5), 0),
            online("wa-02", Some(9), 0),
            online("wa-03", None, 0),
        ];
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers),
            ("wa-02".into(), None)
        );
    }

    #[test]
    fn a_lost_number_hands_its_contacts_to_the_next_usable_one() {
        let mut lost = online("wa-02", Some(9), 0);
        lost.status = InstanceStatus::LoggedOut;
        let numbers = [online("wa-01", None, 0), lost.clone(), online("wa-03", None, 0)];
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers),
            ("wa-01".into(), Some("wa-02".into()))
        );
        let briefly_down = Candidate {
            status: InstanceStatus::Reconnecting,
            down_since_ms: Some(NOW - 1000),
            ..lost.clone()
        };
        let numbers = [online("wa-01", None, 0), briefly_down.clone()];
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers),
            ("wa-02".into(), None),
            "a short drop keeps it"
        );
        let long_down = Candidate {
            down_since_ms: Some(NOW - 601_000),
            ..briefly_down
        };
        let numbers = [online("wa-01", None, 0), long_down];
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers).1,
            Some("wa-02".into())
        );
    }

    #[test]
    fn new_contacts_get_the_default_or_the_least_loaded_number() {
        let numbers = [
            online("wa-01", None, 9),
            online("wa-02", None, 1),
            online("wa-03", None, 4),
        ];
        assert_eq!(chosen(&route(NewContacts::Default), &numbers).0, "wa-01");
        assert_eq!(chosen(&route(NewContacts::LeastLoaded), &numbers).0, "wa-02");
        let mut down_default = numbers.clone();
        down_default[0].status = InstanceStatus::Offline;
        assert_eq!(chosen(&route(NewContacts::Default), &down_default).0, "wa-02");
    }

    #[test]
    fn round_robin_gives_new_contacts_the_usable_numbers_in_turn() {
        let mut numbers = [
            online("wa-01", None, 0),
            online("wa-02", None, 0),
            online("wa-03", None, 0),
        ];
        numbers[1].status = InstanceStatus::LoggedOut;
        let route = route(NewContacts::RoundRobin);
        let picks: Vec<String> = (0..4)
            .map(|turn| choose(&route, &numbers, NOW, FAILOVER, turn))
            .inspect(|choice| assert!(choice.new_contact))
            .map(|choice| choice.instance.to_string())
            .collect();
        assert_eq!(picks, ["wa-01", "wa-03", "wa-01", "wa-03"]);
    }

    #[test]
    fn a_number_talked_with_is_kept_whatever_the_rule_for_new_contacts() {
        let numbers = [
            online("wa-01", None, 9),
            online("wa-02", Some(0), 9),
            online("wa-03", None, 0),
        ];
        for rule in [
            NewContacts::Default,
            NewContacts::LeastLoaded,
            NewContacts::RoundRobin,
        ] {
            let choice = choose(&route(rule), &numbers, NOW, FAILOVER, 2);
            assert_eq!(choice.instance.as_str(), "wa-02", "{rule:?}");
            assert!(!choice.new_contact);
        }
    }

    #[test]
    fn with_no_usable_number_the_choice_stays_and_the_queue_holds() {
        let mut numbers = [online("wa-01", None, 0), online("wa-02", Some(3), 0)];
        for n in &mut numbers {
            n.status = InstanceStatus::LoggedOut;
        }
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers),
            ("wa-02".into(), None)
        );
        assert_eq!(
            chosen(&route(NewContacts::Default), &numbers[..1]),
            ("wa-01".into(), None)
        );
    }
}
