//! Requests that overlap on one session: concurrent saves, and saves that
//! lose a race to a logout (`destroy`) or a login (`renew`) elsewhere. A
//! session that was deleted never comes back, under its old id or a new one.

use std::sync::Arc;

use sessions::Key;
use sessions::store::{Backend, ServerStore};
use tokio::sync::Barrier;

use super::backend::TASKS;
use super::harness::{Exchange, Harness, Plain, Reply, Visit};

/// The note of task `i`: long, and tied to `i`, so a torn or mixed record
/// shows.
fn note(i: u32) -> String {
    let letter = char::from_digit(i % 36, 36).expect("a digit below 36");
    letter.to_string().repeat(2000)
}

/// Many requests load one session, then all save a change at once: every
/// save updates the same id, and one whole change remains. Every request
/// changes every field (the start is none of theirs), so merging field by
/// field keeps one request's value of each: the later save's, whole.
pub async fn store_concurrent_saves_leave_one_whole_record<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let cookie = h.start(Visit::<Plain>::new(u32::MAX, "start")).await;
    let id = h.id::<Plain>(&cookie).await;
    let barrier = Arc::new(Barrier::new(TASKS.into()));
    let tasks: Vec<_> = (0..u32::from(TASKS))
        .map(|i| {
            let (h, cookie, barrier) = (Arc::clone(&h), cookie.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                let exchange = h.visit::<Plain>(Some(&cookie)).await;
                assert!(
                    !exchange.session.is_new(),
                    "the session loads in every request"
                );
                barrier.wait().await;
                exchange.session.replace(Visit::new(i, note(i)));
                exchange.reply().await.cookie()
            })
        })
        .collect();
    let mut cookies = Vec::new();
    for task in tasks {
        cookies.push(task.await.expect("a saving task panicked"));
    }
    for cookie in &cookies {
        assert_eq!(
            h.id::<Plain>(cookie).await,
            id,
            "every save updates the same id"
        );
    }
    let last = h
        .data::<Plain>(&cookie)
        .await
        .expect("the session survives");
    assert!(
        last.count < u32::from(TASKS),
        "the record is one of the saves"
    );
    assert_eq!(
        last,
        Visit::new(last.count, note(last.count)),
        "one whole save, not a mix"
    );
}

/// Loads the session of `cookie` in two requests, A and B.
async fn two_requests<B: Backend>(
    h: &Harness<B>,
    cookie: &str,
) -> (Exchange<Plain>, Exchange<Plain>) {
    let a = h.visit::<Plain>(Some(cookie)).await;
    let b = h.visit::<Plain>(Some(cookie)).await;
    assert!(
        !a.session.is_new() && !b.session.is_new(),
        "both requests load the session"
    );
    (a, b)
}

/// Asserts that a save which lost the race to a delete wrote nothing that
/// loads.
async fn assert_stays_dead<B: Backend>(h: &Harness<B>, reply: Reply, what: &str) {
    if let Reply::Cookie(value) = &reply {
        let data = h.data::<Plain>(value).await;
        assert_eq!(
            data, None,
            "{what}: the deleted session came back under a new cookie"
        );
    }
    assert_eq!(
        reply,
        Reply::Removal,
        "{what}: the losing save must send a removal cookie"
    );
}

/// Request A loads, request B destroys and saves, then A changes the
/// session and saves: A's save writes nothing, its cookie does not load,
/// the record stays gone.
pub async fn store_save_racing_destroy_does_not_resurrect<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let (a, b) = two_requests(&h, &cookie).await;
    b.session.destroy();
    assert_eq!(b.reply().await, Reply::Removal);
    a.session.update(|v| v.count = 2);
    let reply = a.reply().await;
    assert_eq!(
        h.data::<Plain>(&cookie).await,
        None,
        "the destroyed cookie must not load"
    );
    assert_eq!(
        h.record(&id).await,
        None,
        "an update after destroy must not write"
    );
    assert_stays_dead(&h, reply, "update after destroy").await;
}

/// As above, but A renews (a login) before saving: the renewed save must
/// not bring the destroyed session back under a new id either.
pub async fn store_renew_racing_destroy_does_not_resurrect<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let (a, b) = two_requests(&h, &cookie).await;
    b.session.destroy();
    assert_eq!(b.reply().await, Reply::Removal);
    a.session.renew();
    a.session.update(|v| v.count = 2);
    let reply = a.reply().await;
    assert_eq!(
        h.data::<Plain>(&cookie).await,
        None,
        "the destroyed cookie must not load"
    );
    assert_eq!(h.record(&id).await, None);
    assert_stays_dead(&h, reply, "renew after destroy").await;
}

/// Request A loads, request B renews and saves (deleting the old id), then
/// A saves a change: the update finds no record and writes nothing; B's
/// renewed session is unharmed.
pub async fn store_update_racing_renew_writes_nothing<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let (a, b) = two_requests(&h, &cookie).await;
    b.session.renew();
    let renewed = b.reply().await.cookie();
    a.session.update(|v| v.count = 2);
    let reply = a.reply().await;
    assert_eq!(
        h.record(&id).await,
        None,
        "an update of a renewed-away id must not write"
    );
    assert_stays_dead(&h, reply, "update after renew").await;
    let data = h.data::<Plain>(&renewed).await;
    assert_eq!(
        data,
        Some(Visit::new(1, "a")),
        "the renewed session is unharmed"
    );
}

/// Requests A and B load one session and both renew it: the old id is
/// deleted by the first renew, so the second one's previous session is
/// gone and its save must write nothing, not fork a second live session.
pub async fn store_racing_renews_do_not_fork<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let (a, b) = two_requests(&h, &cookie).await;
    b.session.renew();
    let renewed = b.reply().await.cookie();
    a.session.renew();
    a.session.update(|v| v.count = 2);
    let reply = a.reply().await;
    assert!(
        h.data::<Plain>(&renewed).await.is_some(),
        "the first renew stands"
    );
    assert_stays_dead(&h, reply, "renew after renew").await;
}
