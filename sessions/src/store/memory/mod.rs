//! `MemoryStore`: sessions in this process's memory.

mod shelf;
mod slab;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use self::shelf::Shelf;
use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::{Backend, OwnerId, Record, ServerStore, Update};

/// How many sessions [`MemoryStore::new`] keeps at most.
///
/// ```
/// use sessions::{Key, MemoryStore, store::DEFAULT_MEMORY_CAPACITY};
///
/// let store = MemoryStore::new(Key::generate());
/// assert_eq!(store.backend().capacity(), DEFAULT_MEMORY_CAPACITY);
/// assert_eq!(DEFAULT_MEMORY_CAPACITY, 100_000);
/// ```
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// Sessions in memory: for tests and single-process apps. Lost on restart.
///
/// ```
/// use std::sync::Arc;
/// use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = Arc::new(MemoryStore::new(Key::generate()));
/// let sessions = Sessions::new(Arc::clone(&store));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
/// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
/// session.insert("notes", &"a long text that stays on the server".repeat(100))?;
///
/// let mut res = http::Response::new(());
/// sessions::save(&req, &mut res).await?;
/// assert_eq!(store.backend().len(), 1);
/// // The cookie carries only the sealed id.
/// assert!(res.headers()["set-cookie"].len() < 300);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub type MemoryStore = ServerStore<MemoryBackend>;

impl MemoryStore {
    /// A memory store of at most [`DEFAULT_MEMORY_CAPACITY`] sessions.
    ///
    /// ```
    /// let store = sessions::MemoryStore::new(sessions::Key::generate());
    /// assert_eq!(store.backend().capacity(), sessions::store::DEFAULT_MEMORY_CAPACITY);
    /// ```
    #[must_use]
    pub fn new(keys: impl Into<KeyRing>) -> Self {
        Self::with_capacity(DEFAULT_MEMORY_CAPACITY, keys)
    }

    /// A memory store of at most `capacity` sessions.
    ///
    /// ```
    /// let store = sessions::MemoryStore::with_capacity(10, sessions::Key::generate());
    /// assert_eq!(store.backend().capacity(), 10);
    /// ```
    #[must_use]
    pub fn with_capacity(capacity: usize, keys: impl Into<KeyRing>) -> Self {
        Self::from_backend(MemoryBackend::new(capacity), keys)
    }
}

/// The [`Backend`] of [`MemoryStore`]: a bounded map that stays fast and
/// fair when full.
///
/// A full backend makes room for a new session by dropping one record,
/// in O(log n) and without a scan: an expired record if there is one,
/// else the least recently used of the sessions never used again since
/// they were created (the *probation* segment), and only when there are
/// none, the least recently used of the sessions in use (loaded or updated
/// again, the *protected* segment, at most four fifths of the capacity).
/// So a flood of new sessions that never come back evicts its own kind,
/// not the users who are using theirs.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (backend, now) = (MemoryBackend::new(2), UnixTime::from_secs(1_000));
/// let record = Record::new(vec![1], Times::fresh(now, Duration::from_secs(60)));
/// let user = SessionId::generate();
/// backend.create(&user, &record, now).await?;
/// assert!(backend.load(&user, now, 1024).await?.is_some()); // in use
///
/// for _ in 0..10 {
///     backend.create(&SessionId::generate(), &record, now).await?;
/// }
/// assert_eq!(backend.len(), 2);
/// assert!(backend.load(&user, now, 1024).await?.is_some());
/// assert_eq!(backend.evicted(), 9);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub struct MemoryBackend {
    shelf: Mutex<Shelf>,
}

impl fmt::Debug for MemoryBackend {
    /// Counts only: no ids, no payloads, no times. `try_lock`, so that a
    /// `Debug` taken while the shelf is locked cannot deadlock.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("MemoryBackend");
        if let Ok(shelf) = self.shelf.try_lock() {
            debug
                .field("capacity", &shelf.capacity())
                .field("len", &shelf.len());
        }
        debug.finish_non_exhaustive()
    }
}

impl MemoryBackend {
    /// A backend of at most `capacity` sessions (at least one).
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(0).capacity(), 1);
    /// ```
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            shelf: Mutex::new(Shelf::new(capacity)),
        }
    }

    /// The most sessions kept.
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(3).capacity(), 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.shelf().capacity()
    }

    /// How many sessions are kept now, expired ones included.
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(3).len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shelf().len()
    }

    /// Whether no session is kept.
    ///
    /// ```
    /// assert!(sessions::store::MemoryBackend::new(3).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many live sessions were dropped to make room for new ones since
    /// the backend was made: sessions lost before they expired. Expired
    /// records dropped to make room are not counted. A number to watch:
    /// when it grows, the capacity is too small (or the store is flooded).
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(3).evicted(), 0);
    /// ```
    #[must_use]
    pub fn evicted(&self) -> u64 {
        self.shelf().evicted()
    }

    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        // No shelf operation panics halfway (only on a broken invariant,
        // and allocation failure aborts), so a poisoned lock guards a
        // whole shelf.
        self.shelf.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Backend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        Ok(self.shelf().create(id, record, now))
    }

    /// Records sit in a map under their ids, so none can be under another
    /// id; the size limit still applies, as in every store. A load is a
    /// use: it protects the session from eviction by new ones.
    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let record = self.shelf().load(id, now).cloned();
        match record {
            Some(record) if record.payload.len() > max_len => Err(Error::RecordTooLarge {
                len: record.payload.len(),
                max: max_len,
            }),
            record => Ok(record),
        }
    }

    /// Compares and sets under the shelf's lock.
    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        Ok(self.shelf().update(id, expected, record, now))
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        Ok(self.shelf().delete(id))
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        Ok(self.shelf().purge_expired(now))
    }

    /// From an index of each owner's records, kept under the shelf's lock
    /// with every write and removal (evictions included).
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let listed = self.shelf().owned(owner, now);
        match listed
            .iter()
            .find(|(_, record)| record.payload.len() > max_len)
        {
            Some((_, record)) => Err(Error::RecordTooLarge {
                len: record.payload.len(),
                max: max_len,
            }),
            None => Ok(listed),
        }
    }
}
