//! How long and how hard a run drives each server: defaults, `QUICK=1`,
//! and `LOAD_*` variables for anything else.

use std::time::Duration;

use serde::Serialize;

use crate::run::quick;

/// The settings of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// Rounds; each runs every system once, GET then POST.
    pub rounds: usize,
    /// Length of one phase (one system, GET or POST, one round).
    #[serde(serialize_with = "seconds")]
    pub phase: Duration,
    /// Unrecorded GET and POST phases of every system before round 1.
    #[serde(serialize_with = "seconds")]
    pub warmup: Duration,
    /// Logged-in users per server.
    pub users: u64,
    /// Concurrent connections.
    pub conns: usize,
    /// Worker threads of the load generator.
    pub threads: usize,
}

impl Settings {
    /// The defaults (5 rounds of 3 s phases, 1000 users, 32 connections),
    /// `QUICK=1` (3 rounds of 1 s), then `LOAD_ROUNDS`, `LOAD_SECS`,
    /// `LOAD_WARMUP_SECS`, `LOAD_USERS`, `LOAD_CONNS`, `LOAD_THREADS`.
    pub fn from_env() -> Self {
        let (rounds, secs, warmup) = if quick() {
            (3, 1.0, 0.5)
        } else {
            (5, 3.0, 1.0)
        };
        Self {
            rounds: var("LOAD_ROUNDS").unwrap_or(rounds),
            phase: Duration::from_secs_f64(var("LOAD_SECS").unwrap_or(secs)),
            warmup: Duration::from_secs_f64(var("LOAD_WARMUP_SECS").unwrap_or(warmup)),
            users: var("LOAD_USERS").unwrap_or(1000),
            conns: var("LOAD_CONNS").unwrap_or(32),
            threads: var("LOAD_THREADS").unwrap_or(2),
        }
    }

    /// Why these settings cannot run, if they cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if self.rounds == 0 || self.conns == 0 || self.threads == 0 {
            Some("LOAD_ROUNDS, LOAD_CONNS and LOAD_THREADS must be at least 1")
        } else if self.users < self.conns as u64 {
            Some("every connection needs a user: LOAD_USERS must be at least LOAD_CONNS")
        } else {
            None
        }
    }
}

/// A duration in the JSON: seconds, as the variables give it.
fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// The variable `name`, parsed; a value that does not parse is an error,
/// never silently the default.
fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    let parsed = value
        .parse()
        .unwrap_or_else(|_| panic!("{name}={value:?} does not parse"));
    Some(parsed)
}
