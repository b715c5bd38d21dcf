//! Issue 16, scale: what one load and one save cost in a `MemoryBackend`
//! and in a `FileBackend` holding 10^4, 10^5 and 10^6 live sessions
//! (DESIGN.md §9: flat costs as stores grow), and what `cleanup_expired`
//! costs over a million records. Its own bench target, so it builds and
//! runs alone:
//!
//! ```sh
//! cargo bench --manifest-path benches/Cargo.toml --bench scale
//! SCALE_STORES=memory cargo bench --manifest-path benches/Cargo.toml --bench scale
//! ```
//!
//! Beside the memory backend, `raw` is a bare `HashMap<SessionId, Record>`
//! of the same records, read and written at the same sampled ids: the
//! floor any in-memory map pays as it outgrows the CPU caches.
//!
//! The file store grows in one directory, filled through
//! [`Backend::create`] with many creates in flight, and each fill's time
//! is printed. At 10^6 it takes about 4 GB of disk (a 4 KiB block per
//! record) under the system temp dir, removed at the end. Then two timed
//! cleanups are printed: one over a million live records (what a reaper
//! pass costs when nothing expired) and one that removes them all.

use std::collections::HashMap;
use std::fs;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use sessions::store::{
    Backend, FileBackend, MemoryBackend, Record, SessionId, Times, UnixTime, Update,
};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Bytes of payload per record: a record file is 112 + 128 = 240 bytes.
const PAYLOAD: usize = 128;
/// Creates in flight while a file store is filled.
const IN_FLIGHT: usize = 256;
/// The sessions that loads and saves pick from at random, among all.
const SAMPLE: usize = 4096;

fn record(version: u64) -> Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_hours(24));
    Record::new(vec![7; PAYLOAD], times).with_version(version)
}

/// A temp directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        fs::remove_dir_all(&self.0).ok();
    }
}

/// The sessions a backend holds, each with the version it is at, and a
/// random sample of them for the timed loads and saves.
struct Live {
    ids: Vec<SessionId>,
    versions: Vec<u64>,
    sample: Vec<usize>,
    next: usize,
}

impl Live {
    fn new() -> Self {
        Self {
            ids: Vec::new(),
            versions: Vec::new(),
            sample: Vec::new(),
            next: 0,
        }
    }

    fn push(&mut self, id: SessionId) {
        self.ids.push(id);
        self.versions.push(1);
    }

    /// Draws a fresh sample among all the sessions.
    fn resample(&mut self) {
        self.sample = (0..SAMPLE)
            .map(|_| rand::random_range(0..self.ids.len()))
            .collect();
        self.sample.sort_unstable();
        self.sample.dedup();
    }

    /// The next sampled session, round robin, and its version.
    fn pick(&mut self) -> (&SessionId, &mut u64) {
        self.next = (self.next + 1) % self.sample.len();
        let at = self.sample[self.next];
        (&self.ids[at], &mut self.versions[at])
    }
}

/// Grows the file backend to `n` sessions, [`IN_FLIGHT`] creates at once.
async fn fill_files(backend: &FileBackend, live: &mut Live, n: usize) {
    let mut creates = JoinSet::new();
    while live.ids.len() + creates.len() < n || !creates.is_empty() {
        if live.ids.len() + creates.len() < n && creates.len() < IN_FLIGHT {
            let backend = backend.clone();
            creates.spawn(async move {
                let id = SessionId::generate();
                let made = backend.create(&id, &record(1), UnixTime::now()).await;
                assert!(made.expect("the store answers"), "a new id is free");
                id
            });
        } else if let Some(id) = creates.join_next().await {
            live.push(id.expect("a create task ends"));
        }
    }
}

fn fill_memory(backend: &MemoryBackend, live: &mut Live, n: usize) {
    let record = record(1);
    while live.ids.len() < n {
        let id = SessionId::generate();
        let created = sessions_benches::ready(backend.create(&id, &record, UnixTime::now()));
        assert!(created.expect("memory never fails"), "a new id is free");
        live.push(id);
    }
}

