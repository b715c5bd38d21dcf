//! End-to-end flows of a small app, like the demo, over real HTTP.
//!
//! The app is a hyper-style handler wrapped in `SessionLayer` and served on a
//! free loopback port; a [`Client`] with a browser-like cookie jar drives it:
//! log in (with and without "remember me"), read a flash exactly once, log
//! out, change a preference kept in a second session with its own cookie.
//! Further flows: the untyped `MapSession`, the idle timeout, key rotation across servers, and id renewal and revocation
//! with a server-side store.
//!
//! The session types keep the default `Secure` flag: the jar sends `Secure`
//! cookies over plain `http` to `127.0.0.1`, as browsers do for loopback.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{LOCATION, SET_COOKIE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::store::Store;
use sessions::{
    CookieStore, Key, KeyRing, MapSession, MemoryStore, Session, SessionConfig, SessionLayer,
};
use sessions_tests::{Client, Reply, Server, serve_tower};
use tower::ServiceBuilder;

/// Who is logged in, and the notices to show them once.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", max_age = 604800, persistent = false)]
struct User {
    username: Option<String>,
    #[session(flash)]
    notices: Vec<String>,
}

/// Preferences, in their own cookie: they outlive a login.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "prefs", max_age = 31536000)]
struct Prefs {
    theme: Option<String>,
    #[session(flash)]
    farewell: Option<String>,
}

/// A visit counter that lapses after two idle seconds.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "visits", idle_timeout = 2)]
struct Visits {
    count: u32,
}

/// The untyped session of `/map`.
const NOTES: SessionConfig = SessionConfig::new("notes");

type Body = Full<Bytes>;

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res
}

fn see_other(to: &'static str) -> Response<Body> {
    let mut res = text(StatusCode::SEE_OTHER, String::new());
    res.headers_mut()
        .insert(LOCATION, http::HeaderValue::from_static(to));
    res
}

/// Reads an `application/x-www-form-urlencoded` body.
async fn read_form(req: Request<Incoming>) -> HashMap<String, String> {
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect()
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..=i + 2]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The app: every route, with session errors turned into a 500 page.
async fn app(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let route = (req.method().clone(), req.uri().path().to_owned());
    let res = match (route.0, route.1.as_str()) {
        (Method::GET, "/") => home(&req).await,
        (Method::POST, "/login") => login(req).await,
        (Method::POST, "/logout") => logout(&req).await,
        (Method::POST, "/logout-here") => logout_here(&req).await,
        (Method::POST, "/theme") => theme(req).await,
        (Method::GET, "/visits") => visits(&req).await,
        (Method::GET, "/map") => map_show(&req).await,
        (Method::POST, "/map") => map_store(req).await,
        _ => Ok(text(StatusCode::NOT_FOUND, "not found".to_owned())),
    };
    Ok(res.unwrap_or_else(|err| text(StatusCode::INTERNAL_SERVER_ERROR, format!("error: {err}"))))
}

/// `GET /`: who is logged in, the theme, and the flashes (taken, so shown once).
async fn home(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let user = UserSession::load(req).await?;
    let prefs = PrefsSession::load(req).await?;
    let mut lines = vec![
        format!(
            "user: {}",
            user.username().as_deref().unwrap_or("anonymous")
        ),
        format!("theme: {}", prefs.theme().as_deref().unwrap_or("light")),
    ];
    lines.extend(
        user.take_notices()
            .await?
            .iter()
            .map(|n| format!("notice: {n}")),
    );
    lines.extend(
        prefs
            .take_farewell()
            .await?
            .map(|f| format!("farewell: {f}")),
    );
    let page = lines.join("\n") + "\n";
    Ok(text(StatusCode::OK, page))
}

/// `POST /login` (`username`, `remember=on`): log in, new identity, welcome.
async fn login(req: Request<Incoming>) -> sessions::Result<Response<Body>> {
    let user = UserSession::load(&req).await?;
    let form = read_form(req).await;
    let name = form.get("username").cloned().unwrap_or_default();
    user.set_username(Some(name.clone()));
    user.renew();
    user.set_persistent(form.get("remember").is_some_and(|v| v == "on"));
    user.push_notices(format!("Welcome, {name}"));
    Ok(see_other("/"))
}

/// `POST /logout`: end the user session, say goodbye in the preferences one.
async fn logout(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let user = UserSession::load(req).await?;
    let prefs = PrefsSession::load(req).await?;
    let name = user.username().unwrap_or_default();
    user.destroy();
    prefs.set_farewell(format!("Goodbye, {name}"));
    Ok(see_other("/"))
}

