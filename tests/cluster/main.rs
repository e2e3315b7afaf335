//! Scale-out tests with several processes of the real binary on loopback,
//! sharing one Redis and one SESSION_DIR.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod failover;
mod frozen;
mod live;
mod procs;
mod redis_full;
mod redis_restart;
