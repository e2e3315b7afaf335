//! The HTTP server under the routes: the accept loop (`listener`), each
//! connection's time limits (`connection`), request ids and metrics
//! (`observe`).

pub(super) mod connection;
pub(super) mod listener;
pub(super) mod observe;
