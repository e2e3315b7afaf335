//! Missed calls from the call stanzas whatsapp-rust passes on, built as
//! real `IncomingCall` and `MissedCall` values.

use super::calls::CallBook;
use super::*;
use whatsapp_rust::chrono::{TimeZone, Utc};
use whatsapp_rust::types::call::{CallAction, IncomingCall, MissedCall, MissedReason};

fn caller() -> Jid {
    Jid::lid("123456789012345")
}

fn call(action: CallAction) -> Event {
    Event::IncomingCall(
        IncomingCall::builder()
            .from(caller())
            .stanza_id("S1".to_owned())
            .timestamp(Utc.timestamp_opt(1_700_000_000, 0).unwrap())
            .offline(false)
            .action(action)
            .build(),
    )
}

fn offer(id: &str, video: bool) -> Event {
    call(CallAction::Offer {
        call_id: id.into(),
        call_creator: caller(),
        caller_pn: Some(Jid::pn("5511999990000")),
        caller_country_code: None,
        device_class: None,
        joinable: false,
        is_video: video,
        audio: Vec::new(),
        group_jid: None,
    })
}

fn terminate(id: &str, reason: Option<&str>) -> Event {
    call(CallAction::Terminate {
        call_id: id.into(),
        call_creator: caller(),
        reason: reason.map(str::to_owned),
        duration: None,
        audio_duration: None,
    })
}

#[test]
fn a_call_that_rang_and_ended_unanswered_is_missed() {
    let mut book = CallBook::default();
    assert!(
        book.observe(&offer("C1", true)).is_none(),
        "ringing is not missed yet"
    );
    let missed = book.observe(&terminate("C1", Some("timeout"))).expect("missed");
    assert_eq!((missed.kind, missed.id.as_str()), (MessageKind::Call, "C1"));
    assert_eq!(
        missed.from.unwrap().e164(),
        "+5511999990000",
        "the caller's number, not the LID's digits"
    );
    assert_eq!(missed.details.call.unwrap().video, Some(true));
    assert!(
        book.observe(&terminate("C1", None)).is_none(),
        "one terminate, one missed call"
    );

    book.observe(&offer("C2", false));
    let missed = book
        .observe(&terminate("C2", None))
        .expect("no reason is missed too");
    assert_eq!(missed.details.call.unwrap().video, Some(false));
}

#[test]
fn a_call_taken_on_the_phone_or_never_rung_here_is_not_missed() {
    let mut book = CallBook::default();
    for reason in ["accepted_elsewhere", "rejected_elsewhere"] {
        book.observe(&offer("C3", false));
        assert!(book.observe(&terminate("C3", Some(reason))).is_none(), "{reason}");
    }
    assert!(book.observe(&terminate("C4", None)).is_none(), "no offer seen");
}

/// whatsapp-rust passes an offer on after acking it, so a terminate right
/// behind it comes first (seen on the loopback server): the pair is still
/// one missed call, or none when the phone took it.
#[test]
fn a_call_whose_end_came_before_its_offer_is_still_judged() {
    let mut book = CallBook::default();
    assert!(
        book.observe(&terminate("C6", None)).is_none(),
        "no offer seen yet"
    );
    let missed = book
        .observe(&offer("C6", true))
        .expect("missed once the offer came");
    assert_eq!((missed.kind, missed.id.as_str()), (MessageKind::Call, "C6"));
    assert_eq!(missed.from.unwrap().e164(), "+5511999990000");
    assert_eq!(missed.details.call.unwrap().video, Some(true));
    assert!(book.observe(&terminate("C6", None)).is_none(), "judged once");

    assert!(book
        .observe(&terminate("C7", Some("accepted_elsewhere")))
        .is_none());
    assert!(book.observe(&offer("C7", false)).is_none(), "taken on the phone");
    assert!(book.observe(&terminate("C7", None)).is_none(), "and forgotten");
}

#[test]
fn an_offer_replayed_after_a_reconnect_is_missed() {
    let mut book = CallBook::default();
    let missed = MissedCall::new(
        Jid::pn("5511999990000"),
        "C5".into(),
        Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        MissedReason::Offline,
    );
    let got = book.observe(&Event::MissedCall(missed)).expect("missed");
    assert_eq!((got.id.as_str(), got.timestamp_ms), ("C5", 1_700_000_000_000));
    assert_eq!(got.details.call.unwrap().video, None, "the replay does not say");
}
