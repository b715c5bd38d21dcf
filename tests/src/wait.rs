//! Bounded polling: wait for a condition, or panic saying what was last seen.
//!
//! The Redis topologies change state on their own clocks (elections,
//! gossip, replication). Tests poll for the state they need, and a wait that
//! runs out panics with the last observation, so a failure says why, never
//! hangs.

use std::time::{Duration, Instant};

/// How often a condition is checked again.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Checks `condition` until it returns `Ok`, at most for `limit`, and returns
/// the value with the time it took.
///
/// `Err` carries what was seen instead, for the panic message.
///
/// ```
/// use std::time::Duration;
/// use sessions_tests::wait::wait_until;
///
/// let mut tries = 0;
/// let (value, _took) = wait_until(Duration::from_secs(5), "the third try", || {
///     tries += 1;
///     if tries == 3 { Ok(tries) } else { Err(format!("try {tries}")) }
/// });
/// assert_eq!(value, 3);
/// ```
///
/// # Panics
///
/// When `limit` passes first, naming `what` and the last `Err`.
pub fn wait_until<T>(
    limit: Duration,
    what: &str,
    mut condition: impl FnMut() -> Result<T, String>,
) -> (T, Duration) {
    let started = Instant::now();
    loop {
        match condition() {
            Ok(value) => return (value, started.elapsed()),
            Err(seen) if started.elapsed() >= limit => {
                panic!("{what}: not within {limit:?}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(POLL_EVERY),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "never: not within 100ms; last seen: still no")]
    fn a_wait_that_runs_out_names_the_last_observation() {
        wait_until::<()>(Duration::from_millis(100), "never", || {
            Err("still no".to_owned())
        });
    }
}
