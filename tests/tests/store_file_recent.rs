//! `FileStore` keeps the records of settled files in memory and serves them
//! again while the file under the name is unchanged. These tests are the
//! attack on that: another process (a second backend on the same
//! directory, with its own memory) updates, renames over, or deletes a
//! record this one keeps, and the very next load must see it.

use std::time::Duration;

use sessions::Error;
use sessions::store::{Backend, FileBackend, Record, SessionId, UnixTime, Update};
use sessions_tests::TempDir;
use sessions_tests::files::live;

const MAX: usize = 1024;

/// Longer than the store waits before it keeps a file's record.
const SETTLE: Duration = Duration::from_millis(1100);

async fn payload_of(backend: &FileBackend, id: &SessionId) -> Option<Vec<u8>> {
    let record = backend.load(id, UnixTime::now(), MAX).await.unwrap();
    record.map(|r| r.payload)
}

/// Loads `id` through `reader` until its file has settled and the record
/// is kept: the loads after [`SETTLE`] come from memory.
async fn settle(reader: &FileBackend, id: &SessionId) {
    tokio::time::sleep(SETTLE).await;
    for _ in 0..3 {
        assert!(payload_of(reader, id).await.is_some());
    }
}

#[tokio::test]
async fn a_kept_record_never_hides_another_processs_write() {
    let dir = TempDir::new();
    let reader = FileBackend::open(dir.path()).unwrap();
    let writer = FileBackend::open(dir.path()).unwrap();
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let record =
        |payload: &[u8], version| Record::new(payload.to_vec(), live()).with_version(version);
    assert!(writer.create(&id, &record(b"first", 1), now).await.unwrap());
    settle(&reader, &id).await;

    // The same length, at once: only the file's metadata tells.
    let update = writer.update(&id, 1, &record(b"other", 2), now).await;
    assert_eq!(update.unwrap(), Update::Written);
    assert_eq!(
        payload_of(&reader, &id).await.as_deref(),
        Some(&b"other"[..])
    );
    let loaded = reader.load(&id, UnixTime::now(), MAX).await.unwrap();
    assert_eq!(loaded.map(|r| r.version), Some(2));

    // Settled and kept again, then updated twice within one second.
    settle(&reader, &id).await;
    for (version, payload) in [(2, b"third"), (3, b"fifth")] {
        let next = record(payload, version + 1);
        let update = writer.update(&id, version, &next, now).await;
        assert_eq!(update.unwrap(), Update::Written);
        assert_eq!(
            payload_of(&reader, &id).await.as_deref(),
            Some(&payload[..])
        );
    }

    // Settled and kept, then deleted (a logout on another server).
    settle(&reader, &id).await;
    assert!(writer.delete(&id).await.unwrap());
    assert_eq!(payload_of(&reader, &id).await, None);
}

#[tokio::test]
async fn a_kept_record_is_not_served_for_a_file_put_in_its_place() {
    let dir = TempDir::new();
    let backend = FileBackend::open(dir.path()).unwrap();
    let (alice, bob, now) = (
        SessionId::generate(),
        SessionId::generate(),
        UnixTime::now(),
    );
    let record = Record::new(b"alice".to_vec(), live());
    assert!(backend.create(&alice, &record, now).await.unwrap());
    assert!(
        backend
            .create(&bob, &Record::new(b"bob".to_vec(), live()), now)
            .await
            .unwrap()
    );
    settle(&backend, &alice).await;

    // Someone with access to the directory moves bob's record over alice's
    // name: the record is bound to bob's id, so the load fails as it does
    // without any memory.
    let (from, to) = (
        dir.path().join(bob.to_string()),
        dir.path().join(alice.to_string()),
    );
    std::fs::rename(&from, &to).unwrap();
    let moved = backend.load(&alice, UnixTime::now(), MAX).await;
    assert!(matches!(moved, Err(Error::Decode(_))), "{moved:?}");

    // A symlink in its place is never followed.
    std::fs::remove_file(&to).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &to).unwrap();
    let linked = backend.load(&alice, UnixTime::now(), MAX).await;
    assert!(matches!(linked, Err(Error::Decode(_))), "{linked:?}");
}
