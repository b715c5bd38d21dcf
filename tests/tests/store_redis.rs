//! `RedisStore` against a real `redis-server` on a free loopback port:
//! the conformance suite, faults (Redis stopped and restarted, garbage under
//! a session key), and two app servers sharing one Redis.
//!
//! `scripts/setup.sh` installs `redis-server`; without it these tests fail
//! loudly, they are never skipped.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::store::{RedisBackend, ServerStore};
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
