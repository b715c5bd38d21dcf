//! `FileStore`: one file per session in a directory.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::reaper::spawn_reaper;
use crate::store::{Backend, OwnerId, Record, ServerStore, Update};

#[cfg(target_os = "linux")]
mod cached;
mod commit;
mod dir;
mod locks;
mod owners;
#[cfg(target_os = "linux")]
mod recent;
mod safe;
mod temp;

use dir::{Dir, WriteIf};
pub use safe::UnsafeDir;

/// Sessions in files, one per session, in a directory that several
/// processes may share.
///
/// - The directory is created with mode 0700 (an existing one is set to
///   it), record files are 0600.
/// - Nothing in the directory is trusted. [`open`](Self::open) refuses
///   ([`Error::UnsafeStoreDir`]) a directory, `.locks` or `.owners`
///   directory that is a symlink, belongs to another user than the
///   process's effective user, or that group or others may write to, and a
///   lock file that is not a regular file. Records, temp and lock files are opened without
///   following symlinks and without blocking; a symlink, FIFO, socket or
///   device under a record's name fails the operation like a corrupt
///   record ([`Error::Decode`]) and is left in place by cleanup. No file is
///   ever created outside the directory. A delete unlinks whatever is under
///   the id's name, which follows nothing. Each file is named by its session's id,
///   whose text form is re-checked with the strict parser before any path
///   is built.
/// - A record file holds the record in the one byte format of every store
///   ([`Record::encode`]), bound to the id it was written under. A file
///   that does not match its header, that was copied or moved from
///   another id's name, or whose payload passes the store's record size
///   limit makes the operation fail ([`Error::Decode`],
///   [`Error::RecordTooLarge`]): the request fails closed instead of
///   overwriting what it could not read, and cleanup leaves the file in
///   place for an operator. A load reads the header first and never reads
///   a payload over the limit.
/// - Writes go to a unique temp file (0600) in the same directory, which is
///   synced, renamed over the record and followed by a sync of the
///   directory: a reader sees the old record or the new one, never a mix,
///   even when the writer is killed. When a save returns `Ok`, its record
///   is durable. Saves that run at once share that sync of the directory
///   (group commit): each returns only once a sync that started after its
///   rename has completed, and a sync that fails fails every save that
///   waited on it ([`Error::Io`]).
/// - Create, update, delete and cleanup of one id are serialised by a
///   lock that holds across threads and processes: one of 64 lock files
///   in `dir/.locks`, chosen by a fixed hash of the id and taken with
///   `flock`. An update compares the version in the live file's header
///   with the one it expects under that lock, so it is compare-and-set
///   across processes too. Loads take no lock.
/// - Temp files whose writer died are swept by [`open`](Self::open) and by
///   every cleanup; [`spawn_reaper`](Self::spawn_reaper) runs cleanups
///   periodically.
///
/// File I/O runs on tokio's blocking pool (`spawn_blocking`), so the store
/// must be used inside a tokio runtime; no lock is held across an await.
/// One exception, on Linux: a load that the kernel can answer from its
/// caches (`openat2` with `RESOLVE_CACHED`, `preadv2` with `RWF_NOWAIT`,
/// which fail rather than wait for the disk) runs on the calling thread,
/// since it costs a few microseconds and the hop to the pool far more.
///
/// Also on Linux, the store keeps in memory the records it read from files
/// that had not changed for a second, and serves them again for as long as
/// `fstatat` shows the same file under the name: same device, inode and
/// size, same modification and change times to the nanosecond. Every write
/// renames a new file over the name, so a save or delete by any process
/// makes the next load read the file. At most 16384 records and 16 MiB of
/// payload are kept.
///
/// Costs, as measured by `benches/` (`--bench scale`) on a shared
/// 2-core VM, ext4 on a virtio disk, all records in one directory: a load
/// costs the same with 10^4, 10^5 or 10^6 records in the store (7 to 9
/// µs when the kernel has the file cached, 2.6 µs when the record is kept
/// in memory), a save is bound by its two fsyncs whatever the size.
/// [`cleanup_expired`](Backend::cleanup_expired) reads the header of every
/// record: over 10^6 live records a pass that removes nothing took 25 to
/// 53 s (19k to 40k records/s); one that removed 10^6 expired records took
/// 7 to 14 minutes (2.4k to 1.2k records/s), each removal taking its id's
/// lock.
/// Give [`spawn_reaper`](FileStore::spawn_reaper) a period well above a
/// pass's time on a large store.
///
/// The record size limit is the store's
/// ([`with_max_record_len`](ServerStore::with_max_record_len)), applied
/// to saves and to the files loads find.
///
/// ```
/// use sessions::store::SessionId;
/// use sessions::{FileStore, Key};
///
/// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
/// let store = FileStore::open(&dir, Key::generate())?.with_max_record_len(1024 * 1024);
/// assert_eq!(store.backend().dir(), dir);
/// assert_eq!(store.max_record_len(), 1024 * 1024);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type FileStore = ServerStore<FileBackend>;

