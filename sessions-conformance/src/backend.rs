//! The `Backend` contract, method by method, on the backend alone.

use std::sync::Arc;
use std::time::Duration;

use sessions::store::{Backend, Record, ServerStore, SessionId, Store, UnixTime, Update};
use sessions::{Error, Key};
use tokio::sync::Barrier;

use super::harness::{Harness, ago, ahead, expired, live, record, times};

/// How many tasks the concurrent cases run.
pub(crate) const TASKS: u8 = 32;

/// How many times the concurrent updates race.
pub(crate) const ROUNDS: u8 = 4;

pub(crate) async fn create<B: Backend>(backend: &B, id: &SessionId, record: &Record) -> bool {
    backend
        .create(id, record, UnixTime::now())
        .await
        .expect("Backend::create failed")
}

/// `Backend::update` now, over version `expected`.
pub(crate) async fn update<B: Backend>(
    backend: &B,
    id: &SessionId,
    expected: u64,
    record: &Record,
) -> Update {
    backend
        .update(id, expected, record, UnixTime::now())
        .await
        .expect("Backend::update failed")
}

pub(crate) async fn delete<B: Backend>(backend: &B, id: &SessionId) {
    backend.delete(id).await.expect("Backend::delete failed");
}

/// `kind` is a name of its own: not empty, not the cookie store's (a
/// backend calling itself `"cookie"` would open the cookie store's cookies
/// with the same key), and the one the store binds into its cookies.
#[allow(clippy::unused_async, reason = "every case has one signature")]
pub async fn backend_kind_names_the_backend<B: Backend>(_key: Key, store: ServerStore<B>) {
    let kind = store.backend().kind();
    assert!(!kind.is_empty(), "Backend::kind must not be empty");
    assert_ne!(
        kind, "cookie",
        "Backend::kind must not be the cookie store's kind"
    );
    assert_eq!(
        Store::kind(&store),
        kind,
        "ServerStore::kind is the backend's"
    );
}

/// `create` inserts into a free id and `load` gives the exact record back,
/// version included, whatever version it was created with; an unknown id
/// loads as `None`.
pub async fn backend_create_then_load<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (id, r) = (SessionId::generate(), record(1, 100, live()));
    assert!(
        create(h.backend(), &id, &r).await,
        "create on a free id returns true"
    );
    assert_eq!(
        h.record(&id).await,
        Some(r),
        "load returns what create wrote"
    );
    let (other, seventh) = (SessionId::generate(), record(2, 10, live()).with_version(7));
    assert!(create(h.backend(), &other, &seventh).await);
    assert_eq!(
        h.record(&other).await,
        Some(seventh),
        "create stores the version the record carries"
    );
    let unknown = SessionId::generate();
    assert_eq!(
        h.record(&unknown).await,
        None,
        "an unknown id loads as None"
    );
}

/// `create` on a live id returns `false` and changes nothing.
pub async fn backend_create_on_live_id_changes_nothing<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    let first = record(1, 10, live());
    assert!(create(h.backend(), &id, &first).await);
    let second = record(2, 20, times(ago(5), ago(5), ahead(7200)));
    assert!(
        !create(h.backend(), &id, &second).await,
        "create on a live id must return false"
    );
    assert_eq!(
        h.record(&id).await,
        Some(first),
        "create on a live id must change nothing"
    );
}

/// A record is live until `expires_at`: one written already expired never
/// loads, and its id is free for `create` again.
pub async fn backend_create_on_expired_id_inserts<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    let old = record(1, 10, expired());
    assert!(
        create(h.backend(), &id, &old).await,
        "create on a free id returns true"
    );
    assert_eq!(h.record(&id).await, None, "an expired record must not load");
    let new = record(2, 10, live());
    assert!(
        create(h.backend(), &id, &new).await,
        "create over an expired record is create on a free id"
    );
    assert_eq!(h.record(&id).await, Some(new));
}

/// `load` honours the `now` it is given: live before `expires_at`, gone at it.
pub async fn backend_load_honours_now<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (id, r) = (SessionId::generate(), record(1, 10, live()));
    assert!(create(h.backend(), &id, &r).await);
    let end = r.times.expires_at;
    let just_before = UnixTime::from_secs(end.as_secs() - 1);
    assert_eq!(
        h.record_at(&id, just_before).await,
        Some(r),
        "live until expires_at"
    );
    assert_eq!(
        h.record_at(&id, end).await,
        None,
        "gone at now == expires_at"
    );
}

