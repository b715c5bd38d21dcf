//! Replays `fuzz/corpus/` through the fuzz targets' checks, so that every
//! input the fuzzers kept (a fixed crash included) is a regression test of
//! the normal test run.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;

fn corpus(target: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "..", "fuzz", "corpus", target]
        .iter()
        .collect()
}

/// Runs `check` on every file of the target's corpus, naming the file that
/// breaks a property; a missing or empty corpus fails too, since a replay
/// of nothing would pass forever.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = corpus(target);
    let entries = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("no fuzz corpus at {}: {error}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("a readable corpus directory").path();
        let bytes = fs::read(&path)
            .unwrap_or_else(|error| panic!("unreadable {}: {error}", path.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            eprintln!("fuzz corpus input {} breaks a property", path.display());
            resume_unwind(panic);
        }
        replayed += 1;
    }
    assert!(
        replayed > 0,
        "the fuzz corpus at {} is empty",
        dir.display()
    );
}

#[test]
fn cookie_header_corpus() {
    replay("cookie_header", super::cookie_header);
}

#[test]
fn open_envelope_corpus() {
    replay("open_envelope", super::open_envelope);
}

#[test]
fn decode_record_corpus() {
    replay("decode_record", super::decode_record);
}

#[test]
fn cbor_precheck_corpus() {
    replay("cbor_precheck", |data| super::cbor_precheck(data, || None));
}
