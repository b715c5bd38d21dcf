//! `RedisOptions` against a real `redis-server`: key prefixes that keep
//! apps apart, options refused before any traffic, a frozen server that
//! fails closed within the bound, and durable saves refused when no replica
//! confirms them.

use std::time::{Duration, Instant};

use sessions::Error;
use sessions::store::{Backend, RedisBackend, RedisOptions, SessionId, Times, UnixTime, Update};
use sessions_tests::redis_server::RedisServer;

/// Time a failing request may take beyond its bound: scheduling on a busy
/// two-core machine, never a speed.
const SLACK: Duration = Duration::from_secs(1);

fn record() -> sessions::store::Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_mins(10));
    sessions::store::Record::new(b"payload".to_vec(), times)
}

async fn connect(redis: &RedisServer, options: RedisOptions) -> RedisBackend {
    RedisBackend::connect_with(&redis.url(), options)
        .await
        .expect("connect to the test redis")
}

#[tokio::test]
async fn two_apps_with_their_own_prefix_never_see_each_others_sessions() {
    let redis = RedisServer::start();
    let shop = connect(&redis, RedisOptions::new().prefix("shop:session:")).await;
    let blog = connect(&redis, RedisOptions::new().prefix("blog:session:")).await;
    let id = SessionId::generate();
    let now = UnixTime::now();
    assert!(shop.create(&id, &record(), now).await.unwrap());

    assert!(
        redis
            .raw("KEYS shop:session:*")
            .contains(&format!("shop:session:{id}"))
    );
    assert!(!redis.raw("KEYS *").contains(&format!("blog:session:{id}")));
    assert!(blog.load(&id, now, 1 << 16).await.unwrap().is_none());
    assert_eq!(
        blog.update(&id, 1, &record().with_version(2), now)
            .await
            .unwrap(),
        Update::Missing,
        "no record to update"
    );
    assert!(!blog.delete(&id).await.unwrap());
    assert!(shop.load(&id, now, 1 << 16).await.unwrap().is_some());
}

#[tokio::test]
async fn a_bad_prefix_fails_before_any_connection() {
    // Nothing listens on port 1: an option error must come first.
    for bad in ["", "my app:", "{pinned}:", "all*"] {
        let options = RedisOptions::new().prefix(bad);
        let err = RedisBackend::connect_with("redis://127.0.0.1:1/", options)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidStoreOption {
                    option: "prefix",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_frozen_server_fails_closed_within_the_bound_then_recovers() {
    let redis = RedisServer::start();
    let options = RedisOptions::new().response_timeout(Duration::from_millis(300));
    let bound = options.bound();
    let backend = connect(&redis, options).await;
    let id = SessionId::generate();
    assert!(
        backend
            .create(&id, &record(), UnixTime::now())
            .await
            .unwrap()
    );

    // Every client but the one that asked is frozen for three seconds.
    assert_eq!(redis.raw("CLIENT PAUSE 3000 ALL"), "+OK\r\n");
    let started = Instant::now();
    let err = backend
        .load(&id, UnixTime::now(), 1 << 16)
        .await
        .unwrap_err();
    let took = started.elapsed();
    println!("frozen redis: load failed after {took:?} (bound {bound:?}): {err}");
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
    assert!(
        took < bound + SLACK,
        "failed after {took:?}, bound {bound:?}"
    );

    let recovered = eventually(|| backend.load(&id, UnixTime::now(), 1 << 16)).await;
    println!("frozen redis: loads again after {recovered:?}");
    assert!(
        backend
            .load(&id, UnixTime::now(), 1 << 16)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_durable_save_without_replicas_fails_closed_and_says_why() {
    let redis = RedisServer::start();
    let options = RedisOptions::new().durable(1, Duration::from_millis(100));
    let bound = options.bound();
    let backend = connect(&redis, options).await;
    let started = Instant::now();
    let err = backend
        .create(&SessionId::generate(), &record(), UnixTime::now())
        .await
        .unwrap_err();
    let took = started.elapsed();
    println!("durable save, no replica: failed after {took:?}: {err}");
    let cause = std::error::Error::source(&err).expect("the cause is kept");
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
    assert!(cause.to_string().contains("0 of 1 replicas"), "{cause}");
    assert!(
        took < bound + SLACK,
        "failed after {took:?}, bound {bound:?}"
    );
}

/// Retries `load` until it succeeds; how long that took.
async fn eventually<F, Fut, T>(mut load: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = sessions::Result<T>>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if load().await.is_ok() {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the store did not recover within 20 s");
}
