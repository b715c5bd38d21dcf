//! `MemoryStore` against the store conformance suite, plus what only a
//! memory store can promise: exact cleanup counts and its bound.

use std::time::Duration;

use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime};
use sessions::{Key, MemoryStore};

sessions_conformance::store_tests!(memory, |key| MemoryStore::new(key));

fn record(times: Times) -> Record {
    Record::new(vec![1, 2, 3], times)
}

fn expired() -> Times {
    let now = UnixTime::now().as_secs();
    Times {
        created_at: UnixTime::from_secs(now - 20),
        issued_at: UnixTime::from_secs(now - 20),
        expires_at: UnixTime::from_secs(now - 10),
    }
}

fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_hours(1))
}

#[tokio::test]
async fn cleanup_counts_exactly_the_expired_records() {
    let store = MemoryStore::new(Key::generate());
    let backend = store.backend();
    for times in [expired(), expired(), expired(), live()] {
        assert!(
            backend
                .create(&SessionId::generate(), &record(times), UnixTime::now())
                .await
                .unwrap()
        );
    }
    assert_eq!(backend.len(), 4, "expired records stay until cleaned up");
    assert_eq!(store.cleanup_expired().await.unwrap(), 3);
    assert_eq!(backend.len(), 1);
    assert_eq!(store.cleanup_expired().await.unwrap(), 0);
}

#[tokio::test]
async fn the_bound_holds_and_expired_records_go_first() {
    let backend = MemoryBackend::new(3);
    let stale = SessionId::generate();
    assert!(
        backend
            .create(&stale, &record(expired()), UnixTime::now())
            .await
            .unwrap()
    );
    let ids: Vec<_> = (0..5).map(|_| SessionId::generate()).collect();
    for id in &ids {
        assert!(
            backend
                .create(id, &record(live()), UnixTime::now())
                .await
                .unwrap()
        );
        assert!(
            backend.len() <= 3,
            "a memory backend never holds more than its capacity"
        );
    }
    let now = UnixTime::now();
    assert!(
        backend.load(&ids[4], now, 1024).await.unwrap().is_some(),
        "the newest record is kept"
    );
}
