//! Records this process read lately, served again while the file under
//! the record's name is provably the one they came from (Linux).
//!
//! A cached load is four syscalls (`openat2`, `fstat`, `preadv2`,
//! `close`), an allocation and a parse; one `fstatat` of the name answers
//! whether the file changed. Every write of the store is a new file
//! renamed over the name, by this process or another, so a write always
//! changes what `fstatat` reports: a new inode, with its own change time.
//! A record is served from here only when the name's metadata (device,
//! inode, size, modification and change times, to the nanosecond) equals
//! what it had when the record was read; anything else (another inode, a
//! missing file, a symlink, an error) falls back to reading the file.
//!
//! File system timestamps are coarse (a clock tick): two files written in
//! one tick could carry the same times, and a freed inode number may be
//! given to the next file. So a record is only kept once its file has been
//! unchanged for [`SETTLED`]: a file that replaces it later gets a change
//! time at least that much later, never the same one. A session saved
//! within the last second is read from its file, as before.
//!
//! The memory is bounded by [`MAX_ENTRIES`] records and [`MAX_BYTES`] of
//! payload; when full, arbitrary entries make room. Nothing here is
//! trusted over the file: an entry only ever stands for a file that was
//! read and passed every check of a load.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, FileType, Stat};

use crate::codec::UnixTime;
use crate::id::SessionId;
use crate::store::Record;

/// How long a file must have been unchanged before its record is kept.
pub(super) const SETTLED: Duration = Duration::from_secs(1);

/// The most records kept.
pub(super) const MAX_ENTRIES: usize = 16 * 1024;

/// The most payload bytes kept, all records together.
pub(super) const MAX_BYTES: usize = 16 * 1024 * 1024;

/// What `fstat` says of a file that tells one file, or one version of a
/// file, from another.
#[derive(Clone, Copy)]
pub(super) struct Stamp(Stat);

impl Stamp {
    /// The stamp of a regular file; `None` for anything else.
    pub(super) fn of(stat: Stat) -> Option<Self> {
        let regular = FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile;
        regular.then_some(Self(stat))
    }

    /// Device, inode, size, and modification and change times to the
    /// nanosecond (the field types differ between architectures).
    fn same_file(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        (a.st_dev, a.st_ino, a.st_size) == (b.st_dev, b.st_ino, b.st_size)
            && (a.st_mtime, a.st_mtime_nsec) == (b.st_mtime, b.st_mtime_nsec)
            && (a.st_ctime, a.st_ctime_nsec) == (b.st_ctime, b.st_ctime_nsec)
    }

    /// Whether the file was last changed at least [`SETTLED`] before
    /// `wall_now` (a time before the epoch settles nothing).
    fn is_settled(&self, wall_now: SystemTime) -> bool {
        let secs = u64::try_from(self.0.st_ctime).ok();
        let nanos = u32::try_from(self.0.st_ctime_nsec).ok();
        let (Some(secs), Some(nanos)) = (secs, nanos) else {
            return false;
        };
        let changed = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
        changed + SETTLED <= wall_now
    }
}

struct Entry {
    stamp: Stamp,
    record: Record,
}

/// What a kept record answers for a load.
#[derive(Debug, PartialEq)]
pub(super) enum Kept {
    /// The record, live.
    Live(Record),
    /// Expired: no session, as the file would say.
    Expired,
}

impl From<Kept> for Option<Record> {
    fn from(kept: Kept) -> Self {
        match kept {
            Kept::Live(record) => Some(record),
            Kept::Expired => None,
        }
    }
}

/// The records of settled files, by id.
#[derive(Default)]
pub(super) struct Recent {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_id: HashMap<SessionId, Entry>,
    bytes: usize,
}

impl Recent {
    /// The record under `name` (the checked name of `id`) in `dir`, if
    /// one is kept for the file that is there now. `None` when the file
    /// must be read: nothing kept, another file, no file, a payload over
    /// `max`.
    pub(super) fn get(
        &self,
        dir: &std::fs::File,
        name: &str,
        id: &SessionId,
        now: UnixTime,
        max: usize,
    ) -> Option<Kept> {
        // Nothing kept, nothing to ask the kernel: a session saved within
        // the last second costs no more than before.
        if !self.entries().by_id.contains_key(id) {
            return None;
        }
        let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW);
        let stamp = stat.ok().and_then(Stamp::of);
        let mut entries = self.entries();
        let entry = entries.by_id.get(id)?;
        if !stamp.is_some_and(|stamp| entry.stamp.same_file(&stamp)) {
            // Replaced, deleted, or no longer a file: read it again.
            entries.remove(id);
            return None;
        }
        if entry.record.payload.len() > max {
            return None;
        }
        if now >= entry.record.times.expires_at {
            return Some(Kept::Expired);
        }
        Some(Kept::Live(entry.record.clone()))
    }

    /// Keeps `record`, read under `id` from a file of `stamp`, if that
    /// file is settled at `wall_now`.
    ///
    /// A record that is not kept takes no lock: whatever is kept for `id`
    /// is checked against the file by [`get`](Self::get) anyway, which
    /// already dropped an entry of another file before this read.
    pub(super) fn remember(
        &self,
        id: &SessionId,
        stamp: Stamp,
        record: &Record,
        wall_now: SystemTime,
    ) {
        let len = record.payload.len();
        if !stamp.is_settled(wall_now) || len > MAX_BYTES {
            return;
        }
        let mut entries = self.entries();
        entries.remove(id);
        while entries.by_id.len() >= MAX_ENTRIES || entries.bytes + len > MAX_BYTES {
            let Some(any) = entries.by_id.keys().next().cloned() else {
                break;
            };
            entries.remove(&any);
        }
        entries.bytes += len;
        let record = record.clone();
        entries.by_id.insert(id.clone(), Entry { stamp, record });
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // Every change leaves the map and its byte count consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Entries {
    fn remove(&mut self, id: &SessionId) {
        if let Some(entry) = self.by_id.remove(id) {
            self.bytes -= entry.record.payload.len();
        }
    }
}

#[cfg(test)]
mod tests;
