//! The real whatsapp-rust client started and stopped against a WebSocket
//! address that refuses connections, so no WhatsApp server is involved.

use super::*;
use crate::domain::{MessageKind, Phone, Recipient};
use crate::wa::media::MediaPolicy;
use crate::wa::{OutgoingMessage, SendError};
use std::time::{Duration, Instant};

const CLOSED_PORT: &str = "ws://127.0.0.1:1";

fn backend(dir: &std::path::Path) -> RealBackend {
    let media = MediaFetcher::new(MediaPolicy {
        max_bytes: 1 << 20,
        timeout: Duration::from_secs(5),
        allow_private: false,
    });
    let voice = crate::wa::media::voice::VoiceLimits { max_seconds: 60 };
    RealBackend::new(dir.to_path_buf(), media, voice).with_ws_url(CLOSED_PORT)
}

fn hello() -> OutgoingMessage {
    OutgoingMessage {
        id: crate::domain::new_message_id(),
        to: Recipient::Phone(Phone::parse("+5511999998888", None).unwrap()),
        kind: MessageKind::Text,
        text: "hello".into(),
        media_url: None,
        caption: None,
        details: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_starts_refuses_work_offline_and_stops_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend(dir.path());
    let id = InstanceId::parse("wa-test").unwrap();
    let (events, mut received) = mpsc::channel(16);
    let session = backend.open(&id, events).await.unwrap();
    assert!(dir.path().join("wa-test").join(STORE_FILE).exists());

    let sent = session.send(&hello()).await;
    assert!(matches!(sent, Err(SendError::Transient(_))), "{sent:?}");
    assert!(matches!(session.logout().await, Err(WaError::Logout(_))));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    session.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
    while let Ok(event) = received.try_recv() {
        assert!(
            !matches!(event, WaEvent::Inbound(_) | WaEvent::Connected { .. }),
            "{event:?}"
        );
    }

    // The store is free again: a new session opens on it and stops too.
    let (events, _received) = mpsc::channel(16);
    backend.open(&id, events).await.unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_events_reach_the_gateway_channel() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend(dir.path());
    let bot = backend
        .build_bot(&InstanceId::parse("wa-events").unwrap())
        .await
        .unwrap();
    let client = bot.client();
    let (events, mut received) = mpsc::channel(16);
    let session = Box::new(RealSession::start(
        bot,
        events,
        backend.media.clone(),
        backend.voice.clone(),
    ));

    // A local logout is dispatched by the client even while offline.
    client.logout().await;
    let event = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .unwrap();
    assert!(matches!(event, Some(WaEvent::LoggedOut { .. })), "{event:?}");

    let started = Instant::now();
    (session as Box<dyn WaSession>).shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn forget_deletes_only_the_store_files() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend(dir.path());
    let folder = dir.path().join("wa-01");
    std::fs::create_dir_all(&folder).unwrap();
    for name in [
        "whatsapp.db",
        "whatsapp.db-wal",
        "whatsapp.db-shm",
        "whatsapp.db-journal",
        "sim.json",
    ] {
        std::fs::write(folder.join(name), "x").unwrap();
    }
    backend
        .forget(&InstanceId::parse("wa-01").unwrap())
        .await
        .unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    left.sort();
    assert_eq!(left, ["sim.json"]);
    backend
        .forget(&InstanceId::parse("never-opened").unwrap())
        .await
        .unwrap();
}

/// The version the client would announce, as its device store holds it.
fn announced_version(client: &whatsapp_rust::Client) -> WaVersion {
    let device = client.persistence_manager().get_device_snapshot();
    WaVersion(
        device.app_version_primary,
        device.app_version_secondary,
        device.app_version_tertiary,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_version_is_announced_without_asking_web_whatsapp_com() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = WaVersion::parse("2.3000.1023456789").unwrap();
    let backend = backend(dir.path()).with_version(Some(pinned));
    let bot = backend
        .build_bot(&InstanceId::parse("wa-version").unwrap())
        .await
        .unwrap();
    let client = bot.client();
    assert_ne!(announced_version(&client), pinned, "the store starts elsewhere");
    let (events, _received) = mpsc::channel(16);
    let session = Box::new(RealSession::start(
        bot,
        events,
        backend.media.clone(),
        backend.voice.clone(),
    ));
    // Each connection attempt settles the version first; the closed port
    // makes the attempts fail, so no server is needed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while announced_version(&client) != pinned && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(announced_version(&client), pinned);
    (session as Box<dyn WaSession>).shutdown().await;
}
