//! The store conformance suite against [`SqliteBackend`]: twice, on a
//! private in-memory database per test and on a fresh database file per
//! test (deleted when the test's store is dropped).

use std::path::PathBuf;

use sessions::Key;
use sessions::store::{ServerStore, SessionId};
use sessions_conformance::Guarded;
use sessions_examples::sqlite::SqliteBackend;

sessions_conformance::store_tests!(in_memory, |key| {
    let backend = SqliteBackend::open_in_memory().expect("an in-memory database opens");
    ServerStore::from_backend(backend, key)
});

sessions_conformance::store_tests!(on_disk, |key| temp_file_store(key));

fn temp_file_store(key: Key) -> ServerStore<Guarded<SqliteBackend, TempFile>> {
    let path =
        std::env::temp_dir().join(format!("sessions-conformance-{}.db", SessionId::generate()));
    let backend = SqliteBackend::open(&path).expect("a database file opens in the temp dir");
    ServerStore::from_backend(Guarded::new(backend, TempFile(path)), key)
}

/// A database file, deleted when the test's store is dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temp dir fails no test.
        let _ = std::fs::remove_file(&self.0);
    }
}
