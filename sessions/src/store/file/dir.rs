//! The session directory: paths, temp files, stripe locks. Everything here
//! blocks; the backend runs it on tokio's blocking pool.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::record::{HEADER_LEN, Header, corrupt, is_corrupt};
use crate::store::{Record, Update};

use super::safe::{create_new, open_dir, open_lock_file, open_record};
/// Where the stripe lock files live, inside the session directory.
const LOCK_DIR: &str = ".locks";
/// How many lock files the ids are spread over. Part of the on-disk
/// protocol: every process sharing a directory must agree on it.
const STRIPES: u8 = 64;
/// Temp files are `.<pid>-<counter>-<random>.tmp`; no record name starts
/// with a dot.
const TEMP_SUFFIX: &str = ".tmp";
/// An empty, unlocked temp file younger than this may belong to a writer
/// that created it and has not locked it yet.
const TEMP_GRACE: Duration = Duration::from_secs(10);

/// When a record is written: only when absent, or only over a given
/// version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WriteIf {
    /// Insert-if-absent.
    Absent,
    /// Compare-and-set: only over a live record of this version.
    Version(u64),
}

impl WriteIf {
    /// What a write under this condition does when the live record is at
    /// version `found` (`None`: no live record). For [`Absent`](Self::Absent)
    /// a live record of any version is [`Update::Stale`]: not written.
    fn judge(self, found: Option<u64>) -> Update {
        match (self, found) {
            (Self::Absent, None) => Update::Written,
            (Self::Version(expected), Some(found)) if found == expected => Update::Written,
            (_, Some(_)) => Update::Stale,
            (Self::Version(_), None) => Update::Missing,
        }
    }
}

/// An open session directory.
pub(super) struct Dir {
    path: PathBuf,
    /// The directory itself, kept open to fsync renames and removals.
    handle: File,
    /// One lock file per stripe. The mutex orders this process's threads
    /// (`flock` does not, on a shared descriptor); the `flock` orders
    /// processes.
    stripes: Vec<Mutex<File>>,
}

impl Dir {
    /// Opens `path`, creating it (mode 0700) and its lock files if missing,
    /// and sweeps temp files that crashed writers left. Refuses a directory
    /// or lock directory that is not safe (see [`open_dir`]).
    pub(super) fn open(path: &Path) -> Result<Self> {
        let (path, handle) = open_dir(path)?;
        let (locks, _) = open_dir(&path.join(LOCK_DIR))?;
        let stripes = (0..STRIPES)
            .map(|n| open_lock_file(&locks.join(format!("{n:02}"))).map(Mutex::new))
            .collect::<Result<_>>()?;
        let dir = Self {
            path,
            handle,
            stripes,
        };
        dir.sweep_temps()?;
        Ok(dir)
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The live record under `id`, its payload at most `max` bytes; a
    /// larger one is refused from its header, before it is read.
    pub(super) fn load(&self, id: &SessionId, now: UnixTime, max: usize) -> Result<Option<Record>> {
        let Some(mut file) = open_record(&self.record_path(id)?)? else {
            return Ok(None);
        };
        let header = read_header(&mut file, id)?;
        let len = header.payload_len(max)?;
        if now >= header.times.expires_at {
            return Ok(None);
        }
        let mut payload = vec![0; len];
        read_exact(&mut file, &mut payload)?;
        Ok(Some(
            Record::new(payload, header.times).with_version(header.version),
        ))
    }

    /// Writes the encoded record `bytes` under `id` if the condition holds
    /// (expired counts as absent); returns what it did.
    ///
    /// The temp file is written and synced before the stripe lock is
    /// taken; under the lock there is only a header read (the one that
    /// finds the live record's version) and a rename.
    pub(super) fn write(
        &self,
        id: &SessionId,
        bytes: &[u8],
        condition: WriteIf,
        now: UnixTime,
    ) -> Result<Update> {
        let target = self.record_path(id)?;
        let temp = TempFile::write(&self.path, bytes)?;
        let outcome = {
            let _stripe = self.lock(id)?;
            let outcome = condition.judge(live_version(&target, id, now)?);
            if outcome.is_written() {
                temp.persist(&target)?;
            }
            outcome
        };
        if outcome.is_written() {
            self.sync()?;
        }
        Ok(outcome)
    }

    /// Removes the record under `id`, if any; whether there was one.
    pub(super) fn delete(&self, id: &SessionId) -> Result<bool> {
        let target = self.record_path(id)?;
        let removed = {
            let _stripe = self.lock(id)?;
            remove_if_exists(&target)?
        };
        if removed {
            self.sync()?;
        }
        Ok(removed)
    }

    /// Removes records expired at `now` and abandoned temp files; returns
    /// how many records went. Files that are not valid records, and
    /// symlinks, FIFOs and the like under a record's or a temp file's name,
    /// are left in place (an operator should look at them) and only
    /// counted in a warning that names no file.
    pub(super) fn cleanup(&self, now: UnixTime) -> Result<usize> {
        let (mut removed, mut invalid) = (0, 0);
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let outcome = if is_temp_name(name) {
                sweep_temp(&entry.path()).map(|_| false)
            } else if let Ok(id) = name.parse::<SessionId>() {
                self.remove_if_expired(&id, now)
            } else {
                continue;
            };
            match outcome {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(error) if is_corrupt(&error) => invalid += 1,
                Err(error) => return Err(error),
            }
        }
        if invalid > 0 {
            tracing::warn!(
                count = invalid,
                "session directory holds files that are not valid records"
            );
        }
        if removed > 0 {
            self.sync()?;
        }
        Ok(removed)
    }

