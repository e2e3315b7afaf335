//! The once-per-incident rules, on a paused clock.

use super::*;

const AFTER: Duration = Duration::from_secs(300);

fn seen(status: InstanceStatus) -> Seen {
    Seen {
        status,
        banned: false,
        outdated: false,
        linked: true,
        deliberate: false,
    }
}

#[tokio::test(start_paused = true)]
async fn offline_alerts_once_after_the_delay_and_recovers_once() {
    let mut t = InstanceTracker::default();
    assert_eq!(t.observe(seen(InstanceStatus::Online), Instant::now()), None);
    assert_eq!(
        t.observe(seen(InstanceStatus::Reconnecting), Instant::now()),
        None
    );
    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
    assert_eq!(t.observe(seen(InstanceStatus::Connecting), Instant::now()), None);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        t.tick(Instant::now(), AFTER),
        Some(Change::Opened(Incident::Offline))
    );
    assert_eq!(t.offline_deadline(AFTER), None);
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
    assert_eq!(
        t.observe(seen(InstanceStatus::Reconnecting), Instant::now()),
        None
    );
    assert_eq!(
        t.observe(seen(InstanceStatus::Online), Instant::now()),
        Some(Change::Recovered(Incident::Offline))
    );
    assert_eq!(t.observe(seen(InstanceStatus::Online), Instant::now()), None);
}

#[tokio::test(start_paused = true)]
async fn a_short_drop_is_no_incident() {
    let mut t = InstanceTracker::default();
    t.observe(seen(InstanceStatus::Reconnecting), Instant::now());
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(t.observe(seen(InstanceStatus::Online), Instant::now()), None);
    tokio::time::advance(Duration::from_secs(600)).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
    assert_eq!(t.offline_deadline(AFTER), None);
}

#[tokio::test(start_paused = true)]
async fn logout_and_ban_alert_at_once_and_only_once() {
    let mut t = InstanceTracker::default();
    let now = Instant::now();
    let logged_out = seen(InstanceStatus::LoggedOut);
    assert_eq!(
        t.observe(logged_out, now),
        Some(Change::Opened(Incident::LoggedOut))
    );
    assert_eq!(t.observe(logged_out, now), None);
    assert_eq!(t.observe(seen(InstanceStatus::Pairing), now), None);
    assert_eq!(
        t.observe(seen(InstanceStatus::Online), now),
        Some(Change::Recovered(Incident::LoggedOut))
    );
    let banned = Seen {
        banned: true,
        ..seen(InstanceStatus::Offline)
    };
    assert_eq!(t.observe(banned, now), Some(Change::Opened(Incident::Banned)));
    tokio::time::advance(AFTER * 2).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
    assert_eq!(t.observe(banned, Instant::now()), None);
}

#[tokio::test(start_paused = true)]
async fn a_refused_client_version_alerts_at_once_and_recovers_online() {
    let mut t = InstanceTracker::default();
    let outdated = Seen {
        outdated: true,
        ..seen(InstanceStatus::Offline)
    };
    let now = Instant::now();
    assert_eq!(t.observe(outdated, now), Some(Change::Opened(Incident::Outdated)));
    assert_eq!(t.observe(outdated, now), None);
    tokio::time::advance(AFTER * 2).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
    assert_eq!(
        t.observe(seen(InstanceStatus::Online), Instant::now()),
        Some(Change::Recovered(Incident::Outdated))
    );
}

#[tokio::test(start_paused = true)]
async fn an_unlinked_instance_is_never_offline() {
    let mut t = InstanceTracker::default();
    let unlinked = Seen {
        linked: false,
        ..seen(InstanceStatus::Offline)
    };
    assert_eq!(t.observe(unlinked, Instant::now()), None);
    tokio::time::advance(AFTER * 2).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
}

#[tokio::test(start_paused = true)]
async fn a_logout_through_the_api_is_no_incident() {
    let mut t = InstanceTracker::default();
    let asked = Seen {
        deliberate: true,
        ..seen(InstanceStatus::LoggedOut)
    };
    assert_eq!(t.observe(asked, Instant::now()), None);
    tokio::time::advance(AFTER * 2).await;
    assert_eq!(t.tick(Instant::now(), AFTER), None);
}

#[test]
fn dead_letters_alert_once_until_forwards_flow_again() {
    let mut t = DeadLetterTracker::new(2, 10);
    assert_eq!(t.observe(2, 11), None);
    assert_eq!(t.observe(4, 11), Some(ForwardChange::Opened(2)));
    assert_eq!(t.observe(5, 11), None);
    assert_eq!(t.observe(6, 12), None);
    assert_eq!(t.observe(6, 13), Some(ForwardChange::Recovered));
    assert_eq!(t.observe(6, 14), None);
}

#[test]
fn a_block_on_new_contacts_alerts_once_and_once_when_lifted() {
    let mut t = BlockTracker::default();
    assert_eq!(t.observe(false), None);
    assert_eq!(t.observe(true), Some(true));
    assert_eq!(t.observe(true), None);
    assert_eq!(t.observe(false), Some(false));
    assert_eq!(t.observe(false), None);
}

#[test]
fn each_rise_of_undecryptable_messages_alerts_with_the_new_count() {
    let mut tracker = UndecryptableTracker::default();
    assert_eq!(tracker.observe("wa-01", 0), None);
    assert_eq!(tracker.observe("wa-01", 2), Some(2));
    assert_eq!(tracker.observe("wa-01", 2), None, "no rise, no alert");
    assert_eq!(tracker.observe("wa-02", 1), Some(1), "instances apart");
    assert_eq!(tracker.observe("wa-01", 3), Some(1));
}
