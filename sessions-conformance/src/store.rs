//! The `Store` contract of `ServerStore` over the backend: the life of one
//! session through the registry, as a browser sees it, and through
//! `Store::load` and `Store::delete`.
//!
//! Saving is reached through the registry only: `Store` is sealed and its
//! `save` is not callable outside `sessions`, so these cases save the way
//! an application does.

use sessions::store::{Backend, Record, ServerStore, Store, UnixTime};
use sessions::{Error, Key};

use super::harness::{
    ABSOLUTE, Absolute, Harness, IDLE, Idle, Plain, Reply, Visit, ago, ahead, expired, times,
};

/// The record limit of [`store_record_size_limit`].
const LIMIT: usize = 200;

/// A saved session loads back: the same data through the registry, and
/// through `Store::load` the backend's record with its id.
pub async fn store_save_then_load<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "first")).await;
    let data = h.data::<Plain>(&cookie).await;
    assert_eq!(
        data,
        Some(Visit::new(1, "first")),
        "the saved data loads back"
    );

    let loaded = h
        .load("conformance", &cookie)
        .await
        .expect("the cookie loads");
    let id = loaded
        .id()
        .cloned()
        .expect("a server-side store reports the id");
    let record = h.record(&id).await.expect("the record is in the backend");
    assert_eq!(
        loaded.payload(),
        record.payload,
        "load gives back the record's payload"
    );
    assert_eq!(
        loaded.times(),
        record.times,
        "load gives back the record's times"
    );
    assert_eq!(
        loaded.version(),
        record.version,
        "load gives back the record's version"
    );
    assert!(loaded.times().expires_at > UnixTime::now());
}

/// A cookie loads until `times.expires_at` and not at it.
pub async fn store_load_honours_now<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let end = h
        .load("conformance", &cookie)
        .await
        .expect("loads")
        .times()
        .expires_at;
    let just_before = UnixTime::from_secs(end.as_secs() - 1);
    assert!(
        h.load_at("conformance", &cookie, just_before)
            .await
            .is_some()
    );
    assert!(
        h.load_at("conformance", &cookie, end).await.is_none(),
        "Store::load must return None at now == expires_at"
    );
}

/// A change to a loaded session is written in place: same id, new data.
pub async fn store_update_keeps_the_id<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let first = h.start(Visit::<Plain>::new(1, "a")).await;
    let exchange = h.visit::<Plain>(Some(&first)).await;
    exchange.session.update(|v| *v = Visit::new(2, "b"));
    let second = exchange.reply().await.cookie();
    assert_eq!(
        h.id::<Plain>(&first).await,
        h.id::<Plain>(&second).await,
        "an update keeps the id"
    );
    assert_eq!(h.data::<Plain>(&second).await, Some(Visit::new(2, "b")));
}

/// A session loaded and left alone is not written: no `Set-Cookie`, the
/// record untouched.
pub async fn store_untouched_session_writes_nothing<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let before = h.record(&id).await;
    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    assert!(!exchange.session.is_new());
    assert_eq!(exchange.reply().await, Reply::Untouched);
    assert_eq!(
        h.record(&id).await,
        before,
        "an untouched session is not rewritten"
    );
}

/// `destroy` sends a removal cookie and the old cookie stops loading.
pub async fn store_destroy_stops_the_cookie<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    exchange.session.destroy();
    assert_eq!(
        exchange.reply().await,
        Reply::Removal,
        "destroy sends a removal cookie"
    );
    assert_eq!(
        h.data::<Plain>(&cookie).await,
        None,
        "a destroyed session must not load"
    );
    assert!(h.load("conformance", &cookie).await.is_none());
    assert_eq!(h.record(&id).await, None, "destroy deletes the record");
}

/// `Store::delete` of a loaded session makes it stop loading; a second
/// delete is fine.
pub async fn store_delete_stops_loading<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let loaded = h.load("conformance", &cookie).await.expect("loads");
    let delete = Store::delete(&*h.store, "conformance", &loaded).await;
    delete.expect("Store::delete failed");
    assert!(
        h.load("conformance", &cookie).await.is_none(),
        "a deleted session must not load"
    );
    let again = Store::delete(&*h.store, "conformance", &loaded).await;
    again.expect("deleting twice is not an error");
}

