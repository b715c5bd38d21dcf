//! Loads the kernel can answer from its caches, served on the calling
//! thread instead of tokio's blocking pool (Linux).
//!
//! A load is a handful of syscalls that take microseconds when the
//! record's directory entry, inode and bytes are cached, which is the
//! common case for live sessions; the hop to a blocking thread and back
//! costs ten to a hundred times that. But a load that misses the caches
//! waits for the disk, which must never happen on an executor thread. So
//! each step asks the kernel not to wait: `openat2` with
//! `RESOLVE_CACHED` (the lookup fails with `EAGAIN` rather than read a
//! directory block) and `preadv2` with `RWF_NOWAIT` (the read fails, or
//! comes back short, rather than wait for a page). Any such answer, and
//! any kernel that lacks these flags, sends the load to the blocking path,
//! which gives the same results: only the fast path's definitive answers
//! are returned from here.
//!
//! The same rules as every open in the store apply: the record is opened
//! relative to the directory's descriptor, by its checked name, without
//! following a symlink (`RESOLVE_NO_SYMLINKS`, `O_NOFOLLOW`) and without
//! blocking on a FIFO (`O_NONBLOCK`); anything but a regular file is
//! [corrupt]. The bytes are checked as the blocking path checks them, in
//! the same order, and never more than the limit allows is read.
//!
//! [corrupt]: crate::store::record::corrupt

use std::fs::File;
use std::io::IoSliceMut;
use std::time::SystemTime;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::{Errno, ReadWriteFlags};

use crate::codec::UnixTime;
use crate::error::Result;
use crate::id::SessionId;
use crate::store::Record;
use crate::store::record::{HEADER_LEN, corrupt};

use super::dir::{file_header, live_payload_len};
use super::recent::{Recent, Stamp};

/// The live record named `name` (the checked name of `id`) in the
/// directory `dir`, if the kernel can tell without waiting for the disk;
/// `None` when it cannot, and the blocking path must ask. A record that
/// `recent` keeps for the file there now is served without reading it,
/// and a record read from a settled file is kept there.
pub(super) fn load(
    dir: &File,
    name: &str,
    id: &SessionId,
    now: UnixTime,
    max: usize,
    recent: &Recent,
) -> Option<Result<Option<Record>>> {
    if let Some(kept) = recent.get(dir, name, id, now, max) {
        return Some(Ok(kept.into()));
    }
    // `O_NOATIME`: a read that updates the access time dirties the inode,
    // which may wait for the file system's journal. Only the file's owner
    // may ask for it; anyone else's file fails with `EPERM`, below.
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOATIME;
    let resolve = ResolveFlags::CACHED | ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
    let file = match rustix::fs::openat2(dir, name, flags, Mode::empty(), resolve) {
        Ok(fd) => fd,
        // Found missing in the cache, or missing for sure.
        Err(Errno::NOENT) => return Some(Ok(None)),
        // A symlink, a socket, a FIFO without a writer: as the blocking
        // path says.
        Err(Errno::LOOP | Errno::NXIO) => return Some(Err(corrupt("not a regular file"))),
        // Not cached (`EAGAIN`), flags this kernel does not know, or
        // another user's file (`EPERM`, from `O_NOATIME`).
        Err(_) => return None,
    };
    let stat = rustix::fs::fstat(&file).ok()?;
    let Some(stamp) = Stamp::of(stat) else {
        return Some(Err(corrupt("not a regular file")));
    };
    let len = usize::try_from(stat.st_size).ok()?;
    let file_len = u64::try_from(stat.st_size).ok()?;
    // Never more than the largest valid record and one byte: enough for
    // the decoder to tell a file over the limit, from its header.
    let mut bytes = vec![0; len.min(Record::read_limit(max))];
    match rustix::io::preadv2(
        &file,
        &mut [IoSliceMut::new(&mut bytes)],
        0,
        ReadWriteFlags::NOWAIT,
    ) {
        Ok(read) if read == bytes.len() => {}
        // Short: some pages are not cached, or the file changed size.
        _ => return None,
    }
    let parsed = parse(&bytes, file_len, id, now, max);
    if let Ok(Some(record)) = &parsed {
        recent.remember(id, stamp, record, SystemTime::now());
    }
    Some(parsed)
}

/// The live record in `bytes`, read from a file of `file_len` bytes,
/// checked by the blocking path's own checks (`Dir::load`), so that both
/// give the same error for the same file.
fn parse(
    bytes: &[u8],
    file_len: u64,
    id: &SessionId,
    now: UnixTime,
    max: usize,
) -> Result<Option<Record>> {
    let Some((head, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(corrupt("shorter than the header"));
    };
    let header = file_header(head, id, file_len)?;
    let Some(len) = live_payload_len(&header, now, max)? else {
        return Ok(None);
    };
    // The file's length matches the header and is within the limit, so
    // the whole file was read.
    let payload = payload
        .get(..len)
        .ok_or_else(|| corrupt("file ended early"))?;
    Ok(Some(header.record(payload.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Times;
    use std::time::Duration;

    fn record(now: UnixTime) -> Record {
        Record::new(vec![7; 9], Times::fresh(now, Duration::from_mins(1))).with_version(3)
    }

    /// Every answer the fast path gives is the blocking path's; when the
    /// kernel cannot answer from its caches it gives none (`None`).
    #[test]
    fn cached_answers_are_the_blocking_paths() {
        let dir = std::env::temp_dir().join(format!("sessions-unit-{}", SessionId::generate()));
        std::fs::create_dir(&dir).unwrap();
        let handle = File::open(&dir).unwrap();
        let (id, now) = (SessionId::generate(), UnixTime::now());
        let name = id.to_string();
        let recent = Recent::default();
        let answer = || load(&handle, &name, &id, now, 1024, &recent).map(Result::unwrap);

        assert!(matches!(answer(), None | Some(None)), "nothing there");
        std::fs::write(dir.join(&name), record(now).encode(&id)).unwrap();
        let found = answer();
        assert!(found.is_none_or(|found| found == Some(record(now))));
        let expired = load(
            &handle,
            &name,
            &id,
            record(now).times.expires_at,
            1024,
            &recent,
        );
        assert!(matches!(expired, None | Some(Ok(None))));
        let small = load(&handle, &name, &id, now, 8, &recent);
        assert!(matches!(
            small,
            None | Some(Err(crate::Error::RecordTooLarge { .. }))
        ));

        std::fs::remove_file(dir.join(&name)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join(&name)).unwrap();
        let link = load(&handle, &name, &id, now, 1024, &recent);
        assert!(
            matches!(link, None | Some(Err(crate::Error::Decode(_)))),
            "never followed"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parse_checks_in_the_blocking_paths_order() {
        let (id, now) = (SessionId::generate(), UnixTime::now());
        let bytes = record(now).encode(&id);
        let len = bytes.len() as u64;
        assert_eq!(parse(&bytes, len, &id, now, 9).unwrap(), Some(record(now)));
        assert!(matches!(
            parse(&bytes[..10], 10, &id, now, 9),
            Err(crate::Error::Decode(_))
        ));
        // A file longer than its header says is corrupt, whatever the limit.
        let longer = parse(&bytes, len + 1, &id, now, 1);
        assert!(matches!(longer, Err(crate::Error::Decode(_))));
        let large = parse(&bytes, len, &id, now, 8);
        assert!(matches!(
            large,
            Err(crate::Error::RecordTooLarge { len: 9, max: 8 })
        ));
        let other = parse(&bytes, len, &SessionId::generate(), now, 9);
        assert!(matches!(other, Err(crate::Error::Decode(_))));
    }
}
