//! The session directory: records, their writes under the stripe locks,
//! and the owner index kept in step with them. Everything here blocks;
//! the backend runs it on tokio's blocking pool.

use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::record::{HEADER_LEN, Header, corrupt, is_corrupt};
use crate::store::{OwnerId, Record, Update};

use super::commit::Commits;
use super::locks::Stripes;
use super::owners::Index;
use super::safe::{open_dir, open_record, remove_if_exists};
use super::temp::{TempFile, is_temp_name, sweep_temp, sweep_temps};

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
///
/// The owner index follows one rule that makes every crash harmless: an
/// entry is made durable before a record that needs it is renamed in, and
/// removed only once the record that no longer needs it is durable (the
/// directory is synced first, under the id's stripe lock). So whatever
/// step a crash interrupts, it leaves at worst a stale entry, which the
/// record's owner field unmasks, never a live owned record without its
/// entry, which would hide a session from "log out everywhere".
pub(super) struct Dir {
    path: PathBuf,
    /// The directory itself, kept open to fsync renames and removals.
    handle: File,
    /// Shares those fsyncs among concurrent writers (see [`Commits`]).
    commits: Commits,
    stripes: Stripes,
    owners: Index,
    /// Records of settled files, served again while their file is unchanged.
    #[cfg(target_os = "linux")]
    recent: super::recent::Recent,
}

impl Dir {
    /// Opens `path`, creating it (mode 0700), its lock files and its owner
    /// index if missing, and sweeps temp files that crashed writers left.
    /// Refuses a directory, lock directory or index directory that is not
    /// safe (see [`open_dir`]).
    pub(super) fn open(path: &Path) -> Result<Self> {
        let (path, handle) = open_dir(path)?;
        let stripes = Stripes::open(&path)?;
        let owners = Index::open(&path)?;
        sweep_temps(&path)?;
        Ok(Self {
            path,
            handle,
            commits: Commits::new(),
            stripes,
            owners,
            #[cfg(target_os = "linux")]
            recent: super::recent::Recent::default(),
        })
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
        read_live(&mut file, &header, now, max)
    }

    /// [`load`](Self::load) without waiting for the disk, on the calling
    /// thread: `None` when the kernel's caches cannot answer (see
    /// [`cached`](super::cached)).
    #[cfg(target_os = "linux")]
    pub(super) fn load_cached(
        &self,
        id: &SessionId,
        now: UnixTime,
        max: usize,
    ) -> Option<Result<Option<Record>>> {
        match checked_name(id) {
            Ok(name) => super::cached::load(&self.handle, &name, id, now, max, &self.recent),
            Err(error) => Some(Err(error)),
        }
    }

    /// Writes the encoded record `bytes`, owned by `owner`, under `id` if
    /// the condition holds (expired counts as absent); returns what it did.
    ///
    /// The temp file is written and synced before the stripe lock is
    /// taken; under the lock there is only a header read (the one that
    /// finds the live record's version and owner) and a rename, plus the
    /// owner index's steps when the owner changes.
    pub(super) fn write(
        &self,
        id: &SessionId,
        bytes: &[u8],
        owner: Option<&OwnerId>,
        condition: WriteIf,
        now: UnixTime,
    ) -> Result<Update> {
        let target = self.record_path(id)?;
        let temp = TempFile::write(&self.path, bytes)?;
        let (outcome, synced) = {
            let _stripe = self.stripes.lock(id)?;
            let stored = Stored::read(&target, id, now)?;
            let outcome = condition.judge(stored.and_then(Stored::live_version));
            let synced = outcome.is_written() && self.replace(temp, id, stored, owner)?;
            (outcome, synced)
        };
        if outcome.is_written() && !synced {
            self.sync()?;
        }
        Ok(outcome)
    }

    /// Removes the record under `id`, if any, and its owner index entry;
    /// whether there was a record.
    pub(super) fn delete(&self, id: &SessionId) -> Result<bool> {
        let target = self.record_path(id)?;
        let (removed, synced) = {
            let _stripe = self.stripes.lock(id)?;
            // A file that is not a valid record is removed all the same,
            // with no owner to unindex: cleanup drops a stale entry later.
            let owner = match stored_owner(&target, id) {
                Ok(owner) => owner,
                Err(error) if is_corrupt(&error) => None,
                Err(error) => return Err(error),
            };
            let removed = remove_if_exists(&target)?;
            match owner.filter(|_| removed) {
                // The removal is durable before the entry goes (see `Dir`).
                Some(owner) => {
                    self.sync()?;
                    self.unindex(&owner, id);
                    (removed, true)
                }
                None => (removed, false),
            }
        };
        if removed && !synced {
            self.sync()?;
        }
        Ok(removed)
    }

    /// Removes records expired at `now`, abandoned temp files, stale owner
    /// index entries and empty owner directories; returns how many records
    /// went. Files that are not valid records, and symlinks, FIFOs and the
    /// like under a record's, a temp file's or an entry's name, are left in
    /// place (an operator should look at them) and only counted in a
    /// warning that names no file.
    pub(super) fn cleanup(&self, now: UnixTime) -> Result<usize> {
        let (removed, mut invalid) = self.remove_expired(now)?;
        if removed > 0 {
            self.sync()?;
        }
        // Drops the entries of the records just removed, among others.
        invalid += self.sweep_index()?;
        if invalid > 0 {
            tracing::warn!(
                count = invalid,
                "session directory holds files that are not valid records"
            );
        }
        Ok(removed)
    }

