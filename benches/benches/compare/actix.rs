//! Issue 15: a request through `sessions::actix::SessionMiddleware`
//! against actix-session's `SessionMiddleware` with its
//! `CookieSessionStore` and `RedisSessionStore`, and against the same app
//! without sessions, in one run.
//!
//! Every app has the same handler: read a field of the representative
//! session (`updated_at`), write it back plus one, answer the new value.
//! Ours reads the typed `ProfileSession`; actix-session keeps one JSON
//! value per key, so the representative session is stored field by field
//! and the handler reads and writes the one key. Every request carries the
//! cookie of a logged-in session, made by a first request to `/login`.
//!
//! Two ways to send the request. Group `actix`: through the whole
//! actix-web service chain in-process (`actix_web::test::call_service`:
//! routing, extractors, middleware, no HTTP parsing) on one actix system,
//! so what differs is the middleware. Group `actix-tcp`: a real
//! `HttpServer` with one worker on a loopback port, and a keep-alive
//! hyper HTTP/1 client (`TCP_NODELAY`), as a browser talks to a server.

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use actix_session::storage::{CookieSessionStore, RedisSessionStore, SessionStore};
use actix_session::{Session, SessionMiddleware as PeerMiddleware};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use actix_web::rt::SystemRunner;
use actix_web::{App, HttpResponse, HttpServer, test, web};
use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use sessions::actix::SessionMiddleware;
use sessions::store::Store;
use sessions::{CookieStore, Key, RedisStore, Sessions};
use sessions_benches::fixture::{Profile, ProfileSession};
use sessions_tests::redis_server::RedisServer;

/// The baseline handler: no session.
async fn bare() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Ours: read a field, write it back plus one.
async fn ours(session: ProfileSession) -> String {
    let at = session.updated_at() + 1;
    session.set_updated_at(at);
    at.to_string()
}

/// Ours: store the representative session.
async fn ours_login(session: ProfileSession) -> HttpResponse {
    session.replace(Profile::representative());
    HttpResponse::Ok().finish()
}

/// actix-session: the same read and write, on one key.
async fn peer(session: Session) -> actix_web::Result<String> {
    let at = session.get::<i64>("updated_at")?.unwrap_or_default() + 1;
    session.insert("updated_at", at)?;
    Ok(at.to_string())
}

/// actix-session: store the representative session, one key per field.
async fn peer_login(session: Session) -> actix_web::Result<HttpResponse> {
    let p = Profile::representative();
    session.insert("user_id", p.user_id)?;
    session.insert("username", p.username)?;
    session.insert("roles", p.roles)?;
    session.insert("token", p.token)?;
    session.insert("theme", p.theme)?;
    session.insert("updated_at", p.updated_at)?;
    Ok(HttpResponse::Ok().finish())
}

/// Our middleware around the login and the measured route.
fn ours_app(
    sessions: Sessions,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(SessionMiddleware::new(sessions))
        .route("/login", web::get().to(ours_login))
        .route("/account", web::get().to(ours))
}

/// actix-session's middleware on `store` around the same routes.
fn peer_app<S: SessionStore + 'static>(
    store: S,
    key: actix_web::cookie::Key,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(PeerMiddleware::new(store, key))
        .route("/login", web::get().to(peer_login))
        .route("/account", web::get().to(peer))
}

/// The `name=value` part of the first `Set-Cookie` of `res`.
fn cookie_of<B>(res: &ServiceResponse<B>) -> HeaderValue {
    let line = res
        .headers()
        .get(SET_COOKIE)
        .expect("a new session sends Set-Cookie")
        .to_str()
        .expect("Set-Cookie is ASCII");
    let pair = line.split(';').next().expect("split yields one item");
    HeaderValue::from_str(pair).expect("a valid cookie pair")
}

/// The measured request: `GET /account` with the session cookie.
fn account(cookie: &HeaderValue) -> actix_http::Request {
    test::TestRequest::get()
        .uri("/account")
        .insert_header((COOKIE, cookie.clone()))
        .to_request()
}

/// Logs in through `app`, checks that `/account` reads and writes the
/// session (the value goes up across requests when the state is on the
/// server, stays one above the login's when it is in the cookie we keep
/// sending), then measures `/account`.
fn measure<S, B>(c: &mut Criterion, system: &SystemRunner, name: &str, app: &S, server_side: bool)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let login = test::TestRequest::get().uri("/login").to_request();
    let cookie = cookie_of(&system.block_on(test::call_service(app, login)));
    let first = system.block_on(test::call_and_read_body(app, account(&cookie)));
    let second = system.block_on(test::call_and_read_body(app, account(&cookie)));
    let start = Profile::representative().updated_at;
    let expected_second = if server_side { start + 2 } else { start + 1 };
    assert_eq!(
        first,
        (start + 1).to_string(),
        "{name}: the handler read the session"
    );
    assert_eq!(
        second,
        expected_second.to_string(),
        "{name}: the change was saved"
    );
    c.benchmark_group("actix").bench_function(name, |b| {
        b.iter(|| system.block_on(test::call_service(app, black_box(account(&cookie)))));
    });
}

