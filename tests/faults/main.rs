//! Fault tests: the real binary killed mid-burst, the GHL receiver down in
//! several ways, an unusable SESSION_DIR and a failing store, and hostile
//! input thrown at every JSON route. Loopback only, bounded in time.

mod gateway;
mod hostile;
mod kill9;
mod receiver_down;
mod storage;
