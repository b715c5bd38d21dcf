//! The demo's server, served by `cargo run --example demo` and driven in a
//! real browser by `tests/demo_browser.rs`: hyper, a [`SessionLayer`] and
//! two typed sessions.
//!
//! - `user`: who is logged in, from which browser, and read-once notices,
//!   kept on the server in a [`FileStore`](sessions::FileStore): the cookie carries only a
//!   sealed id, so logging out really ends the session. The username is the
//!   session's owner (`#[session(owner)]`), so `GET /sessions` lists every
//!   session of the user and can log any of them out. The cookie ends with
//!   the browser unless "remember me" was ticked at login.
//! - `prefs`: the page's theme, kept in an encrypted cookie
//!   ([`CookieStore`]) across logins for `DEFAULT_MAX_AGE`.
//!
//! Every page ends with a panel of what the library did for the request:
//! for each session, its store, how large a cookie the browser sent and
//! when the session expires.
//!
//! Two sessions on two stores: a response that changes both sends two
//! `Set-Cookie` lines. Routes: `GET /` (the page), `POST /login`,
//! `POST /logout`, `POST /theme`, `GET /sessions` (the user's sessions),
//! `POST /sessions/revoke` (form field `handle`) and
//! `POST /sessions/revoke-others`. The `SessionLayer` saves whatever a
//! handler changed.
//!
//! ```no_run
//! use sessions::{CookieStore, FileStore, Key};
//! use sessions_examples::demo::Demo;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = Key::generate();
//! let demo = Demo::new(CookieStore::new(key.clone()), FileStore::open("var/demo", key)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! demo.serve(listener, async { tokio::signal::ctrl_c().await.unwrap_or(()) })
//!     .await;
//! # Ok(()) }
//! ```

mod account;
mod devices;
mod form;
mod layout;
mod page;
mod panel;
mod respond;
mod serve;
mod time;

use std::convert::Infallible;
use std::error::Error;
use std::fmt::{self, Display, Formatter};

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::store::Store;
use sessions::{CookieStore, Session, SessionLayer};

use self::respond::{Body, method_not_allowed, text};

// `secure = false` on both sessions: the demo is served over plain http on
// localhost, where curl and some browsers refuse a `Secure` cookie (others
// make an exception for localhost). Behind TLS, leave `secure` out: it
// defaults to true.

/// Who is logged in, and from which browser.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", store = "files", persistent = false, secure = false)]
struct User {
    /// The owner: every session of one username is listed on `/sessions`.
    #[session(owner)]
    username: Option<String>,
    /// The `User-Agent` of the login, shown on `/sessions`.
    agent: String,
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

/// The demo application: its stores, and the routes they serve.
#[derive(Debug)]
pub struct Demo {
    layer: SessionLayer,
    kinds: Kinds,
}

/// The kind of store behind each session ([`sessions::store::Store::kind`]),
/// for the panel.
#[derive(Clone, Copy, Debug)]
struct Kinds {
    user: &'static str,
    prefs: &'static str,
}

impl Demo {
    /// The demo with `prefs` in `cookies` (the default store) and `user` in
    /// `users` (registered as the store `"files"`: a [`FileStore`](sessions::FileStore) in
    /// `cargo run --example demo`, but any server-side store will do).
    pub fn new(cookies: CookieStore, users: impl Store) -> Self {
        let kinds = Kinds {
            user: users.kind(),
            prefs: cookies.kind(),
        };
        let layer = SessionLayer::new(cookies).with_store("files", users);
        Self { layer, kinds }
    }
}

/// Why a request got no regular answer.
enum Failure {
    /// The client's fault: this status and a short explanation.
    Client(StatusCode, &'static str),
    /// A session could not be loaded, listed or revoked.
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

async fn handle(kinds: Kinds, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(route(kinds, req)
        .await
        .unwrap_or_else(|failure| match failure {
            Failure::Client(status, why) => text(status, why),
            Failure::Session(error) => {
                eprintln!("demo: session error: {}", Chain(&error));
                text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }))
}

/// An error and its sources, `: `-separated.
struct Chain<'a>(&'a dyn Error);

impl Display for Chain<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

async fn route(kinds: Kinds, req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    match (req.uri().path(), req.method()) {
        ("/", &Method::GET) => page::home(kinds, &req).await,
        ("/login", &Method::POST) => account::login(req).await,
        ("/logout", &Method::POST) => account::logout(&req).await,
        ("/theme", &Method::POST) => account::theme(req).await,
        ("/sessions", &Method::GET) => devices::list(kinds, &req).await,
        ("/sessions/revoke", &Method::POST) => devices::revoke(req).await,
        ("/sessions/revoke-others", &Method::POST) => devices::revoke_others(req).await,
        ("/" | "/sessions", _) => Ok(method_not_allowed("GET")),
        ("/login" | "/logout" | "/theme" | "/sessions/revoke" | "/sessions/revoke-others", _) => {
            Ok(method_not_allowed("POST"))
        }
        _ => Err(Failure::Client(StatusCode::NOT_FOUND, "not found")),
    }
}
