//! An axum app: log in and out with a typed session, count visits with an
//! untyped one.
//!
//! ```sh
//! cargo run --example axum                 # http://127.0.0.1:3000
//! SESSION_KEY="$(cargo run -q --example keygen)" PORT=8080 cargo run --example axum
//! ```
//!
//! - `UserSession`, derived from `User`, is a handler argument like any
//!   axum extractor: who is logged in, and read-once notices.
//! - `MapSession` (cookie `session`) is the untyped session: string keys to
//!   any serde value, and flashes. It counts visits and carries the goodbye
//!   after logout, when the `user` session is gone.
//!
//! `SessionLayer` attaches the sessions to every request and saves the ones
//! a handler changed. Without a browser:
//!
//! ```sh
//! curl -c jar -b jar -d username=alice http://127.0.0.1:3000/login
//! curl -c jar -b jar http://127.0.0.1:3000/
//! ```

use std::error::Error;
use std::net::SocketAddr;

use axum::Form;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sessions::{CookieStore, DEFAULT_MAP_CONFIG, MapSession, Session, SessionLayer};
use sessions_examples::html::Escape;
use tokio::net::TcpListener;

// `secure = false` on both sessions: the example is served over plain http
// on localhost, where curl and some browsers refuse a `Secure` cookie.
// Behind TLS, leave it out: it defaults to true.

/// Who is logged in. The cookie ends with the browser session unless
/// "remember me" was ticked.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", persistent = false, secure = false)]
struct User {
    username: Option<String>,
    /// Shown once, on the next page.
    #[session(flash)]
    notices: Vec<String>,
}

/// The login form.
#[derive(Deserialize)]
struct Login {
    username: String,
    /// `Some("on")` when the box is ticked; browsers omit it otherwise.
    remember: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], sessions_examples::env::port()?));
    let sessions = SessionLayer::new(CookieStore::new(sessions_examples::env::session_key(
        "axum",
    )?))
    .with_map_config(DEFAULT_MAP_CONFIG.with_secure(false))?;
    let app = Router::new()
        .route("/", get(index))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(sessions);

    let listener = TcpListener::bind(addr).await?;
    println!("axum: serving on http://{addr}/ (Ctrl-C to stop)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // No Ctrl-C handler means no graceful shutdown: run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await?;
    Ok(())
}

async fn index(user: UserSession, visitor: MapSession) -> Html<String> {
    // The map session holds what we put there; anything else (an older
    // version of this app, say) reads as nothing rather than an error.
    let visits = visitor.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
    visitor
        .insert("visits", &visits)
        .expect("a u64 always encodes");
    // A flash that cannot be taken (the store is down) is shown next time.
    let mut notices = user.take_notices().await.unwrap_or_default();
    notices.extend(visitor.flashes::<String>().await.unwrap_or_default());

    let notices = notices
        .iter()
        .map(|notice| format!("<p><em>{}</em></p>", Escape(notice)))
        .collect::<Vec<_>>()
        .concat();
    let account = match user.username() {
        Some(name) => format!(
            "<p>Logged in as <strong>{}</strong>.</p>\
             <form method=post action=/logout><button>Log out</button></form>",
            Escape(&name),
        ),
        None => LOGIN_FORM.to_owned(),
    };
    Html(format!(
        "<!doctype html><title>sessions + axum</title><h1>Hello</h1>\
         {notices}{account}<p>Visits from this browser: {visits}.</p>"
    ))
}

const LOGIN_FORM: &str = "<form method=post action=/login>\
    <input name=username placeholder=username required maxlength=64> \
    <label><input type=checkbox name=remember> Remember me</label> \
    <button>Log in</button></form>";

async fn login(
    user: UserSession,
    Form(form): Form<Login>,
) -> Result<Redirect, (StatusCode, &'static str)> {
    let name = form.username.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err((
            StatusCode::BAD_REQUEST,
            "username: 1 to 64 printable characters\n",
        ));
    }
    user.set_username(Some(name.to_owned()));
    user.set_persistent(form.remember.as_deref() == Some("on"));
    // A new identity at login: a cookie planted before it is worthless.
    user.renew();
    user.push_notices(format!("Welcome, {name}!"));
    Ok(Redirect::to("/"))
}

/// Sessions are saved in the order the handler loaded them, so `visitor`
/// comes first: the removal of `user` is then the last `Set-Cookie`, which
/// old curl (7.88) needs to drop the cookie from its jar.
async fn logout(visitor: MapSession, user: UserSession) -> Redirect {
    let goodbye = match user.username() {
        Some(name) => format!("Goodbye, {name}."),
        None => "You were not logged in.".to_owned(),
    };
    // `destroy` is the last change to `user` (a later one would start a new
    // session): the goodbye goes to the map session.
    user.destroy();
    visitor
        .add_flash(&goodbye)
        .expect("a string always encodes");
    Redirect::to("/")
}