    /// The records of `owner` live at `now`, with their ids, each payload
    /// at most `max` bytes. The index says which records to read; each
    /// record's own owner decides, so a stale entry is never believed (and
    /// is dropped on the way). A record that cannot be read fails the
    /// call, as [`load`](Self::load) would.
    pub(super) fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let name = owner.to_hex();
        let listing = self.owners.list(&name)?;
        warn_invalid_entries(listing.invalid);
        let (mut found, mut dropped) = (Vec::new(), false);
        for id in listing.ids {
            match self.read_owned(&id, owner, now, max)? {
                Owned::Live(record) => found.push((id, record)),
                Owned::Expired => {}
                Owned::Stale => dropped |= self.drop_if_stale(&name, &id)?,
            }
        }
        if dropped {
            self.owners.remove_if_empty(&name)?;
        }
        Ok(found)
    }

    /// Renames `temp` over the record of `id` and keeps the owner index in
    /// step, in the order [`Dir`]'s docs give: the new owner's entry
    /// first (durable), then the record, then, if the owner changed, a
    /// sync and the removal of the old owner's entry. Returns whether the
    /// directory was synced.
    fn replace(
        &self,
        temp: TempFile,
        id: &SessionId,
        stored: Option<Stored>,
        owner: Option<&OwnerId>,
    ) -> Result<bool> {
        let name = checked_name(id)?;
        let old = stored.and_then(|stored| stored.owner);
        if let Some(owner) = owner {
            // An update that keeps the owner finds the entry that the
            // write which set the owner made durable.
            let present = stored.is_some_and(|stored| stored.live && old.as_ref() == Some(owner));
            self.owners.add(&owner.to_hex(), &name, present)?;
        }
        temp.persist(&self.path.join(&name))?;
        match old.filter(|old| Some(old) != owner) {
            Some(old) => {
                self.sync()?;
                self.unindex(&old, id);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes `owner`'s entry of `id` once the record no longer needs it.
    /// A failure is only logged: the record is already what it should be,
    /// and the entry left behind is stale, never believed, and dropped by
    /// the next cleanup.
    fn unindex(&self, owner: &OwnerId, id: &SessionId) {
        let removed = checked_name(id).and_then(|name| self.owners.remove(&owner.to_hex(), &name));
        if let Err(error) = removed {
            tracing::warn!(%error, "an owner index entry stays behind its session");
        }
    }

    /// Removes the entry `id` of the owner directory `owner` if it is
    /// stale, checked again under the id's stripe lock: no record, or one
    /// of another owner. An expired record of this owner keeps its entry
    /// until cleanup removes the record. Whether it removed the entry.
    fn drop_if_stale(&self, owner: &str, id: &SessionId) -> Result<bool> {
        let _stripe = self.stripes.lock(id)?;
        let stored = stored_owner(&self.record_path(id)?, id)?;
        if stored.is_some_and(|stored| stored.to_hex() == owner) {
            return Ok(false);
        }
        // What made the entry stale may be a write whose writer died
        // before its sync: made durable before the entry goes.
        self.sync()?;
        let removed = self.owners.remove(owner, &checked_name(id)?)?;
        Ok(removed)
    }

    /// The record of `id` as [`owned`](Self::owned) sees it for `owner`.
    fn read_owned(
        &self,
        id: &SessionId,
        owner: &OwnerId,
        now: UnixTime,
        max: usize,
    ) -> Result<Owned> {
        let Some(mut file) = open_record(&self.record_path(id)?)? else {
            return Ok(Owned::Stale);
        };
        let header = read_header(&mut file, id)?;
        if header.owner.as_ref() != Some(owner) {
            return Ok(Owned::Stale);
        }
        Ok(match read_live(&mut file, &header, now, max)? {
            Some(record) => Owned::Live(record),
            None => Owned::Expired,
        })
    }

    /// Removes the records expired at `now`; how many went, and how many
    /// files with a record's or a temp file's name were not valid.
    fn remove_expired(&self, now: UnixTime) -> Result<(usize, usize)> {
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
        Ok((removed, invalid))
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
        // Their entries go in the sweep that follows, once this is synced.
        if !expired(&path)? {
            return Ok(false);
        }
        let _stripe = self.stripes.lock(id)?;
        Ok(expired(&path)? && remove_if_exists(&path)?)
    }

    /// Drops every stale entry of the owner index, and the owner
    /// directories that leaves empty; how many things in the index were
    /// not what the store makes there (left in place).
    fn sweep_index(&self) -> Result<usize> {
        let (owners, mut invalid) = self.owners.owners()?;
        for owner in owners {
            let listing = match self.owners.list(&owner) {
                Ok(listing) => listing,
                Err(Error::UnsafeStoreDir { .. }) => {
                    invalid += 1;
                    continue;
                }
                Err(error) => return Err(error),
            };
            invalid += listing.invalid;
            for id in listing.ids {
                match self.sweep_entry(&owner, &id) {
                    Ok(()) => {}
                    Err(error) if is_corrupt(&error) => invalid += 1,
                    Err(error) => return Err(error),
                }
            }
            self.owners.remove_if_empty(&owner)?;
        }
        Ok(invalid)
    }

    /// Drops the entry `id` of `owner` if stale; looked at without the lock
    /// first, so that the entries of live records cost no lock.
    fn sweep_entry(&self, owner: &str, id: &SessionId) -> Result<()> {
        let stored = stored_owner(&self.record_path(id)?, id)?;
        if stored.is_none_or(|stored| stored.to_hex() != owner) {
            self.drop_if_stale(owner, id)?;
        }
        Ok(())
    }

    /// The one place that builds a record's path.
    fn record_path(&self, id: &SessionId) -> Result<PathBuf> {
        Ok(self.path.join(checked_name(id)?))
    }

    /// Makes every rename and removal done in the directory before this
    /// call durable: returns once an fsync of the directory that started
    /// after the call has completed, one shared with the writers that
    /// joined at the same time (see [`Commits`]).
    fn sync(&self) -> Result<()> {
        Ok(self.commits.sync(|| self.handle.sync_all())?)
    }
}

/// What [`Dir::owned`] found for one entry.
enum Owned {
    /// A live record of the owner.
    Live(Record),
    /// A record of the owner, expired: cleanup removes it and its entry.
    Expired,
    /// No record, or one of another owner (or of none).
    Stale,
}

/// What a record file holds, from its header: enough to judge a write
/// (version, liveness) and to keep the owner index in step (owner).
#[derive(Clone, Copy)]
struct Stored {
    version: u64,
    owner: Option<OwnerId>,
    live: bool,
}

impl Stored {
    /// The valid record of `id` at `path`, expired or not, if there is
    /// one. No size limit: the header is enough, and a write replaces the
    /// file whole.
    fn read(path: &Path, id: &SessionId, now: UnixTime) -> Result<Option<Self>> {
        let Some(mut file) = open_record(path)? else {
            return Ok(None);
        };
        let header = read_header(&mut file, id)?;
        Ok(Some(Self {
            version: header.version,
            owner: header.owner,
            live: now < header.times.expires_at,
        }))
    }

    fn live_version(self) -> Option<u64> {
        self.live.then_some(self.version)
    }
}

/// The id's text form, the name of its record and of its index entries,
/// parsed back with the strict parser first: only 43 base64url characters
/// ever reach the file system, whatever `SessionId` becomes.
fn checked_name(id: &SessionId) -> Result<String> {
    let name = id.to_string();
    match name.parse::<SessionId>() {
        Ok(parsed) if parsed == *id => Ok(name),
        _ => Err(Error::InvalidId),
    }
}

/// The owner in the header of the record of `id` at `path`; `None` when
/// there is no file or the record has no owner.
fn stored_owner(path: &Path, id: &SessionId) -> Result<Option<OwnerId>> {
    let Some(mut file) = open_record(path)? else {
        return Ok(None);
    };
    Ok(read_header(&mut file, id)?.owner)
}

/// The record whose checked `header` was just read from `file`, if it is
/// live at `now`; its payload at most `max` bytes, which is checked
/// before it is read.
fn read_live(
    file: &mut File,
    header: &Header,
    now: UnixTime,
    max: usize,
) -> Result<Option<Record>> {
    let Some(len) = live_payload_len(header, now, max)? else {
        return Ok(None);
    };
    let mut payload = vec![0; len];
    read_exact(file, &mut payload)?;
    Ok(Some(header.record(payload)))
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
    file_header(&bytes, id, file_len)
}

/// The header `head` of a record file of `file_len` bytes, checked against
/// `id` and against that length: every read of a record file, from the
/// blocking path or the cached one, checks it so.
pub(super) fn file_header(
    head: &[u8; HEADER_LEN],
    id: &SessionId,
    file_len: u64,
) -> Result<Header> {
    let header = Header::decode(head, id)?;
    if header.encoded_len() != file_len {
        return Err(corrupt("length does not match the header"));
    }
    Ok(header)
}

/// How many payload bytes to read for a checked `header`, or `None` when
/// the record has expired at `now`. The limit comes first: a record over
/// `max` is refused even when it has expired.
pub(super) fn live_payload_len(
    header: &Header,
    now: UnixTime,
    max: usize,
) -> Result<Option<usize>> {
    let len = header.payload_len(max)?;
    Ok((now < header.times.expires_at).then_some(len))
}

fn read_exact(file: &mut File, buf: &mut [u8]) -> Result<()> {
    file.read_exact(buf).map_err(|error| match error.kind() {
        // Only another writer changing the file in place gets here.
        io::ErrorKind::UnexpectedEof => corrupt("file ended early"),
        _ => Error::Io(error),
    })
}

fn warn_invalid_entries(count: usize) {
    if count > 0 {
        tracing::warn!(
            count,
            "session owner index holds entries that are not regular files"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
