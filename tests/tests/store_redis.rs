//! `RedisStore` against a real `redis-server` on a free loopback port:
//! the conformance suite, faults (Redis stopped and restarted, garbage under
//! a session key), values copied, moved or grown under session keys, and
//! two app servers sharing one Redis.
//!
//! `scripts/setup.sh` installs `redis-server`; without it these tests fail
//! loudly, they are never skipped.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::store::{
    Backend, Record, RedisBackend, ServerStore, SessionId, Store, UnixTime, Update,
};
use sessions::{Error, Handle, Key, RedisStore, Session, SessionData, SessionLayer, Sessions};
use sessions_conformance::Guarded;
use sessions_tests::redis_server::RedisServer;
use sessions_tests::{Client, serve_tower};
use tower::ServiceBuilder;

/// A store on its own `redis-server`, which lives as long as the store.
async fn owned_redis(key: Key) -> ServerStore<Guarded<RedisBackend, RedisServer>> {
    let server = RedisServer::start();
    let backend = RedisBackend::connect(&server.url())
        .await
        .expect("connect to the test redis");
    ServerStore::from_backend(Guarded::new(backend, server), key)
}

sessions_conformance::store_tests!(redis, owned_redis);

#[derive(Session, Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
#[session(name = "user")]
struct User {
    name: Option<String>,
}

fn request_with(sessions: &Sessions, cookie: Option<&str>) -> Request<()> {
    let mut req = Request::new(());
    if let Some(cookie) = cookie {
        req.headers_mut()
            .insert(http::header::COOKIE, cookie.parse().unwrap());
    }
    sessions.attach(&mut req);
    req
}

