//! A server's CPU time, from the kernel's own counters.
//!
//! `/proc/<pid>/task/<tid>/schedstat` starts with the nanoseconds a thread
//! has run on a CPU (user and kernel time): summed over the threads, it
//! gives the process's CPU time at nanosecond precision, where
//! `/proc/<pid>/stat` counts 10 ms ticks. A thread that exits takes its
//! time with it, so the servers keep their threads alive (serve.rs).

use std::fs;
use std::io;

/// Nanoseconds of CPU the live threads of `pid` have used.
pub fn cpu_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        // A thread may exit between the listing and the read.
        let Ok(text) = fs::read_to_string(entry?.path().join("schedstat")) else {
            continue;
        };
        total += parse_schedstat(&text)
            .ok_or_else(|| io::Error::other(format!("unexpected schedstat: {text:?}")))?;
    }
    Ok(total)
}

/// The first field of a `schedstat` line: time on CPU, in nanoseconds.
fn parse_schedstat(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        assert_eq!(parse_schedstat("123 45 6\n"), Some(123));
        let spin: u64 = (0..1_000_000u64).map(std::hint::black_box).sum();
        assert!(spin > 0);
        assert!(cpu_ns(std::process::id()).expect("a readable /proc") > 0);
    }
}
