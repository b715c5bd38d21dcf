//! An actix-web app: log in and out with a typed session, "remember me",
//! a flash after each redirect, and visits counted in an untyped session.
//!
//! ```sh
//! cargo run --example actix                 # http://127.0.0.1:3000
//! SESSION_KEY="$(cargo run -q --example keygen)" PORT=8080 cargo run --example actix
//! ```
//!
//! - `UserSession`, derived from `User`, is a handler argument like any
//!   actix-web extractor: who is logged in, and read-once notices.
//! - `MapSession` (cookie `session`) is the untyped session: it counts
//!   visits and carries the goodbye after logout, when `user` is gone.
//!
//! `SessionMiddleware` attaches the sessions to every request and saves
//! the ones a handler changed. Without a browser:
//!
//! ```sh
//! curl -c jar -b jar -d username=alice -d remember=on http://127.0.0.1:3000/login
//! curl -c jar -b jar http://127.0.0.1:3000/
//! ```

use std::error::Error;
use std::net::SocketAddr;

use actix_web::http::header::{ContentType, LOCATION};
use actix_web::{App, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};
use sessions::actix::SessionMiddleware;
use sessions::{CookieStore, DEFAULT_MAP_CONFIG, MapSession, Session, Sessions};
use sessions_examples::html::Escape;

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

fn main() -> Result<(), Box<dyn Error>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], sessions_examples::env::port()?));
    let sessions = Sessions::new(CookieStore::new(sessions_examples::env::session_key(
        "actix",
    )?))
    .with_map_config(DEFAULT_MAP_CONFIG.with_secure(false))?;
    println!("actix: serving on http://{addr}/ (Ctrl-C to stop)");
    // actix-web runs on its own runtime; Ctrl-C stops it gracefully.
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new()
                .wrap(SessionMiddleware::new(sessions.clone()))
                .route("/", web::get().to(index))
                .route("/login", web::post().to(login))
                .route("/logout", web::post().to(logout))
        })
        .bind(addr)?
        .run(),
    )?;
    Ok(())
}

async fn index(user: UserSession, visitor: MapSession) -> HttpResponse {
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
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(format!(
            "<!doctype html><title>sessions + actix-web</title><h1>Hello</h1>\
         {notices}{account}<p>Visits from this browser: {visits}.</p>"
        ))
}

const LOGIN_FORM: &str = "<form method=post action=/login>\
    <input name=username placeholder=username required maxlength=64> \
    <label><input type=checkbox name=remember> Remember me</label> \
    <button>Log in</button></form>";

/// A `303 See Other` to `to`: after a form, the browser follows with a GET.
fn see_other(to: &'static str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

async fn login(user: UserSession, form: web::Form<Login>) -> HttpResponse {
    let name = form.username.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return HttpResponse::BadRequest().body("username: 1 to 64 printable characters\n");
    }
    user.set_username(Some(name.to_owned()));
    // "Remember me": a cookie that outlives the browser session.
    user.set_persistent(form.remember.as_deref() == Some("on"));
    // A new identity at login: a cookie planted before it is worthless.
    user.renew();
    user.push_notices(format!("Welcome, {name}!"));
    see_other("/")
}

/// Sessions are saved in the order the handler loaded them, so `visitor`
/// comes first: the removal of `user` is then the last `Set-Cookie`, which
/// old curl (7.88) needs to drop the cookie from its jar.
async fn logout(visitor: MapSession, user: UserSession) -> HttpResponse {
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
    see_other("/")
}
