//! Compare-and-set: `Backend::update` writes only over the version its
//! caller read, versions only go up, and of many updates over one version
//! exactly one lands.

use std::sync::Arc;
use std::time::Duration;

use sessions::Key;
use sessions::store::{Backend, Loaded, ServerStore, SessionId, UnixTime, Update};
use tokio::sync::Barrier;

use super::backend::{ROUNDS, TASKS, create, update};
use super::harness::{Harness, Plain, Reply, Visit, live, record, times};

/// An update whose `expected` is not the live record's version, behind it
/// (a save that lost a race) or ahead of it, returns `Stale` and writes
/// nothing.
pub async fn backend_update_with_stale_version_writes_nothing<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    assert!(create(h.backend(), &id, &record(1, 10, live())).await);
    let second = record(2, 20, live()).with_version(2);
    assert_eq!(
        update(h.backend(), &id, 1, &second).await,
        Update::Written,
        "update over the live version returns Written"
    );
    let late = record(3, 30, live()).with_version(2);
    assert_eq!(
        update(h.backend(), &id, 1, &late).await,
        Update::Stale,
        "an update over an old version must return Stale"
    );
    assert_eq!(
        h.record(&id).await,
        Some(second.clone()),
        "a stale update must write nothing"
    );
    let early = record(4, 40, live()).with_version(4);
    assert_eq!(
        update(h.backend(), &id, 3, &early).await,
        Update::Stale,
        "an update over a version not yet written must return Stale"
    );
    assert_eq!(
        h.record(&id).await,
        Some(second),
        "a stale update must write nothing"
    );
}

/// `load` returns the version each write stored, one more after each
/// update, and a stale update asking for an older version never brings it
/// back.
pub async fn backend_versions_only_go_up<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    assert!(create(h.backend(), &id, &record(0, 10, live())).await);
    let version = async || h.record(&id).await.expect("the record is live").version;
    assert_eq!(version().await, 1, "load returns the version create stored");
    for byte in 1..=5 {
        let seen = version().await;
        let next = record(byte, 10, live()).with_version(seen + 1);
        assert_eq!(update(h.backend(), &id, seen, &next).await, Update::Written);
        assert_eq!(
            version().await,
            seen + 1,
            "load returns the version update stored"
        );
        let back = record(0xee, 10, live()).with_version(seen);
        assert_eq!(
            update(h.backend(), &id, seen - 1, &back).await,
            Update::Stale,
            "an update over an old version must return Stale"
        );
        assert_eq!(version().await, seen + 1, "a version must never go back");
    }
}

/// Many tasks update one record at once, all over the version they all
/// read, for a few rounds: exactly one update per round is `Written`,
/// every other one `Stale`, and the record is the winner's, at the next
/// version. In every other round all tasks write the same bytes, as two
/// requests taking the same flash do: a backend that answers `Written` to
/// a write it finds already applied (to make resending idempotent) lets
/// both take it.
pub async fn backend_concurrent_updates_have_one_winner<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let id = SessionId::generate();
    let now = UnixTime::now();
    let written = move |i: u8, version: u64| {
        let end = now + Duration::from_secs(3600 + u64::from(i));
        record(i, 1024, times(now, now, end)).with_version(version)
    };
    assert!(create(h.backend(), &id, &written(0, 1)).await);
    for expected in 1..=u64::from(ROUNDS) {
        let barrier = Arc::new(Barrier::new(TASKS.into()));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (h, id, barrier) = (Arc::clone(&h), id.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let writer = if expected % 2 == 0 { 0 } else { i };
                    let next = written(writer, expected + 1);
                    (i, update(h.backend(), &id, expected, &next).await)
                })
            })
            .collect();
        let (mut winners, mut stale) = (Vec::new(), 0);
        for task in tasks {
            match task.await.expect("an update task panicked") {
                (i, Update::Written) => winners.push(i),
                (_, Update::Stale) => stale += 1,
                (_, Update::Missing) => panic!("the record is live: no update is Missing"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "update must be compare-and-set: exactly one winner per version"
        );
        assert_eq!(stale, TASKS - 1, "every other update is Stale");
        let winner = if expected % 2 == 0 { 0 } else { winners[0] };
        assert_eq!(
            h.record(&id).await,
            Some(written(winner, expected + 1)),
            "the winner's record is kept"
        );
    }
}

/// Through the store: a new session is version 1, each save writes the
/// next one, a request that changes nothing writes none, and
/// `Loaded::version` is the backend's record's version.
pub async fn store_versions_increase_with_each_save<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let mut cookie = h.start(Visit::<Plain>::new(0, "v")).await;
    let id = h.id::<Plain>(&cookie).await;
    let loaded = async |cookie: &str| -> Loaded {
        let loaded = h.load("conformance", cookie).await;
        let loaded = loaded.expect("the session loads");
        let record = h.record(&id).await.expect("the record is live");
        assert_eq!(
            loaded.version(),
            record.version,
            "Store::load reports the record's version"
        );
        loaded
    };
    assert_eq!(
        loaded(&cookie).await.version(),
        1,
        "a new session is version 1"
    );
    for count in 1..=3 {
        let exchange = h.visit::<Plain>(Some(&cookie)).await;
        exchange.session.update(|v| v.count = count);
        cookie = exchange.reply().await.cookie();
        assert_eq!(
            loaded(&cookie).await.version(),
            u64::from(count) + 1,
            "each save writes the next version"
        );
    }
    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    assert_eq!(exchange.reply().await, Reply::Untouched);
    assert_eq!(
        loaded(&cookie).await.version(),
        4,
        "an untouched session writes no version"
    );
}
