//! The task behind every store's `spawn_reaper`: a cleanup every period,
//! until the store is gone.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::error::Result;

/// The shortest period a reaper accepts: a zero period would spin.
const MIN_REAP_PERIOD: Duration = Duration::from_millis(1);

/// Runs the cleanup that `next` gives every `every` (at least a
/// millisecond) in a tokio task, first one period from now. `next` gives
/// `None` once the store is dropped (it holds only a weak reference), and
/// the task ends. Failures are logged (`warn`) and retried at the next
/// tick; a late tick waits a whole period before the next.
pub(crate) fn spawn_reaper<F, C>(every: Duration, mut next: F) -> JoinHandle<()>
where
    F: FnMut() -> Option<C> + Send + 'static,
    C: Future<Output = Result<usize>> + Send,
{
    let every = every.max(MIN_REAP_PERIOD);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(cleanup) = next() else { break };
            match cleanup.await {
                Ok(removed) => tracing::debug!(removed, "session reaper ran"),
                Err(error) => tracing::warn!(%error, "session reaper failed"),
            }
        }
    })
}
