//! Whole requests (issue 16): small release-mode servers on loopback, one
//! process per system (ours on each store, the peers, a baseline without
//! sessions per framework), driven by a load generator of many logged-in
//! users that checks every answer, in alternating rounds; the report gives
//! requests/s, latency and server CPU per request above the baseline of
//! the same framework.
//!
//! `src/bin/loadbench.rs` is the entry point; see `benches/README.md`,
//! "Whole requests".

pub mod account;
pub mod actix_apps;
pub mod axum_ours;
pub mod axum_peers;
pub mod client;
pub mod cpu;
pub mod drive;
pub mod harness;
pub mod report;
pub mod serve;
pub mod servers;
pub mod settings;
pub mod system;
pub mod user;