    fn remove_if_expired(&self, id: &SessionId, now: UnixTime) -> Result<bool> {
        let path = self.record_path(id)?;
        let expired = |path: &Path| -> Result<bool> {
            Ok(match open_record(path)? {
                Some(mut file) => now >= read_header(&mut file, id)?.times.expires_at,
                None => false,
            })
        };
        // Checked without the lock first, so that live records cost no lock.
        if !expired(&path)? {
            return Ok(false);
        }
        let _stripe = self.lock(id)?;
        Ok(expired(&path)? && remove_if_exists(&path)?)
    }

    /// Removes every abandoned temp file; returns how many. What is not a
    /// regular file under a temp name is left in place with a warning.
    fn sweep_temps(&self) -> Result<usize> {
        let (mut swept, mut invalid) = (0, 0);
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            if !entry.file_name().to_str().is_some_and(is_temp_name) {
                continue;
            }
            match sweep_temp(&entry.path()) {
                Ok(true) => swept += 1,
                Ok(false) => {}
                Err(error) if is_corrupt(&error) => invalid += 1,
                Err(error) => return Err(error),
            }
        }
        if swept > 0 {
            tracing::debug!(count = swept, "swept temp files of crashed session writers");
        }
        if invalid > 0 {
            tracing::warn!(
                count = invalid,
                "session directory holds temp names that are not regular files"
            );
        }
        Ok(swept)
    }

    /// The one place that builds a record's path. The id's text form is
    /// parsed back with the strict parser first: only 43 base64url
    /// characters ever reach the file system, whatever `SessionId` becomes.
    fn record_path(&self, id: &SessionId) -> Result<PathBuf> {
        let name = id.to_string();
        match name.parse::<SessionId>() {
            Ok(parsed) if parsed == *id => Ok(self.path.join(name)),
            _ => Err(Error::InvalidId),
        }
    }

    /// Locks the stripe of `id`, against this process's other threads and
    /// against other processes. Blocks; never call it on the executor.
    fn lock(&self, id: &SessionId) -> Result<StripeGuard<'_>> {
        let file = self.stripes[stripe_of(id)]
            .lock()
            // The mutex guards no data, only the turn to take the flock.
            .unwrap_or_else(PoisonError::into_inner);
        file.lock()?;
        Ok(StripeGuard { file })
    }

    fn sync(&self) -> Result<()> {
        Ok(self.handle.sync_all()?)
    }
}

/// A held stripe lock; unlocks the `flock` before releasing the mutex.
struct StripeGuard<'a> {
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

