//! `sessions::actix` through a real actix-web 4 server on a loopback port,
//! driven by the browser-like client of the other HTTP tests: what
//! `SessionLayer` guarantees under tower must hold under actix too.
//!
//! Sessions on three stores (`MemoryStore` for who is logged in and the
//! cart, `CookieStore` for preferences and the untyped map, `RedisStore`
//! for the fail-closed case), flashes across a redirect, renew, remember
//! me, destroy, `Vary`, tampered cookies, failed saves and a missing
//! middleware.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};
use sessions::actix::SessionMiddleware;
use sessions::store::{RedisBackend, RedisOptions};
use sessions::{
    CookieStore, DEFAULT_MAP_CONFIG, Handle, Key, MapSession, MemoryStore, RedisStore, Session,
    Sessions,
};
use sessions_tests::redis_server::RedisServer;
use sessions_tests::{Client, Reply};

/// Who is logged in, kept on the server: a renewed id kills the old one.
#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(name = "user", store = "memory", persistent = false)]
struct User {
    name: Option<String>,
    #[session(flash)]
    notices: Vec<String>,
}

/// Preferences, sealed in their own cookie.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "prefs")]
struct Prefs {
    theme: Option<String>,
}

/// A cart scoped to `/shop` on `127.0.0.1`, on the server.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "cart", store = "memory", path = "/shop", domain = "127.0.0.1")]
struct Cart {
    items: Vec<u32>,
}

/// A session that can grow past the cookie limit.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "big")]
struct Big {
    blob: String,
}

/// A session in a store nobody registered.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "orphan", store = "missing")]
struct Orphan {
    value: u32,
}

/// A session in Redis, for the failing backend.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "stash", store = "redis")]
struct Stash {
    hits: u32,
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// `GET /`: who is logged in, and the notices, shown once.
async fn whoami(user: UserSession) -> String {
    let notices = user.take_notices().await.unwrap_or_default().join(",");
    let name = user.name().unwrap_or_else(|| "anonymous".to_owned());
    format!("user: {name}\nnew: {}\nnotices: {notices}\n", user.is_new())
}

/// `POST /login/{name}[?remember]`: a new identity, a flash, a redirect.
async fn login(
    user: UserSession,
    name: web::Path<String>,
    query: web::Query<Remember>,
) -> HttpResponse {
    user.set_name(Some(name.into_inner()));
    user.set_persistent(query.remember.is_some());
    user.renew();
    user.push_notices("welcome".to_owned());
    see_other("/")
}

/// The "remember me" box: present when ticked.
#[derive(Deserialize)]
struct Remember {
    remember: Option<String>,
}

/// `POST /logout`: the user session ends; the goodbye goes to the map.
async fn logout(visitor: MapSession, user: UserSession) -> HttpResponse {
    user.destroy();
    visitor.add_flash(&"goodbye").expect("a string encodes");
    see_other("/flashes")
}

/// `GET /flashes`: the map session's flashes, shown once.
async fn flashes(visitor: MapSession) -> String {
    visitor
        .flashes::<String>()
        .await
        .unwrap_or_default()
        .join(",")
}

/// `POST /shop/add`: four sessions, two stores, one response.
async fn add(
    cart: CartSession,
    prefs: PrefsSession,
    user: Handle<User>,
    visits: MapSession,
) -> String {
    cart.update(|c| c.items.push(7));
    prefs.set_theme(Some("dark".to_owned()));
    let count = visits.get::<u32>("count").ok().flatten().unwrap_or(0) + 1;
    visits.insert("count", &count).expect("a u32 encodes");
    let name = user.with(|u| u.name.clone()).unwrap_or_default();
    format!("{name}: {} item(s), visit {count}", cart.items().len())
}

/// `POST /shop/empty`: the cart ends.
async fn empty(cart: CartSession) -> &'static str {
    cart.destroy();
    "emptied"
}

/// `GET /vary`: the handler says it varies on `Accept` itself.
async fn vary(user: UserSession) -> HttpResponse {
    user.set_name(Some("vera".to_owned()));
    HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .finish()
}

/// `GET /too-big`: `user` saves, then `big` cannot.
async fn too_big(user: UserSession, big: BigSession) -> &'static str {
    user.set_name(Some("alice".to_owned()));
    big.set_blob("x".repeat(5000));
    "saved?"
}

/// `GET /orphan`: a store nobody registered.
async fn orphan(orphan: OrphanSession) -> String {
    orphan.value().to_string()
}

/// `GET /stash`: counts hits in Redis.
async fn stash(stash: StashSession) -> String {
    stash.update(|s| s.hits += 1);
    stash.hits().to_string()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(whoami))
        .route("/login/{name}", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/flashes", web::get().to(flashes))
        .route("/shop/add", web::post().to(add))
        .route("/shop/empty", web::post().to(empty))
        .route("/vary", web::get().to(vary))
        .route("/too-big", web::get().to(too_big))
        .route("/orphan", web::get().to(orphan))
        .route("/stash", web::get().to(stash));
}

