//! The report of a run: per system and phase, medians over the rounds of
//! requests/s, latency and server CPU per request, and the CPU above the
//! baseline of the same framework, taken round by round (one round's
//! systems ran minutes apart at most, so they saw the same machine).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::drive::Phase;
use super::system::System;

/// One phase of one system in one round.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// Requests answered.
    pub requests: u64,
    /// Seconds from the start to the last answer.
    pub seconds: f64,
    /// The server process's CPU over the phase, in nanoseconds.
    pub server_cpu_ns: u64,
    /// Its `redis-server`'s, for the Redis systems.
    pub redis_cpu_ns: Option<u64>,
    /// The load generator's (the process of the run), which shares the
    /// cores with the server.
    pub generator_cpu_ns: u64,
    /// Latency percentiles, in microseconds.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
}

impl Sample {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        float(self.requests) / self.seconds
    }

    /// Server CPU per request, in microseconds.
    pub fn cpu_us(&self) -> f64 {
        float(self.server_cpu_ns) / 1000.0 / float(self.requests.max(1))
    }

    /// The `redis-server`'s CPU per request, in microseconds.
    pub fn redis_us(&self) -> Option<f64> {
        self.redis_cpu_ns
            .map(|ns| float(ns) / 1000.0 / float(self.requests.max(1)))
    }

    /// The load generator's CPU per request, in microseconds.
    pub fn generator_us(&self) -> f64 {
        float(self.generator_cpu_ns) / 1000.0 / float(self.requests.max(1))
    }

    /// A phase of `requests` answered in `elapsed`; the CPU and latency
    /// fields are the caller's to fill.
    pub fn new(requests: u64, elapsed: Duration) -> Self {
        Self {
            requests,
            seconds: elapsed.as_secs_f64(),
            server_cpu_ns: 0,
            redis_cpu_ns: None,
            generator_cpu_ns: 0,
            p50_us: 0,
            p99_us: 0,
        }
    }
}

/// The medians of one system and phase.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The system.
    pub system: &'static str,
    /// The baseline it is compared with (itself for a baseline).
    pub baseline: &'static str,
    /// `GET` or `POST`.
    pub phase: &'static str,
    /// Median requests/s.
    pub per_second: f64,
    /// Median p50 latency, µs.
    pub p50_us: f64,
    /// Median p99 latency, µs.
    pub p99_us: f64,
    /// Median server CPU per request, µs.
    pub cpu_us: f64,
    /// Median over rounds of (this − baseline of the same round), µs.
    pub above_baseline_us: f64,
    /// Median over rounds of (this / baseline of the same round).
    pub ratio: f64,
    /// Median `redis-server` CPU per request, µs.
    pub redis_us: Option<f64>,
    /// Median load-generator CPU per request, µs.
    pub generator_us: f64,
    /// Every round, in order.
    pub rounds: Vec<Sample>,
}

/// Samples of every round: `rounds[r][(system, phase)]`.
pub type Rounds = Vec<BTreeMap<(usize, Phase), Sample>>;

/// The rows of the report, in the order of `systems` then phases.
pub fn rows(systems: &[System], rounds: &Rounds) -> Vec<Row> {
    let index = |system: System| systems.iter().position(|s| *s == system);
    let mut rows = Vec::new();
    for (i, system) in systems.iter().enumerate() {
        for phase in Phase::BOTH {
            let samples: Vec<Sample> = rounds.iter().map(|r| r[&(i, phase)].clone()).collect();
            let base: Option<Vec<&Sample>> =
                index(system.baseline()).map(|b| rounds.iter().map(|r| &r[&(b, phase)]).collect());
            let paired = |f: &dyn Fn(&Sample, &Sample) -> f64| {
                base.as_ref().map_or(f64::NAN, |base| {
                    median(samples.iter().zip(base).map(|(s, b)| f(s, b)).collect())
                })
            };
            rows.push(Row {
                system: system.name(),
                baseline: system.baseline().name(),
                phase: phase.name(),
                per_second: median(samples.iter().map(Sample::per_second).collect()),
                p50_us: median(samples.iter().map(|s| float(s.p50_us)).collect()),
                p99_us: median(samples.iter().map(|s| float(s.p99_us)).collect()),
                cpu_us: median(samples.iter().map(Sample::cpu_us).collect()),
                above_baseline_us: paired(&|s, b| s.cpu_us() - b.cpu_us()),
                ratio: paired(&|s, b| s.cpu_us() / b.cpu_us()),
                redis_us: samples[0]
                    .redis_cpu_ns
                    .map(|_| median(samples.iter().filter_map(Sample::redis_us).collect())),
                generator_us: median(samples.iter().map(Sample::generator_us).collect()),
                rounds: samples,
            });
        }
    }
    rows
}

/// `n` as a float: counts and nanoseconds of a run stay far below 2^52,
/// where the conversion is exact.
#[allow(clippy::cast_precision_loss)]
fn float(n: u64) -> f64 {
    n as f64
}

/// The median (mean of the middle two for an even count); NaN when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

/// The markdown table: one line per system, GET then POST.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| system | GET req/s | GET p50/p99 µs | GET CPU µs/req | GET above baseline µs (ratio) \
         | POST req/s | POST p50/p99 µs | POST CPU µs/req | POST above baseline µs (ratio) \
         | Redis CPU µs/req GET/POST |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for pair in rows.chunks(2) {
        let [get, post] = pair else { continue };
        let _ = write!(out, "| {} ", get.system);
        for row in [get, post] {
            let _ = write!(
                out,
                "| {:.0} | {:.0}/{:.0} | {:.1} | {} ",
                row.per_second,
                row.p50_us,
                row.p99_us,
                row.cpu_us,
                above(row)
            );
        }
        let redis = match (get.redis_us, post.redis_us) {
            (Some(g), Some(p)) => format!("{g:.1}/{p:.1}"),
            _ => "–".to_owned(),
        };
        let _ = writeln!(out, "| {redis} |");
    }
    out
}

fn above(row: &Row) -> String {
    if row.system == row.baseline {
        "baseline".to_owned()
    } else if row.above_baseline_us.is_nan() {
        "–".to_owned()
    } else {
        format!("{:+.1} ({:.2}x)", row.above_baseline_us, row.ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert!((median(vec![3.0, 1.0, 2.0]) - 2.0).abs() < 1e-12);
        assert!((median(vec![4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < 1e-12);
        assert!(median(Vec::new()).is_nan());
    }
}