/// `renew` writes the data under a new id, keeps `created_at` (the anchor
/// of the absolute timeout), and the old cookie stops loading.
pub async fn store_renew_gives_a_new_id<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let old = h.start(Visit::<Plain>::new(1, "a")).await;
    let old_id = h.id::<Plain>(&old).await;
    let old_times = h.record(&old_id).await.expect("live").times;
    let exchange = h.visit::<Plain>(Some(&old)).await;
    exchange.session.renew();
    let new = exchange.reply().await.cookie();
    assert_ne!(new, old, "renew sends another cookie");
    let new_id = h.id::<Plain>(&new).await;
    assert_ne!(new_id, old_id, "renew gives a new id");
    assert_eq!(
        h.data::<Plain>(&new).await,
        Some(Visit::new(1, "a")),
        "renew keeps the data"
    );
    assert_eq!(
        h.data::<Plain>(&old).await,
        None,
        "the old cookie must not load after renew"
    );
    assert_eq!(
        h.record(&old_id).await,
        None,
        "renew deletes the old record"
    );
    let new_times = h.record(&new_id).await.expect("live").times;
    assert_eq!(
        new_times.created_at, old_times.created_at,
        "renew keeps created_at"
    );
}

/// A cookie whose record is gone gives a new session, saved under a new
/// id: the old id is never adopted.
pub async fn store_missing_record_gives_a_new_id<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let old = h.start(Visit::<Plain>::new(1, "a")).await;
    let old_id = h.id::<Plain>(&old).await;
    h.backend()
        .delete(&old_id)
        .await
        .expect("Backend::delete failed");
    assert!(
        h.load("conformance", &old).await.is_none(),
        "a missing record must not load"
    );
    assert_new_id_after(&h, &old, &old_id).await;
}

/// A cookie whose record expired gives a new session under a new id.
pub async fn store_expired_record_gives_a_new_id<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let old = h.start(Visit::<Plain>::new(1, "a")).await;
    let old_id = h.id::<Plain>(&old).await;
    h.retime(&old_id, expired()).await;
    assert!(
        h.load("conformance", &old).await.is_none(),
        "an expired record must not load"
    );
    assert_new_id_after(&h, &old, &old_id).await;
}

/// Loads `old`, which must give a new session, saves it and checks that
/// the new cookie names a new id and that `old_id` stays gone.
async fn assert_new_id_after<B: Backend>(
    h: &Harness<B>,
    old: &str,
    old_id: &sessions::store::SessionId,
) {
    let exchange = h.visit::<Plain>(Some(old)).await;
    assert!(
        exchange.session.is_new(),
        "a dead cookie gives a new session"
    );
    assert_eq!(
        exchange.session.get(),
        Visit::default(),
        "a new session starts empty"
    );
    exchange.session.update(|v| v.count = 2);
    let new = exchange.reply().await.cookie();
    assert_ne!(
        &h.id::<Plain>(&new).await,
        old_id,
        "a dead session's id must never be reused"
    );
    assert_eq!(
        h.record(old_id).await,
        None,
        "the dead id must not be written again"
    );
}

/// The idle timeout counts from the last save (`issued_at`): a session past
/// it gives a new one, one past half of it is refreshed without a change.
pub async fn store_idle_timeout<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let idle = IDLE.as_secs();
    let cookie = h.start(Visit::<Idle>::new(1, "a")).await;
    let id = h.id::<Idle>(&cookie).await;

    h.retime(&id, times(ago(3 * idle), ago(idle * 3 / 4), ahead(3600)))
        .await;
    let exchange = h.visit::<Idle>(Some(&cookie)).await;
    assert_eq!(
        exchange.session.get(),
        Visit::new(1, "a"),
        "inside the idle window"
    );
    let refreshed = exchange.reply().await.cookie();
    let issued = h.record(&id).await.expect("live").times.issued_at;
    assert!(
        issued >= ago(5),
        "past half the idle window the session is refreshed"
    );
    assert_eq!(h.id::<Idle>(&refreshed).await, id, "a refresh keeps the id");

    h.retime(&id, times(ago(3 * idle), ago(idle), ahead(3600)))
        .await;
    let exchange = h.visit::<Idle>(Some(&refreshed)).await;
    assert!(
        exchange.session.is_new(),
        "a session idle for the timeout must not load"
    );
    exchange.session.update(|v| v.count = 9);
    let new = exchange.reply().await.cookie();
    assert_ne!(
        h.id::<Idle>(&new).await,
        id,
        "an idle session's id must not be reused"
    );
}

