//! What a create costs in a full `MemoryBackend` (which must evict one
//! record to make room) against a create below capacity (the raw insert),
//! at 10^4, 10^5 and 10^6 records, in one run (DESIGN.md §9: flat costs as
//! stores grow). Its own bench target, so it builds and runs alone:
//!
//! ```sh
//! cargo bench --manifest-path benches/Cargo.toml --bench memory_capacity
//! ```
//!
//! It also prints the memory a record costs (resident set growth over
//! 10^6 records of a 64-byte payload).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime};
use sessions_benches::ready;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);
const PAYLOAD: usize = 64;

fn record() -> Record {
    Record::new(vec![7; PAYLOAD], Times::fresh(NOW, Duration::from_hours(1)))
}

/// A backend of `capacity` holding `len` live records, every other one
/// loaded again (in use), as in a store that has served a while.
fn filled(capacity: usize, len: usize) -> MemoryBackend {
    let (backend, record) = (MemoryBackend::new(capacity), record());
    for i in 0..len {
        let id = SessionId::generate();
        assert!(ready(backend.create(&id, &record, NOW)).expect("memory never fails"));
        if i % 2 == 0 {
            assert!(ready(backend.load(&id, NOW, PAYLOAD)).is_ok_and(|r| r.is_some()));
        }
    }
    backend
}

/// Times `iters` creates of new ids; the ids are made before the clock
/// starts. With `undo`, deletes them again after it stops, so a backend
/// below capacity stays below it.
fn time_creates(backend: &MemoryBackend, iters: u64, undo: bool) -> Duration {
    let record = record();
    let ids: Vec<_> = (0..iters).map(|_| SessionId::generate()).collect();
    let start = Instant::now();
    for id in &ids {
        black_box(ready(backend.create(id, &record, NOW)).expect("memory never fails"));
    }
    let elapsed = start.elapsed();
    if undo {
        for id in &ids {
            ready(backend.delete(id)).expect("memory never fails");
        }
    }
    elapsed
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("memory_capacity");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    for n in SIZES {
        // No bound in reach: the raw insert into a map of n records.
        let below = filled(usize::MAX, n);
        group.bench_function(BenchmarkId::new("below-capacity", n), |b| {
            b.iter_custom(|iters| time_creates(&below, iters, true));
        });
        drop(below);
        let full = filled(n, n);
        group.bench_function(BenchmarkId::new("at-capacity", n), |b| {
            b.iter_custom(|iters| time_creates(&full, iters, false));
        });
        assert_eq!(full.len(), n, "a full backend stays full");
    }
    group.finish();
}

/// The resident set of this process, in bytes (Linux), if known.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Prints what a record costs in memory, payload included.
fn memory_per_record() {
    let n = 1_000_000;
    let Some(before) = resident_bytes() else {
        return;
    };
    let backend = filled(n, n);
    if let Some(after) = resident_bytes() {
        let per_record = after.saturating_sub(before) / n;
        println!(
            "memory_capacity: about {per_record} bytes per record of a {PAYLOAD}-byte payload"
        );
    }
    drop(backend);
}

fn main() {
    memory_per_record();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
