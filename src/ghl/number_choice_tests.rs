//! Which number a contact's send goes from: replies, failover, and the
//! rules for new contacts, over candidates built by hand.

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
        takes_new_contacts: true,
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

/// A number WhatsApp keeps from new contacts (463) is passed over for
/// them by every rule while another can take them; its own contacts stay.
#[test]
fn a_number_kept_from_new_contacts_gets_none_while_another_can_take_them() {
    let mut numbers = [
        online("wa-01", None, 0),
        online("wa-02", None, 9),
        online("wa-03", None, 5),
    ];
    numbers[0].takes_new_contacts = false;
    assert_eq!(chosen(&route(NewContacts::Default), &numbers).0, "wa-02");
    assert_eq!(chosen(&route(NewContacts::LeastLoaded), &numbers).0, "wa-03");
    let route_rr = route(NewContacts::RoundRobin);
    let picks: Vec<String> = (0..3)
        .map(|turn| {
            choose(&route_rr, &numbers, NOW, FAILOVER, turn)
                .instance
                .to_string()
        })
        .collect();
    assert_eq!(picks, ["wa-02", "wa-03", "wa-02"]);

    let mut talked = numbers.clone();
    talked[0].last_talked_ms = Some(7);
    assert_eq!(
        chosen(&route(NewContacts::Default), &talked).0,
        "wa-01",
        "not new to it"
    );

    for number in &mut numbers {
        number.takes_new_contacts = false;
    }
    assert_eq!(
        chosen(&route(NewContacts::Default), &numbers).0,
        "wa-01",
        "with every number kept, the rule picks as before"
    );
}