/// `load` applies the size limit it is given: a record whose payload is
/// over it is `Error::RecordTooLarge`, never returned; one of exactly the
/// limit loads. An expired one never loads, whichever check comes first.
pub async fn backend_load_applies_the_size_limit<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (id, r) = (SessionId::generate(), record(1, 300, live()));
    assert!(create(h.backend(), &id, &r).await);
    let now = UnixTime::now();
    match h.backend().load(&id, now, 299).await {
        Err(Error::RecordTooLarge { len, max }) => {
            assert_eq!((len, max), (300, 299), "the error names the sizes");
        }
        other => panic!("a record over the limit must not load, got {other:?}"),
    }
    let loaded = h.backend().load(&id, now, 300).await;
    assert_eq!(loaded.expect("Backend::load failed"), Some(r));
    let old = SessionId::generate();
    assert!(create(h.backend(), &old, &record(2, 300, expired())).await);
    let loaded = h.backend().load(&old, now, 299).await;
    assert!(
        matches!(loaded, Ok(None) | Err(Error::RecordTooLarge { .. })),
        "an expired record never loads, got {loaded:?}"
    );
}

/// `update` over the live record's version replaces it and returns
/// `Written`.
pub async fn backend_update_replaces_live_record<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    assert!(create(h.backend(), &id, &record(1, 10, live())).await);
    let new = record(2, 300, times(ago(0), ago(0), ahead(7200))).with_version(2);
    assert_eq!(
        update(h.backend(), &id, 1, &new).await,
        Update::Written,
        "update of a live record over its version returns Written"
    );
    assert_eq!(
        h.record(&id).await,
        Some(new),
        "load returns what update wrote"
    );
}

/// `update` of an id that was never written, or was deleted, returns
/// `Missing` and writes nothing.
pub async fn backend_update_on_missing_id_writes_nothing<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let never = SessionId::generate();
    assert_eq!(
        update(
            h.backend(),
            &never,
            1,
            &record(1, 10, live()).with_version(2)
        )
        .await,
        Update::Missing,
        "update of a missing id must return Missing"
    );
    assert_eq!(
        h.record(&never).await,
        None,
        "update of a missing id must write nothing"
    );

    let deleted = SessionId::generate();
    assert!(create(h.backend(), &deleted, &record(1, 10, live())).await);
    delete(h.backend(), &deleted).await;
    assert_eq!(
        update(
            h.backend(),
            &deleted,
            1,
            &record(2, 10, live()).with_version(2)
        )
        .await,
        Update::Missing,
        "update of a deleted id must return Missing"
    );
    assert_eq!(
        h.record(&deleted).await,
        None,
        "a deleted record must not come back"
    );
}

/// `update` of an expired record, even over its version, returns `Missing`
/// and writes nothing: the expired record, seen from before its expiry,
/// is the old one or gone.
pub async fn backend_update_on_expired_record_writes_nothing<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    let old = record(1, 10, expired());
    assert!(create(h.backend(), &id, &old).await);
    assert_eq!(
        update(h.backend(), &id, 1, &record(2, 10, live()).with_version(2)).await,
        Update::Missing,
        "update of an expired record must return Missing"
    );
    assert_eq!(
        h.record(&id).await,
        None,
        "update of an expired record must write nothing"
    );
    let seen = h.record_at(&id, ago(5000)).await;
    assert!(
        seen.is_none() || seen == Some(old),
        "update of an expired record must not replace it"
    );
}

/// `delete` removes the record; deleting again, or an unknown id, is fine.
pub async fn backend_delete_is_idempotent<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let id = SessionId::generate();
    assert!(create(h.backend(), &id, &record(1, 10, live())).await);
    delete(h.backend(), &id).await;
    assert_eq!(h.record(&id).await, None, "a deleted record must not load");
    delete(h.backend(), &id).await;
    delete(h.backend(), &SessionId::generate()).await;
}