/// Times loads and saves (compare-and-set updates) of the sampled
/// sessions of `backend`, which holds `n`.
fn bench_ops<B: Backend>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    store: &str,
    backend: &B,
    live: &mut Live,
    n: usize,
) {
    live.resample();
    group.bench_function(BenchmarkId::new(format!("{store}/load"), n), |b| {
        b.iter(|| {
            let (id, _) = live.pick();
            let loaded = rt.block_on(backend.load(id, UnixTime::now(), PAYLOAD));
            black_box(
                loaded
                    .expect("the store answers")
                    .expect("the session is live"),
            );
        });
    });
    group.bench_function(BenchmarkId::new(format!("{store}/save"), n), |b| {
        b.iter(|| {
            let (id, version) = live.pick();
            let written =
                rt.block_on(backend.update(id, *version, &record(*version + 1), UnixTime::now()));
            assert_eq!(written.expect("the store answers"), Update::Written);
            *version += 1;
        });
    });
}

/// Times a bare map's read (a clone of the record, as a load returns)
/// and write (the record replaced) at the sampled ids of `live`.
fn bench_raw(
    group: &mut BenchmarkGroup<'_, WallTime>,
    map: &mut HashMap<SessionId, Record>,
    live: &mut Live,
    n: usize,
) {
    group.bench_function(BenchmarkId::new("raw/load", n), |b| {
        b.iter(|| {
            let (id, _) = live.pick();
            black_box(map.get(id).cloned().expect("the record is there"));
        });
    });
    group.bench_function(BenchmarkId::new("raw/save", n), |b| {
        b.iter(|| {
            // The versions in `live` are the backend's: left as they are.
            let (id, version) = live.pick();
            let slot = map.get_mut(id).expect("the record is there");
            *slot = record(*version + 1);
        });
    });
}

fn memory(c: &mut Criterion, rt: &Runtime) {
    let backend = MemoryBackend::new(usize::MAX);
    let mut raw = HashMap::new();
    let mut live = Live::new();
    let mut group = c.benchmark_group("scale");
    settings(&mut group);
    for n in SIZES {
        let from = live.ids.len();
        fill_memory(&backend, &mut live, n);
        raw.extend(live.ids[from..].iter().map(|id| (id.clone(), record(1))));
        bench_ops(&mut group, rt, "memory", &backend, &mut live, n);
        bench_raw(&mut group, &mut raw, &mut live, n);
    }
    group.finish();
    cleanups(rt, &backend, live.ids.len(), "memory records");
}

fn files(c: &mut Criterion, rt: &Runtime) {
    let root = TempDir(std::env::temp_dir().join(format!(
        "sessions-scale-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    )));
    let backend = FileBackend::open(&root.0).expect("the store opens");
    let mut live = Live::new();
    let mut group = c.benchmark_group("scale");
    settings(&mut group);
    for n in SIZES {
        let (from, start) = (live.ids.len(), Instant::now());
        rt.block_on(fill_files(&backend, &mut live, n));
        let took = start.elapsed();
        let rate = per_second(n - from, took);
        println!("scale: filled files {from} -> {n} in {took:.1?} ({rate:.0} creates/s)");
        bench_ops(&mut group, rt, "files", &backend, &mut live, n);
    }
    group.finish();
    cleanups(rt, &backend, live.ids.len(), "files");
}

/// Times `cleanup_expired` over all `n` records (`what` names them)
/// twice: when none has expired (a reaper's pass that finds nothing) and
/// when all have (it removes them all; a file store's directory is then
/// empty for the drop).
fn cleanups<B: Backend>(rt: &Runtime, backend: &B, n: usize, what: &str) {
    for (expired, now) in [
        ("none expired", UnixTime::now()),
        ("all expired", UnixTime::from_secs(u64::MAX / 2)),
    ] {
        let start = Instant::now();
        let removed = rt
            .block_on(backend.cleanup_expired(now))
            .expect("the cleanup runs");
        let took = start.elapsed();
        let rate = per_second(n, took);
        println!(
            "scale: cleanup_expired over {n} {what}, {expired}: removed {removed} in {took:.1?} ({rate:.0} records/s)"
        );
    }
}

/// `n` things in `took`, per second.
fn per_second(n: usize, took: Duration) -> f64 {
    f64::from(u32::try_from(n).expect("at most a million")) / took.as_secs_f64()
}

fn settings(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut c = Criterion::default().configure_from_args();
    // `SCALE_STORES=memory` or `files` runs one; both run by default.
    let stores = std::env::var("SCALE_STORES").unwrap_or_default();
    if stores.is_empty() || stores.contains("memory") {
        memory(&mut c, &rt);
    }
    if stores.is_empty() || stores.contains("files") {
        files(&mut c, &rt);
    }
    c.final_summary();
}
