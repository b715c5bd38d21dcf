//! The stripe locks that serialise the writes of one id across threads
//! and processes: 64 lock files in `dir/.locks`, one per stripe of ids.

use std::fs::File;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::Result;
use crate::id::SessionId;

use super::safe::{open_dir, open_lock_file};

/// Where the stripe lock files live, inside the session directory.
pub(super) const LOCK_DIR: &str = ".locks";
/// How many lock files the ids are spread over. Part of the on-disk
/// protocol: every process sharing a directory must agree on it.
const STRIPES: u8 = 64;

/// One lock file per stripe. The mutex orders this process's threads
/// (`flock` does not, on a shared descriptor); the `flock` orders
/// processes.
pub(super) struct Stripes(Vec<Mutex<File>>);

impl Stripes {
    /// Opens the lock directory of the session directory `dir` and its
    /// lock files, creating those that are missing. Refuses a lock
    /// directory that is not safe (see [`open_dir`]) and a lock file that
    /// is not a regular file.
    pub(super) fn open(dir: &Path) -> Result<Self> {
        let (locks, _) = open_dir(&dir.join(LOCK_DIR))?;
        let files = (0..STRIPES)
            .map(|n| open_lock_file(&locks.join(format!("{n:02}"))).map(Mutex::new))
            .collect::<Result<_>>()?;
        Ok(Self(files))
    }

    /// Locks the stripe of `id`, against this process's other threads and
    /// against other processes. Blocks; never call it on the executor.
    pub(super) fn lock(&self, id: &SessionId) -> Result<StripeGuard<'_>> {
        let file = self.0[stripe_of(id)]
            .lock()
            // The mutex guards no data, only the turn to take the flock.
            .unwrap_or_else(PoisonError::into_inner);
        file.lock()?;
        Ok(StripeGuard { file })
    }
}

/// A held stripe lock; unlocks the `flock` before releasing the mutex.
pub(super) struct StripeGuard<'a> {
    file: MutexGuard<'a, File>,
}

impl Drop for StripeGuard<'_> {
    fn drop(&mut self) {
        // Closing is not an option (the descriptor is reused), and an
        // unlock that fails leaves nothing to do: the kernel drops the lock
        // when the process exits.
        let _ = self.file.unlock();
    }
}

/// The stripe of `id`: a fixed hash (FNV-1a), the same in every process
/// and build, unlike std's randomly seeded hasher.
fn stripe_of(id: &SessionId) -> usize {
    let hash = id
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    usize::try_from(hash % u64::from(STRIPES)).expect("a stripe number is below STRIPES")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_are_pinned_and_all_used() {
        // Pinned: a different hash in another build would put two
        // processes sharing a directory on different locks for one id.
        let zeros = SessionId::from_bytes(&[0; 32]).unwrap();
        let counting: Vec<u8> = (0..32).collect();
        let counting = SessionId::from_bytes(&counting).unwrap();
        assert_eq!((stripe_of(&zeros), stripe_of(&counting)), (37, 5));
        let mut seen = [false; STRIPES as usize];
        for _ in 0..2000 {
            seen[stripe_of(&SessionId::generate())] = true;
        }
        assert!(seen.iter().all(|&s| s), "every stripe is used");
    }
}