/// `cleanup_expired` removes expired records (or reports 0 when the backend
/// expires them natively) and never a live one.
pub async fn backend_cleanup_keeps_live_records<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (gone, also_gone, kept) = (
        SessionId::generate(),
        SessionId::generate(),
        SessionId::generate(),
    );
    assert!(create(h.backend(), &gone, &record(1, 10, expired())).await);
    assert!(create(h.backend(), &also_gone, &record(2, 10, expired())).await);
    let live = record(3, 10, live());
    assert!(create(h.backend(), &kept, &live).await);
    let removed = h
        .backend()
        .cleanup_expired(UnixTime::now())
        .await
        .expect("Backend::cleanup_expired failed");
    assert!(
        removed == 0 || removed >= 2,
        "two expired records, {removed} removed"
    );
    assert_eq!(h.record(&gone).await, None);
    assert_eq!(h.record(&also_gone).await, None);
    assert_eq!(
        h.record(&kept).await,
        Some(live),
        "cleanup must keep live records"
    );
}

/// Many tasks `create` the same id at once: exactly one wins, and its
/// record is the one kept.
pub async fn backend_concurrent_creates_have_one_winner<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let id = SessionId::generate();
    let barrier = Arc::new(Barrier::new(TASKS.into()));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let (h, id, barrier) = (Arc::clone(&h), id.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                let r = record(i, 1024, live());
                barrier.wait().await;
                create(h.backend(), &id, &r).await.then_some(r)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.expect("a create task panicked"));
    }
    assert_eq!(
        winners.len(),
        1,
        "create must be insert-if-absent: exactly one winner"
    );
    assert_eq!(
        h.record(&id).await,
        winners.pop(),
        "the winner's record is kept"
    );
}

/// Many tasks update one live record at once, each over the version it
/// loaded just before, and load it again after, for a few rounds: each
/// update is `Written` or `Stale`, at least one per round is `Written`,
/// and every load, during the race and after it, sees one whole update,
/// never a mix.
pub async fn backend_concurrent_updates_leave_one_whole_record<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let id = SessionId::generate();
    let now = UnixTime::now();
    let written = move |i: u8, version: u64| {
        let end = now + Duration::from_secs(3600 + u64::from(i));
        record(i, 4096, times(now, now, end)).with_version(version)
    };
    assert!(create(h.backend(), &id, &written(0, 1)).await);
    let whole = move |seen: Option<Record>| {
        let seen = seen.expect("the record survives the updates");
        let i = seen.payload[0];
        assert!(i < TASKS, "the record is one of the updates");
        assert_eq!(
            seen,
            written(i, seen.version),
            "a record is one whole update, never a mix"
        );
    };
    for _round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(TASKS.into()));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (h, id, barrier) = (Arc::clone(&h), id.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let seen = h.record(&id).await;
                    let version = seen.as_ref().map_or(0, |seen| seen.version);
                    let next = written(i, version + 1);
                    let outcome = update(h.backend(), &id, version, &next).await;
                    (seen, outcome, h.record(&id).await)
                })
            })
            .collect();
        let mut writes = 0;
        for task in tasks {
            let (seen, outcome, after) = task.await.expect("an update task panicked");
            assert_ne!(outcome, Update::Missing, "the record is live");
            writes += usize::from(outcome.is_written());
            whole(seen);
            whole(after);
        }
        assert!(writes >= 1, "an update over the version just loaded lands");
    }
}

/// Updates racing a delete never bring the record back: once every task
/// is done, the record is gone.
pub async fn backend_update_racing_delete_never_resurrects<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let id = SessionId::generate();
    assert!(create(h.backend(), &id, &record(0, 16, live())).await);
    let barrier = Arc::new(Barrier::new(usize::from(TASKS) + 1));
    let mut tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let (h, id, barrier) = (Arc::clone(&h), id.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let next = record(i, 1024, live()).with_version(2);
                let _ = update(h.backend(), &id, 1, &next).await;
            })
        })
        .collect();
    let (h2, barrier, doomed) = (Arc::clone(&h), Arc::clone(&barrier), id.clone());
    tasks.push(tokio::spawn(async move {
        barrier.wait().await;
        delete(h2.backend(), &doomed).await;
    }));
    for task in tasks {
        task.await.expect("a racing task panicked");
    }
    assert_eq!(
        h.record(&id).await,
        None,
        "an update racing a delete resurrected the record"
    );
}
