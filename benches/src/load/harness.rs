//! A whole run: start every server, log the users in, warm up, then
//! alternate rounds (every system once per round, GET then POST), measure
//! each phase, and write the report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::cpu::cpu_ns;
use super::drive::{Outcome, Phase, connect, drive, login};
use super::report::{Rounds, Row, Sample, rows};
use super::servers::Server;
use super::settings::Settings;
use super::system::System;
use super::user::User;

/// File in criterion's directory that keeps the last run.
pub const LOAD_FILE: &str = "sessions-load.json";

/// One server and its logged-in users, split by connection.
struct Target {
    server: Server,
    shares: Vec<Vec<User>>,
}

/// Runs `systems` and returns the report's rows; an error when any answer
/// failed its check.
pub fn run(systems: &[System], settings: &Settings) -> Result<Vec<Row>, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut targets = Vec::new();
    for &system in systems {
        let server = Server::start(system)?;
        let shares = rt.block_on(login(server.port, settings.users, settings.conns))?;
        eprintln!(
            "{system}: {} users logged in on port {}",
            settings.users, server.port
        );
        targets.push(Target { server, shares });
    }
    for target in &mut targets {
        for phase in Phase::BOTH {
            rt.block_on(measure(target, phase, settings.warmup))?;
        }
    }
    let mut rounds: Rounds = Vec::new();
    for round in 0..settings.rounds {
        rounds.push(rt.block_on(run_round(&mut targets, round, settings.phase))?);
    }
    Ok(rows(systems, &rounds))
}

/// One round; it starts one system further each time, so that no system
/// always follows the same one.
async fn run_round(
    targets: &mut [Target],
    round: usize,
    phase_len: Duration,
) -> Result<BTreeMap<(usize, Phase), Sample>, String> {
    let mut samples = BTreeMap::new();
    let n = targets.len();
    for k in 0..n {
        let i = (k + round) % n;
        for phase in Phase::BOTH {
            let sample = measure(&mut targets[i], phase, phase_len).await?;
            eprintln!(
                "round {}: {:<22} {:<4} {:>7.0} req/s  {:>6.1} µs CPU/req  (generator {:.1})",
                round + 1,
                targets[i].server.system.name(),
                phase.name(),
                sample.per_second(),
                sample.cpu_us(),
                sample.generator_us()
            );
            samples.insert((i, phase), sample);
        }
    }
    Ok(samples)
}

/// One phase on one server, between two reads of its CPU counters.
async fn measure(target: &mut Target, phase: Phase, len: Duration) -> Result<Sample, String> {
    let server = &target.server;
    let conns = connect(server.port, target.shares.len()).await?;
    let shares = std::mem::take(&mut target.shares);
    let before = Counters::read(server)?;
    let (shares, outcome) = drive(conns, shares, phase, len).await;
    let after = Counters::read(server)?;
    target.shares = shares;
    check(server.system, phase, &outcome)?;
    let mut sample = Sample::new(outcome.requests, outcome.elapsed);
    sample.server_cpu_ns = after.server - before.server;
    sample.redis_cpu_ns = before.redis.zip(after.redis).map(|(b, a)| a - b);
    sample.generator_cpu_ns = after.generator - before.generator;
    sample.p50_us = outcome.latency.value_at_quantile(0.5);
    sample.p99_us = outcome.latency.value_at_quantile(0.99);
    Ok(sample)
}

/// The CPU counters of the processes of a phase, in nanoseconds.
struct Counters {
    server: u64,
    redis: Option<u64>,
    /// This process: the load generator (its threads).
    generator: u64,
}

impl Counters {
    fn read(server: &Server) -> Result<Self, String> {
        let cpu =
            |pid: u32| cpu_ns(pid).map_err(|e| format!("{}: CPU of {pid}: {e}", server.system));
        Ok(Self {
            server: cpu(server.pid)?,
            redis: server.redis_pid.map(cpu).transpose()?,
            generator: cpu(std::process::id())?,
        })
    }
}

/// Any failed answer fails the run: a figure of a server that loses
/// sessions would mean nothing.
fn check(system: System, phase: Phase, outcome: &Outcome) -> Result<(), String> {
    if outcome.failures > 0 {
        return Err(format!(
            "{system} {}: {} of {} answers failed their check; first: {}",
            phase.name(),
            outcome.failures,
            outcome.requests,
            outcome.first_failure.as_deref().unwrap_or("?")
        ));
    }
    if outcome.requests == 0 {
        return Err(format!("{system} {}: no request answered", phase.name()));
    }
    Ok(())
}

/// What the JSON file keeps.
#[derive(Serialize)]
struct Record<'a> {
    started: u64,
    finished: u64,
    settings: &'a Settings,
    rows: &'a [Row],
}

/// Writes the report beside criterion's output; returns its path.
pub fn write_json(settings: &Settings, started: u64, rows: &[Row]) -> std::io::Result<PathBuf> {
    let dir = output_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(LOAD_FILE);
    let record = Record {
        started,
        finished: unix_now(),
        settings,
        rows,
    };
    let json = serde_json::to_string_pretty(&record).map_err(std::io::Error::other)?;
    std::fs::write(&path, json + "\n")?;
    Ok(path)
}

/// Criterion's directory: `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`,
/// else `criterion` in the target directory this binary was built in
/// (`target/release/loadbench`).
fn output_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let exe = std::env::current_exe().expect("the binary has a path");
    exe.ancestors()
        .nth(2)
        .expect("the binary lives in target/PROFILE")
        .join("criterion")
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
