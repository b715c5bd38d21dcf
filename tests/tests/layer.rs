//! `SessionLayer` and the registry as seen from the wire.
//!
//! What goes in (cookies that are tampered with, sealed with another key or
//! for another name, repeated, spread over several `Cookie` headers) and
//! what comes out (`Set-Cookie` only for changed sessions, `Vary: Cookie`
//! once, a 500 when a save fails), plus the typed errors a handler sees:
//! an unregistered store, two types with one cookie name, no layer at all.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{COOKIE, SET_COOKIE, VARY};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::{CookieStore, Error, Key, Session, SessionLayer};
use sessions_tests::client::request;
use sessions_tests::{Client, Reply, Server, serve_tower};
use tower::ServiceBuilder;

/// The logged-in user.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user")]
struct User {
    username: Option<String>,
}

/// Another session in the default store, to receive a moved cookie.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "prefs")]
struct Prefs {
    theme: Option<String>,
}

/// A session in a store nobody registered.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "orphan", store = "missing")]
struct Orphan {
    value: u32,
}

/// A second type under the cookie name of `User`.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user")]
struct Impostor {
    other: u32,
}

/// A session in the named store `signed`.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "note", store = "signed")]
struct Note {
    text: String,
}

/// A session that can grow past the cookie limit.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "big")]
struct Big {
    blob: String,
}

type Body = Full<Bytes>;

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "routes are match arms of one `sessions::Result` type"
)]
fn ok(body: String) -> sessions::Result<Response<Body>> {
    Ok(text(StatusCode::OK, body))
}

async fn app(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let res = route(&req).await.unwrap_or_else(|err| match err {
        Error::MissingRegistry => text(StatusCode::INTERNAL_SERVER_ERROR, "no registry".into()),
        other => text(StatusCode::INTERNAL_SERVER_ERROR, format!("error: {other}")),
    });
    Ok(res)
}

async fn route(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::GET, "/whoami") => {
            let user = UserSession::load(req).await?;
            let name = user.username().unwrap_or_else(|| "anonymous".into());
            ok(format!("user: {name}\nnew: {}\n", user.is_new()))
        }
        (&Method::POST, _) if path.starts_with("/login/") => {
            let user = UserSession::load(req).await?;
            user.set_username(Some(path["/login/".len()..].to_owned()));
            user.renew();
            ok(String::new())
        }
        (&Method::GET, "/prefs") => {
            let prefs = PrefsSession::load(req).await?;
            ok(format!("new: {}\n", prefs.is_new()))
        }
        (&Method::GET, "/untouched") => ok("nothing\n".into()),
        (&Method::GET, "/twice") => {
            let first = UserSession::load(req).await?;
            first.set_username(Some("twin".into()));
            let second = UserSession::load(req).await?;
            ok(format!(
                "second: {}\n",
                second.username().unwrap_or_default()
            ))
        }
        (&Method::GET, "/together") => {
            let (first, second) = tokio::join!(UserSession::load(req), UserSession::load(req));
            first?.set_username(Some("pair".into()));
            ok(format!(
                "second: {}\n",
                second?.username().unwrap_or_default()
            ))
        }
        (&Method::GET, "/vary") => vary(req).await,
        _ => special(req).await,
    }
}

/// Routes that provoke the typed errors and the failure paths.
async fn special(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    match req.uri().path() {
        "/missing" => match OrphanSession::load(req).await {
            Err(Error::UnknownStore { session, store }) => {
                ok(format!("unknown store: {store} for {session}\n"))
            }
            Err(other) => Err(other),
            Ok(_) => ok("loaded\n".into()),
        },
        "/conflict" => {
            let _user = UserSession::load(req).await?;
            match ImpostorSession::load(req).await {
                Err(Error::NameConflict { name }) => ok(format!("conflict: {name}\n")),
                Err(other) => Err(other),
                Ok(_) => ok("loaded\n".into()),
            }
        }
        "/note" => {
            let note = NoteSession::load(req).await?;
            let was = note.text();
            note.set_text(format!("{was}+"));
            ok(format!("note: {was}\n"))
        }
        "/too-big" => {
            let user = UserSession::load(req).await?;
            user.set_username(Some("alice".into()));
            let big = BigSession::load(req).await?;
            big.set_blob("x".repeat(5000));
            ok("saved?\n".into())
        }
        "/own-cookie" => own_cookie(req).await,
        _ => Ok(text(StatusCode::NOT_FOUND, String::new())),
    }
}

/// `GET /own-cookie`: the handler sets a cookie of its own next to a session.
async fn own_cookie(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let user = UserSession::load(req).await?;
    user.set_username(Some("carol".into()));
    let mut res = text(StatusCode::OK, String::new());
    res.headers_mut()
        .append(SET_COOKIE, HeaderValue::from_static("csrf=token; Path=/"));
    Ok(res)
}