fn sessions() -> Sessions {
    let key = Key::generate();
    Sessions::new(CookieStore::new(key.clone()))
        .with_store("memory", MemoryStore::new(key))
        .with_map_config(DEFAULT_MAP_CONFIG.with_secure(false))
        .expect("the map config keeps every rule")
}

/// A real actix-web server on `127.0.0.1:0`, stopped on drop.
struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stopping is asynchronous; the test runtime finishes it or the
        // process exit does.
        drop(self.handle.stop(false));
    }
}

/// Serves the routes wrapped in the middleware.
fn serve(sessions: Sessions) -> Server {
    let listener = loopback();
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let server = HttpServer::new(move || {
        App::new()
            .wrap(SessionMiddleware::new(sessions.clone()))
            .configure(routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("actix-web takes the listener")
    .run();
    run(addr, server)
}

/// Serves the routes without the middleware: a deployment mistake.
fn serve_bare() -> Server {
    let listener = loopback();
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let server = HttpServer::new(|| App::new().configure(routes))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("actix-web takes the listener")
        .run();
    run(addr, server)
}

fn loopback() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port is free")
}

fn run(addr: SocketAddr, server: actix_web::dev::Server) -> Server {
    let handle = server.handle();
    // The server runs its worker on a thread of its own; this task only
    // drives the accept loop's future.
    tokio::spawn(server);
    Server { addr, handle }
}

/// The value of the live cookie `name` in the browser's jar.
fn jar_value(browser: &Client, name: &str) -> Option<String> {
    browser.jar().value(name).map(str::to_owned)
}

/// `POST path` with an empty form.
async fn post(browser: &mut Client, path: &str) -> Reply {
    browser.post_form(path, &[]).await
}

#[tokio::test]
async fn a_login_flashes_across_the_redirect_and_remember_me_persists() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);

    let reply = browser.get("/").await;
    assert!(reply.has_line("user: anonymous"), "{}", reply.body);
    assert!(reply.set_cookies().is_empty(), "reading is not a change");

    let reply = post(&mut browser, "/login/ada").await;
    assert_eq!(reply.status, 303);
    let cookie = reply
        .set_cookie("user")
        .expect("the login sets the user cookie");
    assert!(!cookie.is_persistent(), "no remember me: {}", cookie.line);
    let reply = browser.follow(&reply).await;
    assert!(reply.has_line("user: ada"), "{}", reply.body);
    assert!(reply.has_line("notices: welcome"), "{}", reply.body);
    let reply = browser.get("/").await;
    assert!(
        reply.has_line("notices: "),
        "the flash shows once: {}",
        reply.body
    );

    let reply = post(&mut browser, "/login/ada?remember=on").await;
    let cookie = reply
        .set_cookie("user")
        .expect("the login sets the user cookie");
    assert!(cookie.is_persistent(), "remember me: {}", cookie.line);
}

#[tokio::test]
async fn renew_gives_a_new_id_and_the_old_cookie_is_dead() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    post(&mut browser, "/login/ada").await;
    let before = jar_value(&browser, "user").expect("logged in");
    post(&mut browser, "/login/bob").await;
    let after = jar_value(&browser, "user").expect("logged in again");
    assert_ne!(before, after, "a login renews the id");
    assert!(browser.get("/").await.has_line("user: bob"));

    // A thief replays the cookie from before the second login.
    let mut thief = Client::new(server.addr);
    thief.jar_mut().insert("user", &before);
    let reply = thief.get("/").await;
    assert_eq!(reply.status, 200);
    assert!(reply.has_line("user: anonymous"), "{}", reply.body);
    assert!(reply.has_line("new: true"), "{}", reply.body);
}

#[tokio::test]
async fn sessions_on_two_stores_save_in_one_response() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    post(&mut browser, "/login/ada").await;

    let reply = post(&mut browser, "/shop/add").await;
    assert_eq!(reply.body, "ada: 1 item(s), visit 1");
    let mut names: Vec<_> = reply.set_cookies().into_iter().map(|c| c.name).collect();
    names.sort();
    // `user` was only read: no line for it.
    assert_eq!(names, ["cart", "prefs", "session"], "{reply:?}");
    assert_eq!(reply.vary_cookie_count(), 1, "{reply:?}");
    let cart = reply.set_cookie("cart").expect("the cart cookie");
    assert_eq!(cart.path.as_deref(), Some("/shop"));
    assert_eq!(cart.domain.as_deref(), Some("127.0.0.1"));

    let reply = post(&mut browser, "/shop/add").await;
    assert_eq!(
        reply.body, "ada: 2 item(s), visit 2",
        "every store read back"
    );
}

