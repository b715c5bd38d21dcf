//! Group commit of the session directory's fsync: concurrent writers that
//! each need "my rename is durable" share one `fsync` of the directory
//! instead of running one each.
//!
//! # Why a shared fsync keeps every writer's promise
//!
//! A writer calls [`Commits::sync`] only after its own steps are done:
//! its temp file was written and fsynced (by the writer itself, before the
//! rename, so the record's bytes are on disk before any name points at
//! them), and it was renamed over the record. What is left is the
//! directory entry, which `fsync` of the directory makes durable, and an
//! `fsync` covers every change made to the directory before it *started*.
//!
//! Writers join the batch that has not started yet. A leader takes that
//! batch and swaps in a fresh one under the mutex, in the same step that
//! marks a sync as running, and only then calls `fsync`. So every writer
//! in the batch joined, and had renamed, before the `fsync` that settles
//! its batch started: no writer is released by an `fsync` that began
//! before its rename. A writer that arrives while an `fsync` runs joins
//! the next batch and waits for the next `fsync`, which its batch's
//! leader starts once the running one is over.
//!
//! Crash safety is that of one writer alone: at a crash before the
//! batch's `fsync` completes, no writer of the batch has returned, and
//! the directory holds the old record or the new one under each name,
//! each whole (the file's data was synced before its rename).
//!
//! Errors: the outcome of a batch's `fsync` is the outcome of every
//! writer in it. A failed `fsync` fails them all, even if a later one
//! succeeds: after a failed `fsync` the kernel may have dropped what it
//! could not write, so a later success proves nothing about it. Every
//! writer gets its own [`io::Error`] of the same kind, whose source is
//! the one the leader saw.
//!
//! Across processes there is nothing to share: `fsync` acts on the
//! directory's inode, whoever calls it, so another process's writers run
//! their own batches and each one's `fsync` covers its own renames.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// A batch's outcome: `Err` holds the leader's error, shared by the batch.
type Outcome = Result<(), Arc<io::Error>>;

/// The group commit of one `fsync` target.
pub(super) struct Commits {
    state: Mutex<State>,
    /// Signalled when a batch is settled (and no sync runs any more).
    settled: Condvar,
}

struct State {
    /// Whether a leader is running a sync now.
    running: bool,
    /// The batch whose sync has not started: the one a writer joins.
    open: Arc<Batch>,
}

/// Writers that one sync settles.
#[derive(Default)]
struct Batch {
    outcome: OnceLock<Outcome>,
}

impl Commits {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                running: false,
                open: Arc::default(),
            }),
            settled: Condvar::new(),
        }
    }

    /// Returns once a `sync` that started after this call has completed,
    /// with its outcome. `sync` runs on this thread when no sync is
    /// running (this thread leads the batch), else on the leader's. Blocks.
    pub(super) fn sync(&self, sync: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
        let mut state = self.lock();
        let batch = Arc::clone(&state.open);
        loop {
            if let Some(outcome) = batch.outcome.get() {
                return shared(outcome);
            }
            if !state.running {
                // Not settled and no sync running: nobody took this batch
                // yet (a leader settles it before it clears `running`), so
                // it is still the open one, and this thread leads it.
                debug_assert!(Arc::ptr_eq(&batch, &state.open));
                return self.lead(state, sync);
            }
            state = self
                .settled
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Closes the open batch, runs `sync` without the mutex and settles
    /// the batch with its outcome.
    fn lead(
        &self,
        mut state: MutexGuard<'_, State>,
        sync: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<()> {
        state.running = true;
        let mut leading = Leading {
            commits: self,
            batch: std::mem::take(&mut state.open),
            outcome: Err(Arc::new(io::Error::other("the directory sync panicked"))),
        };
        drop(state);
        leading.outcome = sync().map_err(Arc::new);
        shared(&leading.outcome)
    }

    /// The state; a poisoned mutex is taken as is: every update of the
    /// state is one assignment, so a panic cannot leave it half changed.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A leader's batch, settled when dropped: with the sync's outcome, or
/// with an error if the sync panicked, so that its writers are never
/// left waiting.
struct Leading<'a> {
    commits: &'a Commits,
    batch: Arc<Batch>,
    outcome: Outcome,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let outcome = std::mem::replace(&mut self.outcome, Ok(()));
        // Settled before `running` is cleared, so that a waiter that sees
        // no sync running knows its batch is still open. Only the leader
        // that closed a batch settles it, so the cell is empty.
        let _ = self.batch.outcome.set(outcome);
        self.commits.lock().running = false;
        self.commits.settled.notify_all();
    }
}

/// A writer's own copy of its batch's outcome: the same kind, the
/// leader's error as source.
fn shared(outcome: &Outcome) -> io::Result<()> {
    outcome
        .as_ref()
        .map(|&()| ())
        .map_err(|error| io::Error::new(error.kind(), Arc::clone(error)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    #[test]
    fn a_lone_writer_runs_its_own_sync() {
        let (commits, runs) = (Commits::new(), AtomicUsize::new(0));
        for _ in 0..3 {
            let ran = commits.sync(|| {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
            assert!(ran.is_ok());
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "nothing ran, nothing is shared"
        );
    }

    /// Every writer is settled by a sync that started after it joined:
    /// each writer bumps `written` before it joins, and the sync that
    /// releases it must have seen that count when it started.
    #[test]
    fn writers_are_released_only_by_a_sync_that_started_after_them() {
        const WRITERS: usize = 16;
        let commits = Commits::new();
        let (written, seen_by_sync) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let start = Barrier::new(WRITERS);
        let syncs = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..WRITERS {
                scope.spawn(|| {
                    start.wait();
                    for _ in 0..50 {
                        let mine = written.fetch_add(1, Ordering::SeqCst) + 1;
                        commits
                            .sync(|| {
                                syncs.fetch_add(1, Ordering::SeqCst);
                                seen_by_sync
                                    .fetch_max(written.load(Ordering::SeqCst), Ordering::SeqCst);
                                thread::yield_now();
                                Ok(())
                            })
                            .unwrap();
                        // The sync that covered this write saw it counted.
                        assert!(seen_by_sync.load(Ordering::SeqCst) >= mine);
                    }
                });
            }
        });
        let syncs = syncs.load(Ordering::SeqCst);
        assert!((1..=WRITERS * 50).contains(&syncs));
    }

    #[test]
    fn a_failed_sync_fails_its_whole_batch_with_the_leaders_error() {
        const WRITERS: usize = 8;
        let commits = Commits::new();
        let (inside, release) = (Barrier::new(2), Barrier::new(2));
        let joined = AtomicUsize::new(0);
        thread::scope(|scope| {
            // A leader holds a sync open while the others join the next
            // batch, whose leader's sync then fails.
            let first = scope.spawn(|| {
                commits.sync(|| {
                    inside.wait();
                    release.wait();
                    Ok(())
                })
            });
            inside.wait();
            let followers: Vec<_> = (0..WRITERS)
                .map(|_| {
                    scope.spawn(|| {
                        joined.fetch_add(1, Ordering::SeqCst);
                        commits.sync(|| Err(io::Error::other("disk on fire")))
                    })
                })
                .collect();
            while joined.load(Ordering::SeqCst) < WRITERS {
                thread::yield_now();
            }
            release.wait();
            assert!(first.join().unwrap().is_ok(), "the first batch synced");
            for follower in followers {
                let error = follower.join().unwrap().unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::Other);
                assert!(error.to_string().contains("disk on fire"), "{error}");
            }
        });
        assert!(
            commits.sync(|| Ok(())).is_ok(),
            "a later batch stands alone"
        );
    }
}
