//! A hyper server with two typed sessions, usable in a browser.
//!
//! ```sh
//! cargo run --example demo                 # http://127.0.0.1:3000
//! SESSION_KEY="$(cargo run -q --example keygen)" PORT=8080 cargo run --example demo
//! ```
//!
//! - `user`: who is logged in, and read-once notices, kept on the server in a
//!   `FileStore` (`SESSIONS_DIR`, default `target/demo-sessions`): the cookie
//!   carries only a sealed id, so logging out really ends the session. The
//!   cookie ends with the browser unless "remember me" was ticked at login.
//! - `prefs`: the page's theme, kept in an encrypted cookie (`CookieStore`)
//!   across logins for `DEFAULT_MAX_AGE`.
//!
//! Two sessions on two stores: a response that changes both sends two
//! `Set-Cookie` lines. Routes: `GET /` (the page), `POST /login`,
//! `POST /logout`, `POST /theme`. The `SessionLayer` saves whatever a
//! handler changed.

mod form;
mod page;

use std::convert::Infallible;
use std::fmt::Display;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use sessions::{CookieStore, FileStore, Key, Session, SessionLayer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;

use sessions_examples::env;

use crate::form::Form;
use crate::page::Page;

type Body = Full<Bytes>;

/// The longest username accepted, in characters.
const MAX_USERNAME_LEN: usize = 64;

// `secure = false` on both sessions: the demo is served over plain http on
// localhost, where curl and some browsers refuse a `Secure` cookie (others
// make an exception for localhost). Behind TLS, leave `secure` out: it
// defaults to true.

/// Who is logged in.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", store = "files", persistent = false, secure = false)]
struct User {
    username: Option<String>,
    /// Shown once on the next page view.
    #[session(flash)]
    notices: Vec<String>,
}

/// Preferences that outlive a login.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "prefs", secure = false)]
struct Prefs {
    /// `"light"` or `"dark"`; empty until the visitor picks one.
    theme: String,
    /// Notices that must survive the end of the `user` session (the goodbye
    /// after logout). Kept here so that logout sends a plain removal of
    /// `user`, rather than a new anonymous `user` session made only to
    /// carry the goodbye.
    #[session(flash)]
    notices: Vec<String>,
}

#[tokio::main]
async fn main() {
    let addr = SocketAddr::from(([127, 0, 0, 1], env::port().unwrap_or_else(|e| fail(e))));
    let key = env::session_key("demo").unwrap_or_else(|e| fail(e));
    let listener = TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| fail(format_args!("cannot listen on {addr}: {error}")));
    let files = file_store(&key);
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(CookieStore::new(key)).with_store("files", files))
        .service_fn(handle);
    println!("demo: serving on http://{addr}/ (Ctrl-C to stop)");

    // Every connection holds a receiver: on Ctrl-C they finish their
    // requests and close, and `closed()` tells when the last one is gone.
    let (shutdown, connections) = watch::channel(());
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    eprintln!("demo: accept failed: {error}");
                    continue;
                }
            },
            _ = &mut ctrl_c => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = connections.clone();
        tokio::spawn(async move {
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(error) = result {
                eprintln!("demo: connection error: {error}");
            }
        });
    }
    println!("demo: shutting down");
    drop(connections);
    shutdown.send_replace(());
    shutdown.closed().await;
}

/// The server-side store of the `user` session, with a reaper that deletes
/// expired sessions every ten minutes.
fn file_store(key: &Key) -> FileStore {
    let dir = std::env::var("SESSIONS_DIR").unwrap_or_else(|_| "target/demo-sessions".to_owned());
    let store = FileStore::open(&dir, key.clone())
        .unwrap_or_else(|error| fail(format_args!("SESSIONS_DIR {dir}: {error}")));
    drop(store.spawn_reaper(std::time::Duration::from_mins(10)));
    println!("demo: user sessions are kept in {dir}");
    store
}

fn fail(message: impl Display) -> ! {
    eprintln!("demo: {message}");
    std::process::exit(1)
}

/// Why a request got no regular answer.
enum Failure {
    /// The client's fault: this status and a short explanation.
    Client(StatusCode, &'static str),
    /// A session could not be loaded.
    Session(sessions::Error),
}

impl From<sessions::Error> for Failure {
    fn from(error: sessions::Error) -> Self {
        Self::Session(error)
    }
}

fn bad_request(why: &'static str) -> Failure {
    Failure::Client(StatusCode::BAD_REQUEST, why)
}

async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(route(req).await.unwrap_or_else(|failure| match failure {
        Failure::Client(status, why) => text(status, why),
        Failure::Session(error) => {
            eprintln!("demo: session error: {error}");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }))
}

async fn route(req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    match (req.uri().path(), req.method()) {
        ("/", &Method::GET) => home(&req).await,
        ("/login", &Method::POST) => login(req).await,
        ("/logout", &Method::POST) => logout(&req).await,
        ("/theme", &Method::POST) => theme(req).await,
        ("/", _) => Ok(method_not_allowed("GET")),
        ("/login" | "/logout" | "/theme", _) => Ok(method_not_allowed("POST")),
        _ => Err(Failure::Client(StatusCode::NOT_FOUND, "not found")),
    }
}

async fn home(req: &Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(req).await?;
    let prefs = PrefsSession::load(req).await?;
    let mut notices = user.take_notices().await?;
    notices.extend(prefs.take_notices().await?);
    let page = Page {
        username: user.username(),
        remembered: user.is_persistent(),
        dark: prefs.theme() == "dark",
        notices,
    };
    let mut res = Response::new(Body::from(page.to_string()));
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page shows read-once notices and who is logged in.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn login(req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(&req).await?;
    let form = Form::read(req).await?;
    let username = form
        .get("username")
        .map(str::trim)
        .filter(|name| valid_username(name))
        .ok_or(bad_request("username: 1 to 64 printable characters"))?;
    user.set_username(Some(username.to_owned()));
    // Unticked means a browser-session cookie, even if an earlier login
    // was remembered.
    user.set_persistent(form.get("remember") == Some("on"));
    // A new identity at login: a cookie planted before it is worthless.
    user.renew();
    user.push_notices(format!("Welcome, {username}"));
    Ok(see_other("/"))
}

fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_LEN
        && !name.chars().any(char::is_control)
}

async fn logout(req: &Request<Incoming>) -> Result<Response<Body>, Failure> {
    // Sessions are saved in load order: `prefs` first puts the removal of
    // `user` last, which old curl (7.88) needs to drop the cookie from its jar.
    let prefs = PrefsSession::load(req).await?;
    let user = UserSession::load(req).await?;
    let goodbye = match user.username() {
        Some(name) => format!("Goodbye, {name}"),
        None => "You were not logged in".to_owned(),
    };
    // A change to `user` after `destroy` would not bring the old data back:
    // it would start a new, empty session under a new id. The goodbye goes
    // to `prefs` instead, so `user` is simply removed.
    user.destroy();
    prefs.push_notices(goodbye);
    Ok(see_other("/"))
}

async fn theme(req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    let prefs = PrefsSession::load(&req).await?;
    let form = Form::read(req).await?;
    match form.get("theme") {
        Some(theme @ ("light" | "dark")) => prefs.set_theme(theme.to_owned()),
        _ => return Err(bad_request("theme: light or dark")),
    }
    Ok(see_other("/"))
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::from(format!("{body}\n")));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    res
}

/// 303 See Other: after a POST, the browser GETs `location`.
fn see_other(location: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::default());
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_static(location));
    res
}
