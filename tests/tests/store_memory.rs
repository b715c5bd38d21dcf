//! `MemoryStore` against the store conformance suite, plus what only a
//! memory store can promise: exact cleanup counts, its bound, and who is
//! evicted when it is full. Every time is pinned: no clock, no sleep.

use std::sync::Arc;
use std::time::Duration;

use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime, Update};
use sessions::{Key, MemoryStore};

sessions_conformance::store_tests!(memory, |key| MemoryStore::new(key));

/// The instant every test runs at.
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn record(times: Times) -> Record {
    Record::new(vec![1, 2, 3], times)
}

/// A record that expired ten seconds before [`NOW`].
fn expired() -> Record {
    let start = UnixTime::from_secs(NOW.as_secs() - 20);
    record(Times::fresh(start, Duration::from_secs(10)))
}

/// A record live for an hour after [`NOW`].
fn live() -> Record {
    record(Times::fresh(NOW, Duration::from_hours(1)))
}

async fn create(backend: &MemoryBackend, record: &Record) -> SessionId {
    let id = SessionId::generate();
    assert!(backend.create(&id, record, NOW).await.unwrap());
    id
}

async fn loads(backend: &MemoryBackend, id: &SessionId) -> bool {
    backend.load(id, NOW, 1024).await.unwrap().is_some()
}

#[tokio::test]
async fn cleanup_counts_exactly_the_expired_records() {
    let store = MemoryStore::new(Key::generate());
    let backend = store.backend();
    for record in [expired(), expired(), expired(), live()] {
        create(backend, &record).await;
    }
    assert_eq!(backend.len(), 4, "expired records stay until cleaned up");
    assert_eq!(backend.cleanup_expired(NOW).await.unwrap(), 3);
    assert_eq!(backend.len(), 1);
    assert_eq!(backend.cleanup_expired(NOW).await.unwrap(), 0);
}

#[tokio::test]
async fn the_bound_holds_and_expired_records_go_first() {
    let backend = MemoryBackend::new(3);
    let first = create(&backend, &live()).await;
    assert!(loads(&backend, &first).await, "used again: protected");
    let stale = create(&backend, &expired()).await;
    let second = create(&backend, &live()).await;
    let newest = create(&backend, &live()).await;
    assert_eq!(backend.len(), 3, "a memory backend never holds more");
    assert_eq!(backend.cleanup_expired(NOW).await.unwrap(), 0, "it went");
    for id in [&first, &second, &newest] {
        assert!(loads(&backend, id).await, "live records stay");
    }
    assert!(!loads(&backend, &stale).await);
}

/// `n` sessions, each loaded again after it was created, as a user's
/// second request does.
async fn active_users(backend: &MemoryBackend, n: usize) -> Vec<SessionId> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = create(backend, &live()).await;
        assert!(loads(backend, &id).await);
        ids.push(id);
    }
    ids
}

/// `n` new sessions that nobody comes back to.
async fn flood(backend: &MemoryBackend, n: usize) -> Vec<SessionId> {
    flood_of(backend, n, &live()).await
}

#[tokio::test]
async fn a_flood_of_new_sessions_does_not_evict_sessions_in_use() {
    // 800 users in use (the protected share, 80%), 200 idle sessions.
    let backend = MemoryBackend::new(1_000);
    let users = active_users(&backend, 800).await;
    flood(&backend, 200).await;
    assert_eq!(backend.len(), 1_000);

    let attack = flood(&backend, 1_600).await;
    assert_eq!(backend.len(), 1_000, "a flood keeps the store at capacity");
    for id in &users {
        assert!(loads(&backend, id).await, "every user still loads");
    }
    let kept = attack.iter().rev().take(200);
    for id in kept {
        assert!(loads(&backend, id).await, "the newest of the flood stay");
    }
}

#[tokio::test]
async fn a_flood_alone_keeps_the_store_at_capacity_and_counts_exactly() {
    let backend = MemoryBackend::new(100);
    let ids = flood(&backend, 250).await;
    assert_eq!(backend.len(), 100);
    assert_eq!(
        backend.evicted(),
        150,
        "one eviction per create past capacity"
    );
    let mut gone = 0;
    for id in &ids {
        gone += usize::from(!loads(&backend, id).await);
    }
    assert_eq!(gone, 150, "the evicted records are exactly those counted");
    for id in &ids[150..] {
        assert!(loads(&backend, id).await, "the oldest go first");
    }
}

#[tokio::test]
async fn expired_records_are_dropped_first_and_not_counted_as_evicted() {
    let backend = MemoryBackend::new(10);
    let users = active_users(&backend, 4).await;
    let stale = flood_of(&backend, 6, &expired()).await;
    let new = flood(&backend, 6).await;
    assert_eq!((backend.len(), backend.evicted()), (10, 0));
    for id in users.iter().chain(&new) {
        assert!(loads(&backend, id).await, "no live record went");
    }
    for id in &stale {
        assert!(!loads(&backend, id).await);
    }
    assert_eq!(backend.cleanup_expired(NOW).await.unwrap(), 0);
}

async fn flood_of(backend: &MemoryBackend, n: usize, record: &Record) -> Vec<SessionId> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(create(backend, record).await);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_users_and_floods_keep_the_bound_and_the_users() {
    let backend = Arc::new(MemoryBackend::new(1_000));
    let users = active_users(&backend, 400).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let flooder = Arc::clone(&backend);
        tasks.spawn(async move { flood(&flooder, 1_000).await });
        let (user, users) = (Arc::clone(&backend), users.clone());
        tasks.spawn(async move {
            for id in &users {
                // Four tasks update each user: over the version just read,
                // an update lands unless another task's landed in between.
                let current = user.load(id, NOW, 1024).await.unwrap();
                let version = current.expect("an active user stays").version;
                let next = live().with_version(version + 1);
                let updated = user.update(id, version, &next, NOW).await.unwrap();
                assert_ne!(updated, Update::Missing, "an active user stays");
                assert!(loads(&user, id).await);
            }
            Vec::new()
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
        assert!(backend.len() <= 1_000);
    }
    assert_eq!(backend.len(), 1_000);
    assert_eq!(backend.evicted(), 400 + 4_000 - 1_000);
    for id in &users {
        assert!(loads(&backend, id).await);
    }
}