/// The absolute timeout counts from `created_at`, however recent the last
/// save.
pub async fn store_absolute_timeout<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let limit = ABSOLUTE.as_secs();
    let cookie = h.start(Visit::<Absolute>::new(1, "a")).await;
    let id = h.id::<Absolute>(&cookie).await;

    h.retime(&id, times(ago(limit - 30), ago(0), ahead(3600)))
        .await;
    let data = h.data::<Absolute>(&cookie).await;
    assert_eq!(data, Some(Visit::new(1, "a")), "inside the absolute limit");

    h.retime(&id, times(ago(limit), ago(0), ahead(3600))).await;
    let exchange = h.visit::<Absolute>(Some(&cookie)).await;
    assert!(
        exchange.session.is_new(),
        "a session past its absolute timeout must not load"
    );
    exchange.session.update(|v| v.count = 9);
    let new = exchange.reply().await.cookie();
    assert_ne!(
        h.id::<Absolute>(&new).await,
        id,
        "an expired session's id must not be reused"
    );
}

/// A record over `with_max_record_len` fails the save with
/// `Error::RecordTooLarge` (inside the batch's `Error::Save`), writes
/// nothing, and leaves the previous record as it was; one of exactly the
/// limit saves.
pub async fn store_record_size_limit<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store.with_max_record_len(LIMIT));
    let cookie = h.start(Visit::<Plain>::new(1, "x".repeat(100))).await;
    let overhead = h
        .load("conformance", &cookie)
        .await
        .expect("loads")
        .payload()
        .len()
        - 100;
    let fits = LIMIT - overhead;

    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    exchange.session.update(|v| v.note = "y".repeat(fits + 1));
    assert_too_large(exchange.finish().await, LIMIT + 1);
    assert_eq!(
        h.data::<Plain>(&cookie).await,
        Some(Visit::new(1, "x".repeat(100))),
        "a refused save leaves the record as it was"
    );

    let exchange = h.visit::<Plain>(None).await;
    exchange.session.update(|v| v.note = "z".repeat(fits + 1));
    assert_too_large(exchange.finish().await, LIMIT + 1);

    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    exchange.session.update(|v| v.note = "w".repeat(fits));
    let saved = exchange.reply().await.cookie();
    let record = h
        .load("conformance", &saved)
        .await
        .expect("a record at the limit saves");
    assert_eq!(record.payload().len(), LIMIT);
}

/// A record over the store's limit found under a live id (written by a
/// store with a larger limit, or by hand) is refused on load as on save:
/// `Store::load` fails with `Error::RecordTooLarge` and the request fails
/// closed, never showing the session; one of exactly the limit loads.
pub async fn store_record_over_the_limit_does_not_load<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store.with_max_record_len(LIMIT));
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let times = h.record(&id).await.expect("live").times;
    let over = Record::new(vec![0xa0; LIMIT + 1], times);
    h.rewrite(&id, 1, &over).await;

    match Store::load(&*h.store, "conformance", &cookie, UnixTime::now()).await {
        Err(Error::RecordTooLarge { len, max }) => {
            assert_eq!((len, max), (LIMIT + 1, LIMIT), "the error names the sizes");
        }
        other => panic!("a record over the limit must not load, got {other:?}"),
    }
    let req = h.request(Some(("conformance", &cookie)));
    let loaded = sessions::Handle::<Visit<Plain>>::load(&req).await;
    assert!(loaded.is_err(), "the request fails closed");

    let at_limit = Record::new(vec![0xa0; LIMIT], times);
    h.rewrite(&id, 2, &at_limit).await;
    let loaded = h.load("conformance", &cookie).await;
    assert_eq!(
        loaded.expect("a record at the limit loads").payload().len(),
        LIMIT
    );
}

fn assert_too_large(result: sessions::Result<Reply>, expected: usize) {
    let Err(Error::Save(errors)) = result else {
        panic!("a record over the limit must fail the save, got {result:?}");
    };
    match errors.failures() {
        [("conformance", Error::RecordTooLarge { len, max })] => {
            assert_eq!((*len, *max), (expected, LIMIT), "the error names the sizes");
        }
        other => panic!("expected one RecordTooLarge for `conformance`, got {other:?}"),
    }
}