/// `POST /logout-here`: end the user session, then flash in that same session.
async fn logout_here(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let user = UserSession::load(req).await?;
    user.destroy();
    user.push_notices("Signed out".to_owned());
    Ok(see_other("/"))
}

/// `POST /theme` (`theme`): a preference, and a notice in the user session.
async fn theme(req: Request<Incoming>) -> sessions::Result<Response<Body>> {
    let prefs = PrefsSession::load(&req).await?;
    let user = UserSession::load(&req).await?;
    let form = read_form(req).await;
    prefs.set_theme(form.get("theme").cloned());
    user.push_notices("Theme saved".to_owned());
    Ok(see_other("/"))
}

/// `GET /visits`: counts visits in a session with an idle timeout.
async fn visits(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let visits = VisitsSession::load(req).await?;
    let new = visits.is_new();
    visits.update(|v| v.count += 1);
    let count = visits.count();
    Ok(text(
        StatusCode::OK,
        format!("visits: {count}\nnew: {new}\n"),
    ))
}

/// `GET /map`: the untyped session's values and flashes.
async fn map_show(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let notes = MapSession::load(req, NOTES).await?;
    let lang = notes.get::<String>("lang")?.unwrap_or_default();
    let saves = notes.get::<u32>("saves")?.unwrap_or_default();
    let flashes = notes.flashes::<String>().await?.join(", ");
    let new = notes.is_new();
    Ok(text(
        StatusCode::OK,
        format!("lang: {lang}\nsaves: {saves}\nflashes: {flashes}\nnew: {new}\n"),
    ))
}

/// `POST /map` (`lang`): stores a value, counts saves, queues a flash.
async fn map_store(req: Request<Incoming>) -> sessions::Result<Response<Body>> {
    let notes = MapSession::load(&req, NOTES).await?;
    let form = read_form(req).await;
    let saves = notes.get::<u32>("saves")?.unwrap_or_default() + 1;
    notes.insert("saves", &saves)?;
    notes.insert("lang", form.get("lang").map_or("", String::as_str))?;
    notes.add_flash("Saved")?;
    Ok(see_other("/map"))
}

/// Serves the app behind `SessionLayer` with `store` as the default store.
async fn start(store: impl Store) -> Server {
    let service = ServiceBuilder::new()
        .layer(SessionLayer::new(store))
        .service_fn(app);
    serve_tower(service).await
}

fn set_cookie_lines(reply: &Reply) -> usize {
    reply.headers.get_all(SET_COOKIE).iter().count()
}

async fn logged_in(browser: &mut Client, name: &str, remember: bool) -> Reply {
    let remember = if remember { "on" } else { "" };
    let reply = browser
        .post_form("/login", &[("username", name), ("remember", remember)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{reply:?}");
    assert_eq!(reply.location(), Some("/"));
    reply
}

#[tokio::test]
async fn a_flash_is_shown_once_after_the_login_redirect() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let login = logged_in(&mut browser, "alice", false).await;
    assert!(login.set_cookie("user").is_some(), "{login:?}");

    let page = browser.follow(&login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has_line("user: alice"), "{}", page.body);
    assert!(page.has_line("notice: Welcome, alice"), "{}", page.body);
    // Taking the flash changed the session: it is written back without it.
    assert!(page.set_cookie("user").is_some(), "{page:?}");

    let again = browser.get("/").await;
    assert!(again.has_line("user: alice"), "{}", again.body);
    assert!(!again.body.contains("notice:"), "{}", again.body);
    assert_eq!(set_cookie_lines(&again), 0, "{again:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn remember_me_gives_a_persistent_cookie() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let login = logged_in(&mut browser, "alice", true).await;
    let cookie = login
        .set_cookie("user")
        .expect("login sets the user cookie");
    assert_eq!(cookie.max_age, Some(604_800), "{}", cookie.line);
    // Expires says the same as Max-Age (within a generous minute).
    let expires = cookie.expires.expect("a persistent cookie has Expires");
    let week = SystemTime::now() + Duration::from_hours(24 * 7);
    let slack = Duration::from_mins(1);
    assert!(
        expires > week - slack && expires < week + slack,
        "{}",
        cookie.line
    );
    assert!(browser.jar().last_had_max_age());

    // The choice travels with the session: the next save keeps it.
    let page = browser.follow(&login).await;
    let resaved = page.set_cookie("user").expect("taking the flash saves");
    assert_eq!(resaved.max_age, Some(604_800), "{}", resaved.line);
    assert!(page.has_line("user: alice"), "{}", page.body);
    server.shutdown().await;
}

#[tokio::test]
async fn without_remember_me_the_cookie_lasts_for_the_browser_session() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let login = logged_in(&mut browser, "alice", false).await;
    let cookie = login
        .set_cookie("user")
        .expect("login sets the user cookie");
    assert_eq!(cookie.max_age, None, "{}", cookie.line);
    assert_eq!(cookie.expires, None, "{}", cookie.line);
    assert!(!browser.jar().last_had_max_age());
    assert_eq!(cookie.path.as_deref(), Some("/"));
    assert!(cookie.secure && cookie.http_only, "{}", cookie.line);
    assert_eq!(cookie.same_site.as_deref(), Some("Lax"));

    let page = browser.follow(&login).await;
    let resaved = page.set_cookie("user").expect("taking the flash saves");
    assert!(!resaved.is_persistent(), "{}", resaved.line);
    assert!(page.has_line("user: alice"), "{}", page.body);
    server.shutdown().await;
}

#[tokio::test]
async fn logout_removes_the_cookie_and_says_goodbye_in_another_session() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());
    let login = logged_in(&mut browser, "alice", true).await;
    browser.follow(&login).await;

    let logout = browser.post_form("/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(set_cookie_lines(&logout), 2, "{logout:?}");
    assert_eq!(logout.vary_cookie_count(), 1, "{logout:?}");
    let removal = logout
        .set_cookie("user")
        .expect("logout removes the cookie");
    assert!(removal.is_removal(), "{}", removal.line);
    assert_eq!(removal.max_age, Some(0), "{}", removal.line);
    assert_eq!(
        removal.expires,
        Some(SystemTime::UNIX_EPOCH),
        "{}",
        removal.line
    );
    assert_eq!(removal.path.as_deref(), Some("/"), "{}", removal.line);
    assert_eq!(removal.value, "");
    assert!(logout.set_cookie("prefs").is_some(), "{logout:?}");
    assert_eq!(browser.jar().value("user"), None);

    let page = browser.follow(&logout).await;
    assert!(page.has_line("user: anonymous"), "{}", page.body);
    assert!(page.has_line("farewell: Goodbye, alice"), "{}", page.body);
    let again = browser.get("/").await;
    assert!(!again.body.contains("farewell:"), "{}", again.body);
    server.shutdown().await;
}