pub(crate) fn bench(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let redis = RedisServer::start();

    let bare_app = system.block_on(test::init_service(
        App::new().route("/account", web::get().to(bare)),
    ));
    let anything = HeaderValue::from_static("user=x");
    let res = system.block_on(test::call_service(&bare_app, account(&anything)));
    assert!(res.status().is_success(), "the bare app answers");
    c.benchmark_group("actix").bench_function("bare", |b| {
        b.iter(|| system.block_on(test::call_service(&bare_app, black_box(account(&anything)))));
    });

    let cookie_store = CookieStore::new(Key::generate());
    assert_eq!(cookie_store.kind(), "cookie");
    let app = system.block_on(test::init_service(ours_app(Sessions::new(cookie_store))));
    measure(c, &system, "ours-cookie", &app, false);

    let peer_key = actix_web::cookie::Key::generate();
    let app = system.block_on(test::init_service(peer_app(
        CookieSessionStore::default(),
        peer_key.clone(),
    )));
    measure(c, &system, "peer-cookie", &app, false);

    let ours_redis = system
        .block_on(RedisStore::connect(&redis.url(), Key::generate()))
        .expect("the test redis accepts connections");
    let app = system.block_on(test::init_service(ours_app(Sessions::new(ours_redis))));
    measure(c, &system, "ours-redis", &app, true);

    let peer_redis = system
        .block_on(RedisSessionStore::new(redis.url()))
        .expect("the test redis accepts connections");
    let app = system.block_on(test::init_service(peer_app(peer_redis, peer_key.clone())));
    measure(c, &system, "peer-redis", &app, true);

    over_tcp(c, &redis, &peer_key);
}

/// Serves the app that `$factory` makes with one worker on a loopback
/// port; the accept loop's future runs on `$rt`.
macro_rules! serve {
    ($rt:expr, $factory:expr) => {{
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        // Inside the runtime: the server's future and its helpers start there.
        let _context = $rt.enter();
        let server = HttpServer::new($factory)
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("actix-web takes the listener")
            .run();
        let handle = server.handle();
        $rt.spawn(server);
        (addr, handle)
    }};
}

/// The same five apps behind a real server, measured over loopback TCP.
/// Stores are made on `rt`, whose `block_on` drives their connections
/// while a request is in flight.
fn over_tcp(c: &mut Criterion, redis: &RedisServer, peer_key: &actix_web::cookie::Key) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let ours_cookie = Sessions::new(CookieStore::new(Key::generate()));
    let ours_redis = Sessions::new(
        rt.block_on(RedisStore::connect(&redis.url(), Key::generate()))
            .expect("the test redis accepts connections"),
    );
    let peer_redis = rt
        .block_on(RedisSessionStore::new(redis.url()))
        .expect("the test redis accepts connections");
    let (key_a, key_b) = (peer_key.clone(), peer_key.clone());
    let servers = [
        (
            "bare",
            serve!(rt, || App::new().route("/account", web::get().to(bare))),
            None,
        ),
        (
            "ours-cookie",
            serve!(rt, move || ours_app(ours_cookie.clone())),
            Some(false),
        ),
        (
            "peer-cookie",
            serve!(rt, move || peer_app(
                CookieSessionStore::default(),
                key_a.clone()
            )),
            Some(false),
        ),
        (
            "ours-redis",
            serve!(rt, move || ours_app(ours_redis.clone())),
            Some(true),
        ),
        (
            "peer-redis",
            serve!(rt, move || peer_app(peer_redis.clone(), key_b.clone())),
            Some(true),
        ),
    ];
    let mut group = c.benchmark_group("actix-tcp");
    for (name, (addr, handle), server_side) in &servers {
        let mut client = rt.block_on(connect(*addr));
        let cookie = match server_side {
            None => HeaderValue::from_static("user=x"),
            Some(server_side) => {
                let (set, _) = rt.block_on(get(&mut client, "/login", None));
                let cookie = set.expect("a new session sends Set-Cookie");
                let start = Profile::representative().updated_at;
                let (_, first) = rt.block_on(get(&mut client, "/account", Some(&cookie)));
                let (_, second) = rt.block_on(get(&mut client, "/account", Some(&cookie)));
                let expected_second = if *server_side { start + 2 } else { start + 1 };
                assert_eq!(
                    first,
                    (start + 1).to_string(),
                    "{name}: the handler read the session"
                );
                assert_eq!(
                    second,
                    expected_second.to_string(),
                    "{name}: the change was saved"
                );
                cookie
            }
        };
        group.bench_function(*name, |b| {
            b.iter(|| rt.block_on(get(&mut client, "/account", black_box(Some(&cookie)))));
        });
        rt.block_on(handle.stop(false));
    }
    group.finish();
}

/// A keep-alive HTTP/1 connection to `addr`, `TCP_NODELAY` as a server's.
async fn connect(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the server accepts");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("the HTTP/1 handshake succeeds");
    tokio::spawn(connection);
    sender
}

/// `GET path` with `cookie`: the `name=value` of the answer's first
/// `Set-Cookie`, and its body.
async fn get(
    client: &mut SendRequest<Empty<Bytes>>,
    path: &str,
    cookie: Option<&HeaderValue>,
) -> (Option<HeaderValue>, String) {
    let mut req = http::Request::get(path).header("host", "127.0.0.1");
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie.as_bytes());
    }
    let req = req.body(Empty::new()).expect("a valid request");
    client.ready().await.expect("the connection is alive");
    let res = client.send_request(req).await.expect("the server answers");
    let set = res.headers().get("set-cookie").map(|line| {
        let pair = line
            .as_bytes()
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default();
        HeaderValue::from_bytes(pair).expect("a valid cookie pair")
    });
    let body = res
        .into_body()
        .collect()
        .await
        .expect("the body arrives")
        .to_bytes();
    (set, String::from_utf8_lossy(&body).into_owned())
}
