//! The mapping of connection, pairing and receipt events, fed with real
//! whatsapp-rust event values.

use super::*;
use std::time::Duration;
use whatsapp_rust::chrono::{self, Utc};
use whatsapp_rust::transport::DisconnectReason;
use whatsapp_rust::types::events::{
    ClientOutdated, Connected, Disconnected, PairingCode, PairingQrCode, PairingQrCodesExhausted,
    StreamError, StreamReplaced, TempBanReason,
};

#[test]
fn pairing_events_map_to_qr_and_codes() {
    let qr = PairingQrCode::builder()
        .code("2@abc,def".into())
        .timeout(Duration::from_secs(60))
        .build();
    let Some(WaEvent::Qr { code, valid_for }) = map_event(&Event::PairingQrCode(qr), || None) else {
        panic!("no qr")
    };
    assert_eq!((code.as_str(), valid_for), ("2@abc,def", Duration::from_secs(60)));
    let done = Event::PairingQrCodesExhausted(PairingQrCodesExhausted::builder().disconnected(true).build());
    assert!(matches!(map_event(&done, || None), Some(WaEvent::QrExhausted)));
    let pair = PairingCode::builder()
        .code("ABCD1234".into())
        .timeout(Duration::from_secs(180))
        .build();
    let mapped = map_event(&Event::PairingCode(pair), || None);
    assert!(matches!(mapped, Some(WaEvent::PairCode { code }) if code == "ABCD1234"));
}

#[test]
fn connected_carries_the_own_phone_without_the_device() {
    let connected = Event::Connected(Connected::builder().build());
    let mapped = map_event(&connected, || Some(Jid::pn_device("15550001111", 7)));
    let Some(WaEvent::Connected { phone: Some(phone) }) = mapped else {
        panic!("no phone")
    };
    assert_eq!(phone.e164(), "+15550001111");
    assert!(matches!(
        map_event(&connected, || None),
        Some(WaEvent::Connected { phone: None })
    ));
}

#[test]
fn connection_trouble_says_whether_the_library_retries() {
    let lost = Event::Disconnected(
        Disconnected::builder()
            .reason(DisconnectReason::StreamEnded)
            .build(),
    );
    assert!(matches!(
        map_event(&lost, || None),
        Some(WaEvent::Disconnected { will_retry: true, .. })
    ));
    let busy = ConnectFailure::builder()
        .reason(ConnectFailureReason::ServiceUnavailable)
        .build();
    let mapped = map_event(&Event::ConnectFailure(busy), || None);
    assert!(
        matches!(mapped, Some(WaEvent::Disconnected { will_retry: true, ref reason }) if reason.contains("503"))
    );
    let refused = ConnectFailure::builder()
        .reason(ConnectFailureReason::BadUserAgent)
        .message("bad ua".into())
        .build();
    let mapped = map_event(&Event::ConnectFailure(refused), || None);
    assert!(
        matches!(mapped, Some(WaEvent::Disconnected { will_retry: false, ref reason }) if reason.contains("(code 409): bad ua"))
    );
    let outdated = Event::ClientOutdated(ClientOutdated::builder().build());
    assert!(matches!(
        map_event(&outdated, || None),
        Some(WaEvent::ClientOutdated)
    ));
    let survived = Event::StreamError(StreamError::builder().code("".into()).build());
    assert!(map_event(&survived, || None).is_none());
}

#[test]
fn logout_ban_and_replacement_are_reported() {
    let out = LoggedOut::builder()
        .on_connect(true)
        .reason(ConnectFailureReason::LoggedOut)
        .build();
    let mapped = map_event(&Event::LoggedOut(out), || None);
    assert!(matches!(mapped, Some(WaEvent::LoggedOut { ref reason }) if reason.contains("401")));
    let ban = TemporaryBan::builder()
        .code(TempBanReason::SentToTooManyPeople)
        .expire(chrono::Duration::minutes(150))
        .build();
    let Some(WaEvent::TemporaryBan { reason, lasts }) = map_event(&Event::TemporaryBan(ban), || None) else {
        panic!("no ban")
    };
    assert!(reason.contains("101") && reason.contains("2h 30m"), "{reason}");
    assert_eq!(lasts, Some(std::time::Duration::from_secs(150 * 60)));
    let replaced = Event::StreamReplaced(StreamReplaced::builder().build());
    assert!(matches!(
        map_event(&replaced, || None),
        Some(WaEvent::StreamReplaced)
    ));
}

#[test]
fn receipts_map_delivered_inactive_read_and_played() {
    let receipt = |kind: ReceiptType| {
        let r = Receipt::builder()
            .source(MessageSource::default())
            .message_ids(vec!["3EB0A".into(), "3EB0B".into()])
            .timestamp(Utc::now())
            .r#type(kind)
            .offline(false)
            .build();
        map_event(&Event::Receipt(r), || None)
    };
    let delivered = receipt(ReceiptType::Delivered);
    assert!(
        matches!(delivered, Some(WaEvent::Receipt { kind: ReceiptKind::Delivered, ref message_ids }) if message_ids.len() == 2)
    );
    assert!(matches!(
        receipt(ReceiptType::Inactive),
        Some(WaEvent::Receipt {
            kind: ReceiptKind::Delivered,
            ..
        })
    ));
    assert!(matches!(
        receipt(ReceiptType::Read),
        Some(WaEvent::Receipt {
            kind: ReceiptKind::Read,
            ..
        })
    ));
    assert!(matches!(
        receipt(ReceiptType::Played),
        Some(WaEvent::Receipt {
            kind: ReceiptKind::Read,
            ..
        })
    ));
    assert!(receipt(ReceiptType::Sender).is_none());
    assert!(receipt(ReceiptType::ReadSelf).is_none());
}