#[tokio::test]
async fn logout_then_a_flash_in_the_same_session_stays_logged_out() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());
    let login = logged_in(&mut browser, "alice", false).await;
    browser.follow(&login).await;

    // `destroy` resets the data; the flash pushed afterwards starts a new
    // session (`Handle::destroy`'s documented rule), so the response sets a
    // new cookie rather than a removal one.
    let logout = browser.post_form("/logout-here", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let cookie = logout.set_cookie("user").expect("the new session is saved");
    assert!(!cookie.is_removal(), "{}", cookie.line);
    let page = browser.follow(&logout).await;
    // The old data must never come back.
    assert!(page.has_line("user: anonymous"), "{}", page.body);
    assert!(page.has_line("notice: Signed out"), "{}", page.body);
    server.shutdown().await;
}

#[tokio::test]
async fn with_a_server_store_login_renews_the_id_and_logout_revokes_it() {
    let server = start(MemoryStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    // An id from before the login (one an attacker could have planted).
    let before = browser.post_form("/theme", &[("theme", "dark")]).await;
    assert_eq!(before.status, StatusCode::SEE_OTHER, "{before:?}");
    let planted = browser
        .jar()
        .value("user")
        .expect("a user session")
        .to_owned();

    let login = logged_in(&mut browser, "alice", false).await;
    let page = browser.follow(&login).await;
    assert!(page.has_line("user: alice"), "{}", page.body);
    assert!(page.has_line("notice: Theme saved"), "{}", page.body);
    let current = browser.jar().value("user").expect("logged in").to_owned();
    assert_ne!(current, planted);

    let mut attacker = Client::new(server.addr());
    attacker.jar_mut().insert("user", &planted);
    let replay = attacker.get("/").await;
    assert!(replay.has_line("user: anonymous"), "{}", replay.body);
    assert!(!replay.body.contains("notice:"), "{}", replay.body);

    // After logout, a copy of the logged-in cookie is worthless too.
    browser.post_form("/logout", &[]).await;
    let mut thief = Client::new(server.addr());
    thief.jar_mut().insert("user", &current);
    let replay = thief.get("/").await;
    assert!(replay.has_line("user: anonymous"), "{}", replay.body);
    server.shutdown().await;
}

#[tokio::test]
async fn logout_with_an_unreadable_cookie_still_removes_it() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());
    browser.jar_mut().insert("user", "not-a-session");

    let logout = browser.post_form("/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let removal = logout
        .set_cookie("user")
        .expect("the bad cookie is removed");
    assert!(removal.is_removal(), "{}", removal.line);
    assert_eq!(browser.jar().value("user"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn two_sessions_written_in_one_response_give_two_set_cookie_lines() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let saved = browser.post_form("/theme", &[("theme", "dark")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let names: Vec<String> = saved.set_cookies().into_iter().map(|c| c.name).collect();
    // One line each, in the order the handler loaded them.
    assert_eq!(names, ["prefs", "user"], "{saved:?}");
    assert_eq!(saved.vary_cookie_count(), 1, "{saved:?}");

    let page = browser.follow(&saved).await;
    assert!(page.has_line("theme: dark"), "{}", page.body);
    assert!(page.has_line("notice: Theme saved"), "{}", page.body);
    assert!(page.has_line("user: anonymous"), "{}", page.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_that_only_reads_sessions_varies_on_cookie_but_sets_none() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let anonymous = browser.get("/").await;
    assert!(anonymous.has_line("user: anonymous"), "{}", anonymous.body);
    assert_eq!(set_cookie_lines(&anonymous), 0, "{anonymous:?}");
    assert_eq!(anonymous.vary_cookie_count(), 1, "{anonymous:?}");

    let login = logged_in(&mut browser, "alice", false).await;
    browser.follow(&login).await;
    let known = browser.get("/").await;
    assert!(known.has_line("user: alice"), "{}", known.body);
    assert_eq!(set_cookie_lines(&known), 0, "{known:?}");
    assert_eq!(known.vary_cookie_count(), 1, "{known:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_map_session_round_trips_across_requests() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let first = browser.get("/map").await;
    assert!(first.has_line("new: true"), "{}", first.body);

    let stored = browser.post_form("/map", &[("lang", "en")]).await;
    assert!(stored.set_cookie("notes").is_some(), "{stored:?}");
    let page = browser.follow(&stored).await;
    assert!(page.has_line("lang: en"), "{}", page.body);
    assert!(page.has_line("saves: 1"), "{}", page.body);
    assert!(page.has_line("flashes: Saved"), "{}", page.body);
    assert!(page.has_line("new: false"), "{}", page.body);

    let stored = browser.post_form("/map", &[("lang", "fr")]).await;
    let page = browser.follow(&stored).await;
    assert!(page.has_line("lang: fr"), "{}", page.body);
    assert!(page.has_line("saves: 2"), "{}", page.body);
    let again = browser.get("/map").await;
    assert!(again.has_line("flashes: "), "{}", again.body);
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_session_starts_fresh() {
    let server = start(CookieStore::new(Key::generate())).await;
    let mut browser = Client::new(server.addr());

    let first = browser.get("/visits").await;
    assert!(first.has_line("new: true"), "{}", first.body);
    let second = browser.get("/visits").await;
    assert!(second.has_line("visits: 2"), "{}", second.body);
    assert!(second.has_line("new: false"), "{}", second.body);

    // Past the two-second idle window: the cookie is still in the jar, but
    // the server no longer accepts it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(browser.jar().value("visits").is_some());
    let late = browser.get("/visits").await;
    assert_eq!(late.status, StatusCode::OK);
    assert!(late.has_line("new: true"), "{}", late.body);
    assert!(late.has_line("visits: 1"), "{}", late.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_cookie_sealed_with_an_old_key_opens_and_is_resealed_with_the_new_one() {
    let (old, new) = (Key::generate(), Key::generate());
    let before = start(CookieStore::new(old.clone())).await;
    let rotated = start(CookieStore::new(KeyRing::new(new.clone()).with_old(old))).await;
    let only_new = start(CookieStore::new(new.clone())).await;
    let mut browser = Client::new(before.addr());
    let login = logged_in(&mut browser, "alice", false).await;
    browser.follow(&login).await; // takes the flash

    // Before the rotation's re-seal, a server with only the new key
    // does not know the cookie.
    browser.switch_to(only_new.addr());
    assert!(browser.get("/").await.has_line("user: anonymous"));

    // The rotated server opens it and, though nothing changed, re-seals it.
    browser.switch_to(rotated.addr());
    let page = browser.get("/").await;
    assert!(page.has_line("user: alice"), "{}", page.body);
    let resealed = page
        .set_cookie("user")
        .expect("an old-key cookie is re-sealed");
    let old_value = login.set_cookie("user").expect("logged in").value;
    assert_ne!(resealed.value, old_value);
    assert!(!resealed.is_persistent(), "{}", resealed.line);

    // And a server that has only the new key now knows the user.
    browser.switch_to(only_new.addr());
    let page = browser.get("/").await;
    assert!(page.has_line("user: alice"), "{}", page.body);
    assert_eq!(set_cookie_lines(&page), 0, "{page:?}");
    for server in [before, rotated, only_new] {
        server.shutdown().await;
    }
}
