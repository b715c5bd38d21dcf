//! A backend that owns what it needs to live: a temp dir, a server process.

use sessions::Result;
use sessions::codec::UnixTime;
use sessions::store::{Backend, BoxFuture, Record, SessionId};

/// Delegates every call to `backend` and keeps `guard` alive as long as
/// the backend, so the conformance suite can give each test its own
/// resources (a directory removed on drop, a `redis-server` killed on drop)
/// that go away with the test's store.
///
/// ```
/// use sessions::store::{Backend, MemoryBackend};
/// use sessions_tests::conformance::Guarded;
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
    pub fn new(backend: B, guard: G) -> Self {
        Self { backend, guard }
    }

    /// What is kept alive.
    pub fn guard(&self) -> &G {
        &self.guard
    }
}

impl<B: Backend, G: Send + Sync + 'static> Backend for Guarded<B, G> {
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        self.backend.create(id, record, now)
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        self.backend.load(id, now)
    }

    fn update<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        self.backend.update(id, record, now)
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>> {
        self.backend.delete(id)
    }

    fn cleanup_expired(&self, now: UnixTime) -> BoxFuture<'_, Result<usize>> {
        self.backend.cleanup_expired(now)
    }
}
