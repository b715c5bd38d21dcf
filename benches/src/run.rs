//! One run of the benchmarks: criterion's settings and what the run
//! records beside criterion's estimates for `report.py`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::Criterion;

/// File in criterion's directory that describes the last run.
pub const RUN_FILE: &str = "sessions-run.json";

/// Whether `QUICK` is set (to anything but `0` or nothing).
pub fn quick() -> bool {
    std::env::var("QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Criterion for fast benchmarks (a few microseconds or less): short
/// warm-up and measurement, so the whole suite stays under ten minutes on
/// two cores (about three with `QUICK=1`).
pub fn criterion() -> Criterion {
    let (warm_up, measure, samples) = if quick() {
        (Duration::from_millis(300), Duration::from_millis(700), 30)
    } else {
        (Duration::from_millis(800), Duration::from_millis(1800), 60)
    };
    Criterion::default()
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .sample_size(samples)
        .nresamples(20_000)
        .configure_from_args()
}

/// Settings for slow benchmarks (a millisecond: fsync, network): fewer
/// samples, each of a few iterations.
pub fn slow_group_settings(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let (warm_up, measure, samples) = if quick() {
        (Duration::from_millis(300), Duration::from_secs(1), 10)
    } else {
        (Duration::from_millis(800), Duration::from_secs(3), 20)
    };
    group
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .sample_size(samples)
        .sampling_mode(criterion::SamplingMode::Flat);
}

/// Criterion's output directory, found as criterion finds it:
/// `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`, else the target
/// directory this binary was built in.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // target/release/deps/compare-HASH
    let exe = std::env::current_exe().expect("the bench binary has a path");
    exe.ancestors()
        .nth(3)
        .expect("the bench binary lives in target/PROFILE/deps")
        .join("criterion")
}

/// Cookie lengths and timings of one run, written as JSON for `report.py`.
#[derive(Debug, Default)]
pub struct RunRecord {
    started: u64,
    /// `(label, value length, name=value length as sent)`.
    lengths: Vec<(String, usize, usize)>,
    notes: Vec<(String, String)>,
}

impl RunRecord {
    /// Starts a record now.
    pub fn start() -> Self {
        Self {
            started: unix_now(),
            ..Self::default()
        }
    }

    /// Records the cookie of `label`.
    pub fn cookie_length(&mut self, label: &str, value_len: usize, wire_len: usize) {
        self.lengths.push((label.to_owned(), value_len, wire_len));
    }

    /// Records a remark for the report.
    pub fn note(&mut self, key: &str, text: &str) {
        self.notes.push((key.to_owned(), text.to_owned()));
    }

    /// Writes the record, with `finished` when the run is over.
    pub fn write(&self, finished: bool) {
        let mut json = String::from("{\n");
        let _ = writeln!(json, "  \"started\": {},", self.started);
        if finished {
            let _ = writeln!(json, "  \"finished\": {},", unix_now());
        }
        let _ = writeln!(json, "  \"quick\": {},", quick());
        json.push_str("  \"cookie_lengths\": [\n");
        let lengths: Vec<String> = self
            .lengths
            .iter()
            .map(|(label, value, wire)| {
                format!("    {{\"label\": {label:?}, \"value\": {value}, \"wire\": {wire}}}")
            })
            .collect();
        json.push_str(&lengths.join(",\n"));
        json.push_str("\n  ],\n  \"notes\": {\n");
        let notes: Vec<String> = self
            .notes
            .iter()
            .map(|(key, text)| format!("    {key:?}: {text:?}"))
            .collect();
        json.push_str(&notes.join(",\n"));
        json.push_str("\n  }\n}\n");
        let dir = criterion_dir();
        std::fs::create_dir_all(&dir).expect("criterion's directory can be created");
        std::fs::write(dir.join(RUN_FILE), json).expect("the run record can be written");
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
