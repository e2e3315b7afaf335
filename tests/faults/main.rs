//! Fault tests: the real binary killed mid-burst, the GHL receiver down in
//! several ways, forwards claimed in memory across a burst and a kill, a
//! chat's messages kept in order behind a slow one, an unusable
//! SESSION_DIR, a full disk and a failing store, and hostile input thrown
//! at every JSON route. Loopback only, bounded in time.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod disk_full;
mod flood;
mod forward_claims;
mod gateway;
mod hostile;
mod kill9;
mod receiver_down;
mod slow_receiver;
mod storage;
mod trust;
