//! How long this process may still act for each instance it runs. With
//! Redis, an instance is ours only while its lease lasts; the coordinator
//! notes, at each acquire and renewal, the moment before it asked (the
//! lease then lasts at least a lease time from that moment). A sender hands
//! a message to WhatsApp only while that promise still covers a margin, so
//! a process that was frozen past its lease (a stopped container, a stalled
//! VM) and whose instance another process took over does not send again
//! what the new owner may already have sent. Embedded, nothing is leased.

use crate::domain::InstanceId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct Tenure {
    /// None: sessions here answer to no lease (the embedded store).
    leased: Option<Leased>,
}

struct Leased {
    /// How much of the lease must be left for a send to start.
    margin: Duration,
    until: Mutex<HashMap<InstanceId, Instant>>,
}

impl Tenure {
    /// Every session here may always send.
    pub fn unlimited() -> Self {
        Self { leased: None }
    }

    /// Sessions here send only while their lease lasts `margin` longer.
    pub fn leased(margin: Duration) -> Self {
        Self {
            leased: Some(Leased {
                margin,
                until: Mutex::default(),
            }),
        }
    }

    /// The instance's lease surely lasts until `until`.
    pub fn hold_until(&self, id: &InstanceId, until: Instant) {
        if let Some(leased) = &self.leased {
            leased.lock().insert(id.clone(), until);
        }
    }

    /// The instance is no longer ours.
    pub fn end(&self, id: &InstanceId) {
        if let Some(leased) = &self.leased {
            leased.lock().remove(id);
        }
    }
}

/// A send for the instance may start while the lease lasts longer than
/// the margin.
impl crate::send::SendPermission for Tenure {
    fn allows_send(&self, id: &InstanceId) -> bool {
        let Some(leased) = &self.leased else {
            return true;
        };
        let until = leased.lock().get(id).copied();
        until.is_some_and(|until| Instant::now() + leased.margin < until)
    }
}

impl Leased {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<InstanceId, Instant>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::SendPermission;

    fn wa01() -> InstanceId {
        InstanceId::parse("wa-01").unwrap()
    }

    #[test]
    fn without_leases_every_send_is_allowed() {
        assert!(Tenure::unlimited().allows_send(&wa01()));
    }

    #[test]
    fn a_lease_allows_sends_until_only_the_margin_is_left() {
        let tenure = Tenure::leased(Duration::from_millis(500));
        assert!(!tenure.allows_send(&wa01()), "an instance never held");
        tenure.hold_until(&wa01(), Instant::now() + Duration::from_secs(5));
        assert!(tenure.allows_send(&wa01()));
        tenure.hold_until(&wa01(), Instant::now() + Duration::from_millis(400));
        assert!(!tenure.allows_send(&wa01()), "less than the margin left");
        tenure.hold_until(&wa01(), Instant::now() + Duration::from_secs(5));
        tenure.end(&wa01());
        assert!(!tenure.allows_send(&wa01()), "a lease given up");
    }
}
