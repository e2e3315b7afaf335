//! The binary's operator commands, kept in the library so tests can reach
//! them: `healthcheck` (what the container's HEALTHCHECK runs), and
//! `instances`, `qr`, `send` against a running gateway's API.

pub mod client;
pub mod healthcheck;
pub mod operate;
