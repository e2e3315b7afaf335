//! Scale-out tests with several processes of the real binary on loopback,
//! sharing one Redis and one SESSION_DIR.

mod failover;
mod procs;
mod redis_restart;
