//! The binary's operator commands, kept in the library so tests can reach
//! them: `healthcheck` (what the container's HEALTHCHECK runs).

pub mod healthcheck;
