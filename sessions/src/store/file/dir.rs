//! The session directory: records and their writes under the stripe
//! locks. Everything here blocks; the backend runs it on tokio's blocking
//! pool.

use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::record::{HEADER_LEN, Header, corrupt, is_corrupt};
use crate::store::{Record, Update};

use super::locks::Stripes;
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
pub(super) struct Dir {
    path: PathBuf,
    /// The directory itself, kept open to fsync renames and removals.
    handle: File,
    stripes: Stripes,
}

impl Dir {
    /// Opens `path`, creating it (mode 0700) and its lock files if missing,
    /// and sweeps temp files that crashed writers left. Refuses a directory
    /// or lock directory that is not safe (see [`open_dir`]).
    pub(super) fn open(path: &Path) -> Result<Self> {
        let (path, handle) = open_dir(path)?;
        let stripes = Stripes::open(&path)?;
        sweep_temps(&path)?;
        Ok(Self {
            path,
            handle,
            stripes,
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
        let len = header.payload_len(max)?;
        if now >= header.times.expires_at {
            return Ok(None);
        }
        let mut payload = vec![0; len];
        read_exact(&mut file, &mut payload)?;
        let record = Record::new(payload, header.times)
            .with_version(header.version)
            .with_owner(header.owner);
        Ok(Some(record))
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
            let _stripe = self.stripes.lock(id)?;
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
            let _stripe = self.stripes.lock(id)?;
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
        let _stripe = self.stripes.lock(id)?;
        Ok(expired(&path)? && remove_if_exists(&path)?)
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

    fn sync(&self) -> Result<()> {
        Ok(self.handle.sync_all()?)
    }
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
