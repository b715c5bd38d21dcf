//! `MemoryStore`: sessions in this process's memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::{Backend, Record, ServerStore};

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

/// The [`Backend`] of [`MemoryStore`]: a bounded map.
///
/// When full, a new session first makes room by dropping every expired
/// one, then, if still full, the one closest to expiry.
///
/// ```
/// let backend = sessions::store::MemoryBackend::new(2);
/// assert!(backend.is_empty());
/// ```
#[derive(Debug)]
pub struct MemoryBackend {
    capacity: usize,
    records: Mutex<HashMap<SessionId, Record>>,
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
            capacity: capacity.max(1),
            records: Mutex::new(HashMap::new()),
        }
    }

    /// The most sessions kept.
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(3).capacity(), 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many sessions are kept now, expired ones included.
    ///
    /// ```
    /// assert_eq!(sessions::store::MemoryBackend::new(3).len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.records().len()
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

    fn records(&self) -> MutexGuard<'_, HashMap<SessionId, Record>> {
        // Every operation leaves the map whole; a panic cannot tear it.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn make_room(records: &mut HashMap<SessionId, Record>, capacity: usize, now: UnixTime) {
        if records.len() < capacity {
            return;
        }
        records.retain(|_, record| !record.is_expired(now));
        while records.len() >= capacity {
            let soonest = records
                .iter()
                .min_by_key(|(_, record)| record.times.expires_at)
                .map(|(id, _)| id.clone());
            match soonest {
                Some(id) => records.remove(&id),
                None => break,
            };
        }
    }

    fn create_at(&self, id: &SessionId, record: &Record, now: UnixTime) -> bool {
        let mut records = self.records();
        if records.get(id).is_some_and(|r| !r.is_expired(now)) {
            return false;
        }
        records.remove(id);
        Self::make_room(&mut records, self.capacity, now);
        records.insert(id.clone(), record.clone());
        true
    }

    fn update_at(&self, id: &SessionId, record: &Record, now: UnixTime) -> bool {
        match self.records().get_mut(id) {
            Some(current) if !current.is_expired(now) => {
                *current = record.clone();
                true
            }
            _ => false,
        }
    }
}

impl Backend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        Ok(self.create_at(id, record, now))
    }

    /// Records sit in a map under their ids, so none can be under another
    /// id; the size limit still applies, as in every store.
    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let record = self
            .records()
            .get(id)
            .filter(|r| !r.is_expired(now))
            .cloned();
        match record {
            Some(record) if record.payload.len() > max_len => Err(Error::RecordTooLarge {
                len: record.payload.len(),
                max: max_len,
            }),
            record => Ok(record),
        }
    }

    async fn update(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        Ok(self.update_at(id, record, now))
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        Ok(self.records().remove(id).is_some())
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        let mut records = self.records();
        let before = records.len();
        records.retain(|_, record| !record.is_expired(now));
        Ok(before - records.len())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::codec::Times;

    fn record(now: UnixTime, secs: u64) -> Record {
        Record::new(vec![1], Times::fresh(now, Duration::from_secs(secs)))
    }

    #[test]
    fn full_backend_drops_expired_first_then_the_soonest_to_expire() {
        let backend = MemoryBackend::new(2);
        let now = UnixTime::now();
        let (expired, later, new) = (
            SessionId::generate(),
            SessionId::generate(),
            SessionId::generate(),
        );
        backend
            .records()
            .insert(expired.clone(), record(UnixTime::from_secs(1), 1));
        assert!(backend.create_at(&later, &record(now, 100), now));
        assert!(backend.create_at(&new, &record(now, 50), now));
        assert_eq!(backend.len(), 2);
        assert!(!backend.records().contains_key(&expired));
        let newest = SessionId::generate();
        assert!(backend.create_at(&newest, &record(now, 200), now));
        assert!(
            !backend.records().contains_key(&new),
            "the soonest to expire goes"
        );
        assert!(backend.records().contains_key(&later));
    }
}
