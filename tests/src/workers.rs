//! Worker processes of the tests that re-execute their own binary (several
//! processes on one store directory): killed if a test fails before they
//! end, and awaited with their stderr in the failure message.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Polls `done` every millisecond until it holds or `deadline` passes;
/// whether it held. Says on stderr what it gave up on.
pub fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + deadline;
    while !done() {
        if Instant::now() > deadline {
            eprintln!("gave up waiting: {what}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Worker processes; any still running when the test fails are killed.
pub struct Workers(pub Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits at most a minute for `child` (spawned with a piped stderr), then
/// kills it; panics with its stderr unless it succeeded.
///
/// # Panics
///
/// When the worker failed or had to be killed.
pub fn wait_success(child: &mut Child) {
    let mut status: Option<ExitStatus> = None;
    wait_for("a worker to exit", Duration::from_mins(1), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if status.is_none() {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "worker failed: {stderr}");
}
