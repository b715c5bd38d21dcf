//! The store conformance suite against [`SqliteBackend`]: twice, on a
//! private in-memory database per test and on a fresh database file per
//! test (deleted when the test's store is dropped).

use std::path::PathBuf;

use sessions::codec::UnixTime;
use sessions::store::{Backend, BoxFuture, Record, ServerStore, SessionId};
use sessions::{Key, Result};
use sessions_examples::sqlite::SqliteBackend;

sessions_tests::store_tests!(in_memory, |key| {
    let backend = SqliteBackend::open_in_memory().expect("an in-memory database opens");
    ServerStore::from_backend(backend, key)
});

sessions_tests::store_tests!(on_disk, |key| temp_file_store(key));

fn temp_file_store(key: Key) -> ServerStore<TempFile> {
    let path =
        std::env::temp_dir().join(format!("sessions-conformance-{}.db", SessionId::generate()));
    let backend = SqliteBackend::open(&path).expect("a database file opens in the temp dir");
    ServerStore::from_backend(TempFile { backend, path }, key)
}

/// A [`SqliteBackend`] on a file that is deleted with the backend.
struct TempFile {
    backend: SqliteBackend,
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temp dir fails no test.
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Backend for TempFile {
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn create<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>> {
        self.backend.create(id, record)
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        self.backend.load(id, now)
    }

    fn update<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>> {
        self.backend.update(id, record)
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>> {
        self.backend.delete(id)
    }

    fn cleanup_expired(&self, now: UnixTime) -> BoxFuture<'_, Result<usize>> {
        self.backend.cleanup_expired(now)
    }
}