#[tokio::test]
async fn destroy_sends_a_removal_cookie_of_the_same_scope() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    let set = post(&mut browser, "/shop/add")
        .await
        .set_cookie("cart")
        .expect("a cart");
    let removal = post(&mut browser, "/shop/empty")
        .await
        .set_cookie("cart")
        .expect("a removal cookie");
    assert!(removal.is_removal(), "{}", removal.line);
    assert_eq!(removal.value, "");
    assert_eq!((&removal.path, &removal.domain), (&set.path, &set.domain));
    assert_eq!(jar_value(&browser, "cart"), None);
    assert_eq!(
        post(&mut browser, "/shop/add").await.body,
        ": 1 item(s), visit 2"
    );

    // Logging out destroys `user`; the goodbye arrives after the redirect.
    post(&mut browser, "/login/ada").await;
    let reply = post(&mut browser, "/logout").await;
    let removal = reply.set_cookie("user").expect("a removal cookie");
    assert!(removal.is_removal(), "{}", removal.line);
    assert_eq!(removal.path.as_deref(), Some("/"));
    assert_eq!(browser.follow(&reply).await.body, "goodbye");
    assert!(browser.get("/").await.has_line("user: anonymous"));
}

#[tokio::test]
async fn vary_cookie_is_added_once_next_to_the_handlers_own() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    let reply = browser.get("/vary").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header_values("vary"), ["Accept", "Cookie"]);
    assert_eq!(reply.vary_cookie_count(), 1);
    // A response that loaded a session varies even without a change.
    assert_eq!(browser.get("/").await.vary_cookie_count(), 1);
}

#[tokio::test]
async fn a_tampered_cookie_answers_200_with_a_fresh_session() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    post(&mut browser, "/shop/add").await;
    let prefs = jar_value(&browser, "prefs").expect("a prefs cookie");
    let middle = prefs.len() / 2;
    let flipped = if &prefs[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{flipped}{}", &prefs[..middle], &prefs[middle + 1..]);
    browser.jar_mut().insert("prefs", &tampered);
    browser.jar_mut().insert("session", "garbage");

    let reply = post(&mut browser, "/shop/add").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, ": 2 item(s), visit 1", "a fresh map session");
    let fresh = reply
        .set_cookie("prefs")
        .expect("the fresh session is saved");
    assert_ne!(fresh.value, tampered);
}

#[tokio::test]
async fn a_failed_save_is_a_500_that_keeps_the_cookies_that_saved() {
    let server = serve(sessions());
    let mut browser = Client::new(server.addr);
    let reply = browser.get("/too-big").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "", "an empty 500");
    assert!(reply.set_cookie("user").is_some(), "{reply:?}");
    assert!(reply.set_cookie("big").is_none(), "{reply:?}");
    assert_eq!(reply.vary_cookie_count(), 1);
    assert!(browser.get("/").await.has_line("user: alice"));
}

#[tokio::test]
async fn a_store_nobody_registered_is_a_500_that_names_nothing() {
    let server = serve(sessions());
    let reply = Client::new(server.addr).get("/orphan").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "session unavailable");
}

#[tokio::test]
async fn a_missing_middleware_is_a_clear_500() {
    let server = serve_bare();
    let mut browser = Client::new(server.addr);
    for path in ["/", "/flashes"] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, 500, "{path}");
        assert!(
            reply.body.contains("session middleware missing"),
            "{path}: {}",
            reply.body
        );
    }
    let reply = post(&mut browser, "/shop/add").await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("SessionMiddleware"), "{}", reply.body);
}

/// How long past its bound a failing request may take on a busy machine.
const SLACK: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_frozen_backend_fails_closed_within_the_bound() {
    let redis = RedisServer::start();
    let options = RedisOptions::new()
        .connect_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_millis(300));
    let bound = options.bound();
    let backend = RedisBackend::connect_with(&redis.url(), options)
        .await
        .expect("connect to the test redis");
    let sessions =
        sessions().with_store("redis", RedisStore::from_backend(backend, Key::generate()));
    let server = serve(sessions);
    let mut browser = Client::new(server.addr);
    assert_eq!(browser.get("/stash").await.body, "1");
    assert_eq!(browser.get("/stash").await.body, "2");

    redis.freeze();
    // With a cookie the load fails; without one, the save does.
    let mut stranger = Client::new(server.addr);
    for client in [&mut browser, &mut stranger] {
        let started = Instant::now();
        let reply = client.get("/stash").await;
        let took = started.elapsed();
        assert_eq!(reply.status, 500, "{reply:?}");
        assert!(reply.set_cookie("stash").is_none(), "{reply:?}");
        assert!(took < bound + SLACK, "took {took:?}, bound {bound:?}");
    }
    redis.thaw();
}
