//! Small pieces that several parts of the gateway share and that belong to
//! none of them: the clock, keyed locks, task liveness, the retry schedule,
//! sealed secrets and QR drawing.

pub mod clock;
pub mod keyed_lock;
pub mod liveness;
pub mod qr;
pub mod retry;
pub mod secrets;
