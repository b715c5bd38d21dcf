//! A backend that owns what it needs to live: a temp dir, a server process.

use sessions::Result;
use sessions::store::{Backend, OwnerId, Record, SessionId, UnixTime, Update};

/// Delegates every call to `backend` and keeps `guard` alive as long as
/// the backend, so the conformance suite can give each test its own
/// resources (a directory removed on drop, a server killed on drop) that
/// go away with the test's store.
///
/// ```
/// use sessions::store::{Backend, MemoryBackend};
/// use sessions_conformance::Guarded;
///
/// let guarded = Guarded::new(MemoryBackend::new(10), String::from("kept"));
/// assert_eq!(guarded.kind(), "memory");
/// assert_eq!(guarded.guard(), "kept");
/// ```
#[derive(Debug)]
pub struct Guarded<B, G> {
    backend: B,
    guard: G,
}

impl<B, G> Guarded<B, G> {
    /// `backend`, holding on to `guard`.
    ///
    /// ```
    /// # use sessions::store::MemoryBackend;
    /// let guarded = sessions_conformance::Guarded::new(MemoryBackend::new(10), 7);
    /// assert_eq!(*guarded.guard(), 7);
    /// ```
    pub fn new(backend: B, guard: G) -> Self {
        Self { backend, guard }
    }

    /// What is kept alive.
    ///
    /// ```
    /// # use sessions::store::MemoryBackend;
    /// let guarded = sessions_conformance::Guarded::new(MemoryBackend::new(10), "dir");
    /// assert_eq!(*guarded.guard(), "dir");
    /// ```
    pub fn guard(&self) -> &G {
        &self.guard
    }
}

impl<B: Backend, G: Send + Sync + 'static> Backend for Guarded<B, G> {
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        self.backend.create(id, record, now).await
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        self.backend.load(id, now, max_len).await
    }

    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        self.backend.update(id, expected, record, now).await
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.backend.delete(id).await
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        self.backend.cleanup_expired(now).await
    }

    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.backend.owned(owner, now, max_len).await
    }
}