/// A temp file being written. Its writer holds a `flock` on it until it is
/// renamed or removed, which tells sweepers that it is not abandoned.
/// Dropped without [`persist`](Self::persist), it is removed.
struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    /// Creates a uniquely named temp file in `dir`, locks it, writes
    /// `bytes` and syncs them.
    fn write(dir: &Path, bytes: &[u8]) -> Result<Self> {
        let path = dir.join(temp_name());
        let file = create_new(&path)?;
        let mut temp = Self {
            path,
            file,
            persisted: false,
        };
        // Blocks only while a sweeper looks at the new, empty file.
        temp.file.lock()?;
        temp.file.write_all(bytes)?;
        temp.file.sync_all()?;
        Ok(temp)
    }

    /// Renames the temp file over `target`.
    fn persist(mut self, target: &Path) -> Result<()> {
        fs::rename(&self.path, target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Best effort: what is left is swept by the next cleanup.
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn temp_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random: u64 = rand::random();
    format!(".{}-{n}-{random:016x}{TEMP_SUFFIX}", std::process::id())
}

fn is_temp_name(name: &str) -> bool {
    name.len() > 1 + TEMP_SUFFIX.len() && name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Removes the temp file at `path` if its writer is gone: nobody holds its
/// lock, and it has content or has been empty for [`TEMP_GRACE`]. Something
/// other than a regular file there is an error, [corrupt], and stays.
fn sweep_temp(path: &Path) -> Result<bool> {
    let Some(file) = open_record(path)? else {
        return Ok(false);
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(false),
        Err(TryLockError::Error(error)) => return Err(error.into()),
    }
    let meta = file.metadata()?;
    let old = meta
        .modified()
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age >= TEMP_GRACE);
    if meta.len() == 0 && !old {
        return Ok(false);
    }
    remove_if_exists(path)
}

/// The version of the valid, unexpired record of `id` at `path`, if there
/// is one. No size limit: the header is enough to judge expiry and
/// version, and a write replaces the file whole.
fn live_version(path: &Path, id: &SessionId, now: UnixTime) -> Result<Option<u64>> {
    let Some(mut file) = open_record(path)? else {
        return Ok(None);
    };
    let header = read_header(&mut file, id)?;
    Ok((now < header.times.expires_at).then_some(header.version))
}

/// Reads and checks the header of an open record file of `id`, and that
/// the file is as long as the header says; the position is left at the
/// payload.
fn read_header(file: &mut File, id: &SessionId) -> Result<Header> {
    let file_len = file.metadata()?.len();
    if file_len < HEADER_LEN as u64 {
        return Err(corrupt("shorter than the header"));
    }
    let mut bytes = [0; HEADER_LEN];
    read_exact(file, &mut bytes)?;
    let header = Header::decode(&bytes, id)?;
    if header.encoded_len() != file_len {
        return Err(corrupt("length does not match the header"));
    }
    Ok(header)
}

fn read_exact(file: &mut File, buf: &mut [u8]) -> Result<()> {
    file.read_exact(buf).map_err(|error| match error.kind() {
        // Only another writer changing the file in place gets here.
        io::ErrorKind::UnexpectedEof => corrupt("file ended early"),
        _ => Error::Io(error),
    })
}

fn remove_if_exists(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error.into()),
    }
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

    #[test]
    fn conditions_judge_the_live_version() {
        use Update::{Missing, Stale, Written};
        let cases = [
            (WriteIf::Absent, None, Written),
            (WriteIf::Absent, Some(1), Stale),
            (WriteIf::Version(1), Some(1), Written),
            (WriteIf::Version(1), Some(2), Stale),
            (WriteIf::Version(2), Some(1), Stale),
            (WriteIf::Version(1), None, Missing),
        ];
        for (condition, found, outcome) in cases {
            assert_eq!(
                condition.judge(found),
                outcome,
                "{condition:?} over {found:?}"
            );
        }
    }

    #[test]
    fn temp_names_are_unique_hidden_and_recognised() {
        let (a, b) = (temp_name(), temp_name());
        assert_ne!(a, b);
        assert!(is_temp_name(&a) && a.starts_with('.'));
        assert!(!is_temp_name(".tmp"));
        assert!(!is_temp_name(LOCK_DIR));
        assert!(!is_temp_name(&SessionId::generate().to_string()));
    }
}
