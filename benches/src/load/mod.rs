//! Whole requests (issue 16): small release-mode servers on loopback, one
//! process per system (ours on each store, the peers, a baseline without
//! sessions per framework), driven by a load generator of many logged-in
//! users that checks every answer, in alternating rounds; the report gives
//! requests/s, latency and server CPU per request above the baseline of
//! the same framework.
//!
//! This commit holds the servers; the load generator follows.

pub mod account;
pub mod actix_apps;
pub mod axum_ours;
pub mod axum_peers;
pub mod serve;
pub mod system;
