//! Servers that outlive a test process die with it.
//!
//! A server shared by every test of a binary lives in a `static`, and Rust
//! never drops statics: without this, each run would leave its servers
//! behind.

use std::process::{Command, Stdio};

/// Starts a small shell that waits for this process to end, however it
/// ends, then kills `pids` (SIGKILL).
///
/// ```no_run
/// let server = std::process::Command::new("sleep").arg("600").spawn().unwrap();
/// sessions_tests::reaper::kill_when_this_process_ends([server.id()]);
/// ```
///
/// # Panics
///
/// When `sh` cannot be started.
pub fn kill_when_this_process_ends(pids: impl IntoIterator<Item = u32>) {
    // `$0` is this process; the rest are the servers.
    let script = "while kill -0 \"$0\" 2>/dev/null; do sleep 0.2; done; kill -9 \"$@\" 2>/dev/null";
    watch(script, None, pids);
}

/// As [`kill_when_this_process_ends`], then removes `dir` with everything
/// in it: for a server whose data directory is large (a PostgreSQL
/// cluster), which a `static` would otherwise leave behind on every run.
///
/// ```no_run
/// let dir = sessions_tests::TempDir::new();
/// let server = std::process::Command::new("sleep").arg("600").spawn().unwrap();
/// sessions_tests::reaper::kill_and_remove_when_this_process_ends([server.id()], dir.path());
/// ```
///
/// # Panics
///
/// When `sh` cannot be started.
pub fn kill_and_remove_when_this_process_ends(
    pids: impl IntoIterator<Item = u32>,
    dir: &std::path::Path,
) {
    // `$0` is this process, `$1` the directory; the rest are the servers,
    // whose children may still write for a moment after the kill.
    let script = "while kill -0 \"$0\" 2>/dev/null; do sleep 0.2; done; dir=$1; shift; \
                  kill -9 \"$@\" 2>/dev/null; sleep 1; rm -rf \"$dir\"";
    watch(script, Some(dir), pids);
}

/// Starts `sh -c script` in the background with this process's id as
/// `$0`, then `dir` if any, then `pids`; its output goes nowhere.
#[expect(
    clippy::zombie_processes,
    reason = "the shell outlives this process by design, so it is never waited for"
)]
fn watch(script: &str, dir: Option<&std::path::Path>, pids: impl IntoIterator<Item = u32>) {
    let pids: Vec<String> = pids.into_iter().map(|pid| pid.to_string()).collect();
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(std::process::id().to_string())
        .args(dir)
        .args(pids)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh starts");
}
