//! `FileStore`'s group commit: many saves at once share directory fsyncs,
//! and every one of them still lands exactly as a save alone would. Each
//! check reopens the directory with a fresh backend, as a restarted
//! process would, and reads what is on disk.

use std::sync::Arc;

use sessions::store::{Backend, FileBackend, Record, SessionId, UnixTime, Update};
use sessions_tests::TempDir;
use sessions_tests::files::{live, record_names, temp_names};

/// Saves at once: the connections of issue 16's loopback figures.
const WRITERS: usize = 32;
/// Updates each writer makes to its own session, one after the other.
const UPDATES: u64 = 20;
const MAX: usize = 1024;

fn payload(writer: usize, version: u64) -> Vec<u8> {
    format!("writer {writer} at version {version}").into_bytes()
}

/// Creates one session per writer, all at once; their ids in writer order.
async fn create_all(backend: &FileBackend, n: usize) -> Vec<SessionId> {
    let ids: Vec<SessionId> = (0..n).map(|_| SessionId::generate()).collect();
    let mut creates = tokio::task::JoinSet::new();
    for (writer, id) in ids.iter().enumerate() {
        let (backend, id) = (backend.clone(), id.clone());
        creates.spawn(async move {
            let record = Record::new(payload(writer, 1), live());
            backend.create(&id, &record, UnixTime::now()).await
        });
    }
    for created in creates.join_all().await {
        assert!(created.unwrap(), "a new id is free");
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_saves_all_land_with_their_versions() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let ids = create_all(&backend, WRITERS).await;
    let mut writers = tokio::task::JoinSet::new();
    for (writer, id) in ids.iter().enumerate() {
        let (backend, id) = (backend.clone(), id.clone());
        writers.spawn(async move {
            for version in 2..=UPDATES + 1 {
                let record = Record::new(payload(writer, version), live()).with_version(version);
                let outcome = backend.update(&id, version - 1, &record, UnixTime::now());
                assert_eq!(outcome.await.unwrap(), Update::Written);
            }
        });
    }
    writers.join_all().await;
    drop(backend);

    let reopened = FileBackend::open(tmp.store()).unwrap();
    for (writer, id) in ids.iter().enumerate() {
        let record = reopened.load(id, UnixTime::now(), MAX).await.unwrap();
        let record = record.expect("every saved session loads");
        assert_eq!(record.version, UPDATES + 1);
        assert_eq!(record.payload, payload(writer, UPDATES + 1));
    }
    assert_eq!(record_names(&tmp.store()).len(), WRITERS);
    assert!(temp_names(&tmp.store()).is_empty(), "no temp file is left");
}

/// Writers that share one session: compare-and-set still lets exactly one
/// update per version through, while their directory fsyncs are shared.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_one_session_stay_compare_and_set() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = create_all(&backend, 1).await.remove(0);
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (backend, id) = (backend.clone(), id.clone());
        writers.spawn(async move {
            let mut won = Vec::new();
            for _ in 0..4 {
                let now = UnixTime::now();
                let seen = backend.load(&id, now, MAX).await.unwrap().unwrap().version;
                let record = Record::new(payload(writer, seen + 1), live()).with_version(seen + 1);
                if backend.update(&id, seen, &record, now).await.unwrap() == Update::Written {
                    won.push(seen + 1);
                }
            }
            won
        });
    }
    let mut won: Vec<u64> = writers.join_all().await.into_iter().flatten().collect();
    won.sort_unstable();
    let last = *won.last().expect("some update lands");
    assert_eq!(
        won,
        (2..=last).collect::<Vec<_>>(),
        "one winner per version"
    );

    let reopened = FileBackend::open(tmp.store()).unwrap();
    let record = reopened.load(&id, UnixTime::now(), MAX).await.unwrap();
    assert_eq!(record.expect("the session loads").version, last);
}

/// Deletes share the directory fsyncs too: what was deleted stays gone
/// and what was kept stays, whatever the interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_and_deletes_leave_exactly_the_kept_sessions() {
    let tmp = TempDir::new();
    let backend = Arc::new(FileBackend::open(tmp.store()).unwrap());
    let ids = create_all(&backend, 2 * WRITERS).await;
    let (gone, kept) = ids.split_at(WRITERS);
    let mut tasks = tokio::task::JoinSet::new();
    for id in gone {
        let (backend, id) = (Arc::clone(&backend), id.clone());
        tasks.spawn(async move { assert!(backend.delete(&id).await.unwrap()) });
    }
    for (writer, id) in kept.iter().enumerate() {
        let (backend, id) = (Arc::clone(&backend), id.clone());
        tasks.spawn(async move {
            let record = Record::new(payload(writer, 2), live()).with_version(2);
            let outcome = backend.update(&id, 1, &record, UnixTime::now()).await;
            assert_eq!(outcome.unwrap(), Update::Written);
        });
    }
    tasks.join_all().await;

    let reopened = FileBackend::open(tmp.store()).unwrap();
    let now = UnixTime::now();
    for id in gone {
        assert_eq!(reopened.load(id, now, MAX).await.unwrap(), None);
    }
    for id in kept {
        let record = reopened.load(id, now, MAX).await.unwrap();
        assert_eq!(record.expect("a kept session loads").version, 2);
    }
    let mut names = record_names(&tmp.store());
    names.sort();
    let mut expected: Vec<String> = kept.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(names, expected);
}