impl FileStore {
    /// Opens the store in `dir`, creating the directory (mode 0700) if
    /// missing and sweeping temp files that crashed writers left. Blocks:
    /// call it at startup, not in a request.
    ///
    /// ```
    /// use sessions::store::{SessionId, Store};
    /// use sessions::{FileStore, Key};
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
    /// let store = FileStore::open(&dir, Key::generate())?;
    /// assert_eq!(store.kind(), "files");
    /// assert_eq!(std::fs::metadata(&dir)?.permissions().mode() & 0o777, 0o700);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, keys: impl Into<KeyRing>) -> Result<Self> {
        Ok(Self::from_backend(FileBackend::open(dir)?, keys))
    }

    /// Starts a task on the current tokio runtime that removes expired
    /// records and abandoned temp files every `every` (at least a
    /// millisecond), the first time after one period.
    ///
    /// The task keeps no strong reference to the store: it ends at its
    /// first tick after the store (and every clone of it) is dropped. Abort
    /// the handle to stop it sooner. Failures are logged with `tracing`
    /// and the task goes on.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as [`tokio::spawn`] does; the runtime needs
    /// its time driver.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::{FileStore, Key};
    /// use sessions::store::SessionId;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
    /// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
    /// let store = FileStore::open(&dir, Key::generate())?;
    /// let reaper = store.spawn_reaper(Duration::from_millis(10));
    /// drop(store);
    /// tokio::time::timeout(Duration::from_secs(5), reaper).await??; // ends by itself
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn_reaper(&self, every: Duration) -> JoinHandle<()> {
        let dir = Arc::downgrade(&self.backend().dir);
        spawn_reaper(every, move || {
            let backend = FileBackend {
                dir: dir.upgrade()?,
            };
            Some(async move { backend.cleanup_expired(UnixTime::now()).await })
        })
    }
}

/// The [`Backend`] of [`FileStore`]: a directory of record files. Cheap to
/// clone; clones share the directory and its locks.
///
/// `Debug` shows the directory and nothing else.
///
/// ```
/// use sessions::store::{FileBackend, SessionId};
///
/// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
/// let backend = FileBackend::open(&dir)?;
/// assert_eq!(format!("{backend:?}"), format!("FileBackend {{ dir: {dir:?}, .. }}"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// An owned session has an entry in the owner index, which lives as long
/// as the session:
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, FileBackend, OwnerId, Record, SessionId, Times, UnixTime};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
/// let (backend, id, now) = (FileBackend::open(&dir)?, SessionId::generate(), UnixTime::now());
/// let ada = OwnerId::new("user", "ada");
/// let record = Record::new(vec![1], Times::fresh(now, Duration::from_secs(60)));
/// backend.create(&id, &record.with_owner(Some(ada)), now).await?;
///
/// let entry = dir.join(".owners").join(ada.to_hex()).join(id.to_string());
/// assert!(entry.is_file());
/// let owned = backend.owned(&ada, now, 1024).await?;
/// assert_eq!(owned.len(), 1);
/// assert_eq!((&owned[0].0, owned[0].1.owner), (&id, Some(ada)));
///
/// backend.delete(&id).await?;
/// assert!(!entry.exists() && !entry.parent().unwrap().exists());
/// assert!(backend.owned(&ada, now, 1024).await?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FileBackend {
    dir: Arc<Dir>,
}

impl FileBackend {
    /// Opens the directory `dir` as [`FileStore::open`] does.
    ///
    /// ```
    /// use sessions::store::{FileBackend, SessionId};
    ///
    /// let file = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
    /// std::fs::write(&file, b"not a directory")?;
    /// assert!(matches!(FileBackend::open(&file), Err(sessions::Error::Io(_))));
    /// # std::fs::remove_file(&file)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(Self {
            dir: Arc::new(Dir::open(dir.as_ref())?),
        })
    }

    /// The session directory.
    ///
    /// ```
    /// # use sessions::store::{FileBackend, SessionId};
    /// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
    /// assert_eq!(FileBackend::open(&dir)?.dir(), dir);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `job` on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Dir) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let dir = Arc::clone(&self.dir);
        tokio::task::spawn_blocking(move || job(&dir))
            .await
            .map_err(|error| Error::Backend(Box::new(error)))?
    }

    async fn write(
        &self,
        id: &SessionId,
        record: &Record,
        condition: WriteIf,
        now: UnixTime,
    ) -> Result<Update> {
        let (id, bytes, owner) = (id.clone(), record.encode(id), record.owner);
        self.run(move |dir| dir.write(&id, &bytes, owner.as_ref(), condition, now))
            .await
    }
}

impl fmt::Debug for FileBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBackend")
            .field("dir", &self.dir())
            .finish_non_exhaustive()
    }
}

impl Backend for FileBackend {
    fn kind(&self) -> &'static str {
        "files"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        let outcome = self.write(id, record, WriteIf::Absent, now).await?;
        Ok(outcome.is_written())
    }

    /// On Linux, served on the calling thread when the kernel's caches
    /// hold the record (no wait for the disk is possible then), else on
    /// the blocking pool.
    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        #[cfg(target_os = "linux")]
        if let Some(found) = self.dir.load_cached(id, now, max_len) {
            return found;
        }
        let id = id.clone();
        self.run(move |dir| dir.load(&id, now, max_len)).await
    }

    /// Compares the live file's version (from its header) and renames the
    /// new file over it, both under the id's stripe lock.
    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        self.write(id, record, WriteIf::Version(expected), now)
            .await
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        let id = id.clone();
        self.run(move |dir| dir.delete(&id)).await
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        self.run(move |dir| dir.cleanup(now)).await
    }

    /// Lists the owner's directory in the index and reads each record it
    /// names; a record counts only if its own owner field is `owner`.
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let owner = *owner;
        self.run(move |dir| dir.owned(&owner, now, max_len)).await
    }
}