/// `GET /vary?own=...`: the handler sets its own `Vary` before the layer.
async fn vary(req: &Request<Incoming>) -> sessions::Result<Response<Body>> {
    let _user = UserSession::load(req).await?;
    let mut res = text(StatusCode::OK, String::new());
    if let Some(own) = req.uri().query().and_then(|q| q.strip_prefix("own=")) {
        let value = HeaderValue::from_str(own).expect("the tests send a valid value");
        res.headers_mut().insert(VARY, value);
    }
    Ok(res)
}

async fn start(key: &Key) -> Server {
    let layer = SessionLayer::new(CookieStore::new(key.clone()))
        .with_store("signed", CookieStore::signed(key.clone()));
    serve_tower(ServiceBuilder::new().layer(layer).service_fn(app)).await
}

/// Logs `name` in and returns the value of the `user` cookie.
async fn login(browser: &mut Client, name: &str) -> String {
    let reply = browser
        .send(request(
            Method::POST,
            &format!("/login/{name}"),
            Bytes::new(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let cookie = browser.jar().value("user").expect("login sets the cookie");
    cookie.to_owned()
}

fn set_cookie_lines(reply: &Reply) -> usize {
    reply.headers.get_all(SET_COOKIE).iter().count()
}

/// Sends `GET path` with exactly these `Cookie` header lines, from a
/// browser with an empty jar.
async fn with_cookie_headers(server: &Server, path: &str, lines: &[&str]) -> Reply {
    let mut req = request(Method::GET, path, Bytes::new());
    for line in lines {
        let value = HeaderValue::from_str(line).expect("the tests send valid cookies");
        req.headers_mut().append(COOKIE, value);
    }
    Client::new(server.addr()).send(req).await
}

/// The same text with one character in the middle changed.
fn flip_middle(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn a_tampered_cookie_gives_a_fresh_session_and_is_overwritten() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;

    browser.jar_mut().insert("user", &flip_middle(&good));
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.has_line("user: anonymous"), "{}", reply.body);
    assert!(reply.has_line("new: true"), "{}", reply.body);
    assert_eq!(set_cookie_lines(&reply), 0, "{reply:?}");

    // The next save replaces the bad cookie.
    login(&mut browser, "bob").await;
    let reply = browser.get("/whoami").await;
    assert!(reply.has_line("user: bob"), "{}", reply.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_cookie_sealed_with_another_key_gives_a_fresh_session() {
    let first = start(&Key::generate()).await;
    let second = start(&Key::generate()).await;
    let mut browser = Client::new(first.addr());
    login(&mut browser, "alice").await;

    browser.switch_to(second.addr());
    let reply = browser.get("/whoami").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.has_line("new: true"), "{}", reply.body);
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_cookie_moved_to_another_name_gives_a_fresh_session() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;

    browser.jar_mut().insert("prefs", &good);
    let reply = browser.get("/prefs").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(reply.has_line("new: true"), "{}", reply.body);
    // The real cookie still works under its own name.
    assert!(browser.get("/whoami").await.has_line("user: alice"));
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_cookies_give_a_fresh_session() {
    let server = start(&Key::generate()).await;
    for garbage in ["", "x", "%%%", "AAAA", &"A".repeat(5000)] {
        let line = format!("user={garbage}");
        let reply = with_cookie_headers(&server, "/whoami", &[&line]).await;
        assert_eq!(reply.status, StatusCode::OK, "{garbage:.20}: {reply:?}");
        assert!(reply.has_line("new: true"), "{garbage:.20}: {}", reply.body);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn every_cookie_header_and_every_candidate_is_tried() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;
    let bad = flip_middle(&good);

    let cases: [&[String]; 4] = [
        &[format!("theme=1; user={bad}"), format!("user={good}")],
        &[format!("user={good}"), format!("other=2; user={bad}")],
        &[format!("user={bad}; user={good}")],
        &["a=1".to_owned(), "b=2".to_owned(), format!("user={good}")],
    ];
    for lines in cases {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let reply = with_cookie_headers(&server, "/whoami", &lines).await;
        assert!(reply.has_line("user: alice"), "{lines:?}: {}", reply.body);
        assert!(reply.has_line("new: false"), "{lines:?}: {}", reply.body);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_stale_cookie_on_a_longer_path_does_not_shadow_the_session() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;

    // The browser sends the longer path first: `user=stale; user=<good>`.
    browser.jar_mut().store("user=stale; Path=/whoami");
    let sent = browser.jar().header_for("/whoami").expect("two cookies");
    assert_eq!(sent, format!("user=stale; user={good}").as_str());
    let reply = browser.get("/whoami").await;
    assert!(reply.has_line("user: alice"), "{}", reply.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_cookie_header_with_non_ascii_bytes_still_yields_the_session() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;

    // Browsers send cookie values as raw bytes; another app on the same
    // host may have set one that is not ASCII. The session cookie next to
    // it must still be read.
    for line in [
        format!("note=caf\u{e9}; user={good}"),
        format!("user={good}; note=caf\u{e9}"),
    ] {
        let mut req = request(Method::GET, "/whoami", Bytes::new());
        let value = HeaderValue::from_bytes(line.as_bytes()).expect("obs-text is allowed");
        req.headers_mut().append(COOKIE, value);
        let reply = Client::new(server.addr()).send(req).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert!(reply.has_line("user: alice"), "{line:?}: {}", reply.body);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_name_padded_with_unicode_whitespace_is_another_cookie() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let good = login(&mut browser, "alice").await;

    // The attack: a sibling subdomain plants a valid session under a name
    // that differs from ours only by Unicode whitespace (browsers keep it
    // as another cookie and send it back as it is). It must not be read as
    // `user`: only space and tab are optional whitespace in `Cookie`.
    for name in [
        "\u{2000}user",
        "user\u{a0}",
        "\u{feff}user",
        "\u{3000}user",
        "USER",
    ] {
        let mut req = request(Method::GET, "/whoami", Bytes::new());
        let line = format!("{name}={good}");
        let value = HeaderValue::from_bytes(line.as_bytes()).expect("obs-text is allowed");
        req.headers_mut().append(COOKIE, value);
        let reply = Client::new(server.addr()).send(req).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert!(
            reply.has_line("user: anonymous"),
            "{name:?}: {}",
            reply.body
        );
    }
    let mut req = request(Method::GET, "/whoami", Bytes::new());
    let value = HeaderValue::from_str(&format!(" \tuser \t= {good} ")).expect("ASCII");
    req.headers_mut().append(COOKIE, value);
    let reply = Client::new(server.addr()).send(req).await;
    assert!(reply.has_line("user: alice"), "{}", reply.body);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unregistered_store_is_a_typed_error_naming_it() {
    let server = start(&Key::generate()).await;
    let reply = Client::new(server.addr()).get("/missing").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(
        reply.has_line("unknown store: missing for orphan"),
        "{}",
        reply.body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn two_types_with_one_cookie_name_are_a_typed_error() {
    let server = start(&Key::generate()).await;
    let reply = Client::new(server.addr()).get("/conflict").await;
    assert!(reply.has_line("conflict: user"), "{}", reply.body);
    server.shutdown().await;
}

#[tokio::test]
async fn loading_twice_in_one_request_shares_the_state() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.get("/twice").await;
    assert!(reply.has_line("second: twin"), "{}", reply.body);
    assert_eq!(set_cookie_lines(&reply), 1, "{reply:?}");
    assert!(browser.get("/whoami").await.has_line("user: twin"));
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_loads_in_one_request_share_the_state() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.get("/together").await;
    assert!(reply.has_line("second: pair"), "{}", reply.body);
    assert_eq!(set_cookie_lines(&reply), 1, "{reply:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn the_handlers_own_set_cookie_is_kept_next_to_the_sessions() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.get("/own-cookie").await;
    let names: Vec<String> = reply.set_cookies().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["csrf", "user"], "{reply:?}");
    assert_eq!(browser.jar().value("csrf"), Some("token"));
    assert!(browser.get("/whoami").await.has_line("user: carol"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_that_touches_no_session_gets_no_session_headers() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    login(&mut browser, "alice").await;
    let reply = browser.get("/untouched").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(set_cookie_lines(&reply), 0, "{reply:?}");
    assert!(reply.headers.get(VARY).is_none(), "{reply:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn vary_cookie_joins_the_handlers_own_vary_once() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());

    let reply = browser.get("/vary?own=Accept-Encoding").await;
    assert_eq!(reply.header_values("vary").len(), 2, "{reply:?}");
    assert!(reply.header_values("vary").contains(&"Accept-Encoding"));
    assert_eq!(reply.vary_cookie_count(), 1, "{reply:?}");

    for own in ["cookie", "Accept,Cookie"] {
        let reply = browser.get(&format!("/vary?own={own}")).await;
        assert_eq!(reply.header_values("vary"), [own], "{reply:?}");
    }
    let reply = browser.get("/vary?own=*").await;
    assert_eq!(reply.header_values("vary"), ["*"], "{reply:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_named_store_round_trips() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let first = browser.get("/note").await;
    assert!(first.has_line("note: "), "{}", first.body);
    let cookie = first.set_cookie("note").expect("the note is saved");
    // Signed, not encrypted: a different envelope from the default store.
    assert!(!cookie.value.is_empty());
    let second = browser.get("/note").await;
    assert!(second.has_line("note: +"), "{}", second.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_failed_save_is_a_500_that_keeps_the_cookies_that_saved() {
    let server = start(&Key::generate()).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.get("/too-big").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{reply:?}");
    assert_eq!(reply.body, "");
    // `user` saved before `big` failed: its cookie must reach the browser,
    // or a renew or destroy that reached the store would be undone.
    assert_eq!(browser.jar().names(), ["user"], "{reply:?}");
    assert_eq!(reply.vary_cookie_count(), 1, "{reply:?}");
    let whoami = browser.get("/whoami").await;
    assert!(whoami.body.contains("alice"), "{}", whoami.body);
    server.shutdown().await;
}

#[tokio::test]
async fn without_the_layer_loading_is_a_typed_error() {
    let server = serve_tower(tower::service_fn(app)).await;
    let reply = Client::new(server.addr()).get("/whoami").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, "no registry");
    server.shutdown().await;
}