/// Logs `name` in and returns the `Cookie` header value that carries it.
async fn log_in(sessions: &Sessions, name: &str) -> String {
    let req = request_with(sessions, None);
    let user = UserSession::load(&req).await.unwrap();
    user.set_name(Some(name.to_owned()));
    let mut res = Response::new(());
    sessions::save(&req, &mut res).await.unwrap();
    let line = res.headers()[http::header::SET_COOKIE].to_str().unwrap();
    line.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn redis_down_fails_closed_and_the_store_recovers() {
    let mut redis = RedisServer::start();
    let sessions = Sessions::new(
        RedisStore::connect(&redis.url(), Key::generate())
            .await
            .unwrap(),
    );
    let cookie = log_in(&sessions, "ada").await;

    redis.stop();
    let req = request_with(&sessions, Some(&cookie));
    let err = UserSession::load(&req).await.unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the redis error is kept"
    );

    // A fresh session cannot be saved either: nothing is silently lost.
    let req = request_with(&sessions, None);
    let user = UserSession::load(&req).await.unwrap();
    user.set_name(Some("mallory".to_owned()));
    let err = sessions::save(&req, &mut Response::new(()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Save(failures) if matches!(failures.failures()[0].1, Error::Backend(_))),
        "{err:?}"
    );

    // Back up (empty: persistence is off): the same store works again.
    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        let req = request_with(&sessions, Some(&cookie));
        if let Ok(user) = UserSession::load(&req).await {
            assert!(user.is_new(), "the restarted redis is empty");
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the connection manager reconnects");
    let again = log_in(&sessions, "ada").await;
    let req = request_with(&sessions, Some(&again));
    assert_eq!(
        UserSession::load(&req).await.unwrap().name().as_deref(),
        Some("ada")
    );
}

#[tokio::test]
async fn garbage_under_a_session_key_is_an_error_not_a_panic() {
    let redis = RedisServer::start();
    let sessions = Sessions::new(
        RedisStore::connect(&redis.url(), Key::generate())
            .await
            .unwrap(),
    );
    let cookie = log_in(&sessions, "ada").await;
    let keys = redis.raw("KEYS session:*");
    let key = keys
        .lines()
        .find(|l| l.starts_with("session:"))
        .expect("one session key")
        .to_owned();
    assert_eq!(redis.raw(&format!("SET {key} garbage")), "+OK\r\n");

    let req = request_with(&sessions, Some(&cookie));
    let err = UserSession::load(&req).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

/// A store shared with its registry, to read what a cookie leads to.
async fn shared_store(redis: &RedisServer, max: usize) -> (Arc<RedisStore>, Sessions) {
    let store = RedisStore::connect(&redis.url(), Key::generate())
        .await
        .unwrap()
        .with_max_record_len(max);
    let store = Arc::new(store);
    (Arc::clone(&store), Sessions::new(store))
}

/// The id behind a `user=VALUE` pair.
async fn id_of(store: &RedisStore, pair: &str) -> SessionId {
    let value = pair.strip_prefix("user=").unwrap();
    let loaded = store.load("user", value, UnixTime::now()).await.unwrap();
    loaded.unwrap().id().cloned().unwrap()
}

/// Loading `pair` fails with a decode error, and so does the request.
async fn assert_refused(store: &RedisStore, sessions: &Sessions, pair: &str) {
    let value = pair.strip_prefix("user=").unwrap();
    let loaded = store.load("user", value, UnixTime::now()).await;
    assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");
    let req = request_with(sessions, Some(pair));
    let err = UserSession::load(&req).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn a_value_copied_or_moved_to_another_key_does_not_load() {
    let redis = RedisServer::start();
    let (store, sessions) = shared_store(&redis, 1024).await;
    let (alice, bob) = (
        log_in(&sessions, "alice").await,
        log_in(&sessions, "bob").await,
    );
    let (alice_id, bob_id) = (id_of(&store, &alice).await, id_of(&store, &bob).await);
    let (from, to) = (format!("session:{alice_id}"), format!("session:{bob_id}"));

    assert_eq!(redis.raw(&format!("COPY {from} {to} REPLACE")), ":1\r\n");
    assert_refused(&store, &sessions, &bob).await;
    let req = request_with(&sessions, Some(&alice));
    let user = UserSession::load(&req).await.unwrap();
    assert_eq!(
        user.name().as_deref(),
        Some("alice"),
        "the original still loads"
    );

    assert_eq!(redis.raw(&format!("RENAME {from} {to}")), "+OK\r\n");
    assert_refused(&store, &sessions, &bob).await;
    let req = request_with(&sessions, Some(&alice));
    assert!(
        UserSession::load(&req).await.unwrap().is_new(),
        "moved away"
    );
}

#[tokio::test]
async fn an_oversized_value_under_a_session_key_never_loads() {
    let redis = RedisServer::start();
    let (store, sessions) = shared_store(&redis, 1024).await;
    let pair = log_in(&sessions, "ada").await;
    let id = id_of(&store, &pair).await;
    let value = pair.strip_prefix("user=").unwrap();

    // A whole record over the limit, as a roomier store would write it.
    let times = store.backend().load(&id, UnixTime::now(), 1024).await;
    let times = times.unwrap().unwrap().times;
    let big = Record::new(vec![0xa0; 1025], times).with_version(2);
    let updated = store.backend().update(&id, 1, &big, UnixTime::now()).await;
    assert_eq!(updated.unwrap(), Update::Written);
    let loaded = store.load("user", value, UnixTime::now()).await;
    assert!(
        matches!(
            loaded,
            Err(Error::RecordTooLarge {
                len: 1025,
                max: 1024
            })
        ),
        "{loaded:?}"
    );
    let req = request_with(&sessions, Some(&pair));
    assert!(
        UserSession::load(&req).await.is_err(),
        "the request fails closed"
    );

    // A megabyte of garbage: refused from the first bytes read.
    let key = format!("session:{id}");
    assert_eq!(redis.raw(&format!("DEL {key}")), ":1\r\n");
    assert_eq!(
        redis.raw(&format!("SETRANGE {key} 1048576 x")),
        ":1048577\r\n"
    );
    let loaded = store.load("user", value, UnixTime::now()).await;
    assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");
}

#[tokio::test]
async fn keys_carry_the_ttl_of_the_session() {
    let redis = RedisServer::start();
    let sessions = Sessions::new(
        RedisStore::connect(&redis.url(), Key::generate())
            .await
            .unwrap(),
    );
    log_in(&sessions, "ada").await;
    let keys = redis.raw("KEYS session:*");
    let key = keys
        .lines()
        .find(|l| l.starts_with("session:"))
        .unwrap()
        .to_owned();
    let ttl: i64 = redis
        .raw(&format!("TTL {key}"))
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    let max_age = i64::try_from(User::CONFIG.max_age().as_secs()).unwrap();
    assert!(
        (max_age - 5..=max_age).contains(&ttl),
        "ttl {ttl}, max_age {max_age}"
    );
}

type Body = Full<Bytes>;

/// `GET /` says who is logged in; `POST /login?NAME` and `POST /logout`.
async fn app(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let user = match Handle::<User>::load(&req).await {
        Ok(user) => user,
        Err(e) => {
            let mut res = Response::new(Full::from(e.to_string()));
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return Ok(res);
        }
    };
    match (req.method().as_str(), req.uri().path()) {
        ("POST", "/login") => {
            let name = req.uri().query().unwrap_or("anonymous").to_owned();
            user.renew();
            user.update(|u| u.name = Some(name));
        }
        ("POST", "/logout") => user.destroy(),
        _ => {}
    }
    let who = user
        .with(|u| u.name.clone())
        .unwrap_or_else(|| "anonymous".to_owned());
    Ok(Response::new(Full::from(who)))
}

async fn app_server(url: &str, key: &Key) -> sessions_tests::Server {
    let store = RedisStore::connect(url, key.clone()).await.unwrap();
    serve_tower(
        ServiceBuilder::new()
            .layer(SessionLayer::new(store))
            .service_fn(app),
    )
    .await
}

#[tokio::test]
async fn two_app_servers_share_one_redis() {
    let redis = RedisServer::start();
    let key = Key::generate();
    let (a, b) = (
        app_server(&redis.url(), &key).await,
        app_server(&redis.url(), &key).await,
    );
    let mut browser = Client::new(a.addr());

    assert_eq!(browser.get("/").await.body, "anonymous");
    assert_eq!(browser.post_form("/login?ada", &[]).await.body, "ada");
    browser.switch_to(b.addr());
    assert_eq!(browser.get("/").await.body, "ada", "logged in on B too");

    let logout = browser.post_form("/logout", &[]).await;
    assert_eq!(logout.body, "anonymous");
    browser.switch_to(a.addr());
    assert_eq!(
        browser.get("/").await.body,
        "anonymous",
        "logged out on A too"
    );
    a.shutdown().await;
    b.shutdown().await;
}
