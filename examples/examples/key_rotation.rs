//! Rotating the session key without logging anyone out, step by step.
//!
//! ```sh
//! cargo run --example key_rotation
//! ```
//!
//! No server and no browser: the app is called in-process with
//! `tower::ServiceExt::oneshot`, and the example keeps the cookie between
//! calls the way a browser would. Every claim it prints is also an
//! `assert!`, so the example fails loudly if the behaviour changes.
//!
//! The rotation, as you would run it in production:
//!
//! 1. Today the app seals with key A.
//! 2. Deploy with `KeyRing::new(B).with_old(A)`: B seals, A still opens.
//!    Each old cookie opens and is re-sealed with B on that response.
//! 3. Once every cookie sealed with A has been re-sealed or has expired
//!    (wait at least the session's `max_age`), deploy with
//!    `KeyRing::new(B)`: A is retired. A cookie still sealed with A now
//!    gives a new, empty session: never an error.

use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde::{Deserialize, Serialize};
use sessions::{CookieStore, Key, KeyRing, Session, SessionLayer};
use tower::ServiceExt as _;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user")]
struct User {
    username: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

/// The same app at every step; only its keys change between deploys.
fn app(keys: KeyRing) -> Router {
    Router::new()
        .route("/", get(whoami))
        .route("/login", post(login))
        .layer(SessionLayer::new(CookieStore::new(keys)))
}

async fn whoami(user: UserSession) -> String {
    user.username().map_or_else(
        || "anonymous".to_owned(),
        |name| format!("logged in as {name}"),
    )
}

async fn login(user: UserSession, Form(form): Form<Login>) -> String {
    user.set_username(Some(form.username));
    user.renew();
    "welcome".to_owned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (a, b) = (Key::generate(), Key::generate());
    println!("key A has id {}, key B has id {}\n", a.id(), b.id());

    println!("1. The app seals with key A.");
    let today = app(KeyRing::new(a.clone()));
    let login = Request::post("/login")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=alice"))
        .expect("a valid request");
    let reply = call(&today, login).await;
    let sealed_with_a = reply.cookie.expect("logging in sets the session cookie");
    println!("   POST /login        -> {}", reply.body);
    println!("   Set-Cookie: {}", preview(&sealed_with_a));
    let reply = call(&today, get_home(&sealed_with_a)).await;
    show("GET / (cookie A)", &reply);
    assert_eq!(reply.body, "logged in as alice");
    assert_eq!(reply.cookie, None, "an unchanged session sends no cookie");

    println!("\n2. Deploy: B seals, A only opens (KeyRing::new(B).with_old(A)).");
    let rotating = app(KeyRing::new(b.clone()).with_old(a));
    let reply = call(&rotating, get_home(&sealed_with_a)).await;
    show("GET / (cookie A)", &reply);
    assert_eq!(reply.body, "logged in as alice", "A still opens");
    let sealed_with_b = reply
        .cookie
        .expect("a cookie opened with an old key is re-sealed with the primary");
    assert_ne!(sealed_with_b, sealed_with_a);
    let reply = call(&rotating, get_home(&sealed_with_b)).await;
    show("GET / (cookie B)", &reply);
    assert_eq!(reply.body, "logged in as alice");
    assert_eq!(reply.cookie, None, "a cookie sealed with B is current");

    println!("\n3. Later: A is retired (KeyRing::new(B)).");
    let retired = app(KeyRing::new(b));
    let reply = call(&retired, get_home(&sealed_with_b)).await;
    show("GET / (cookie B)", &reply);
    assert_eq!(
        reply.body, "logged in as alice",
        "the re-sealed cookie works"
    );
    let reply = call(&retired, get_home(&sealed_with_a)).await;
    show("GET / (cookie A)", &reply);
    assert_eq!(reply.body, "anonymous", "A no longer opens: a new session");
    assert_eq!(reply.cookie, None, "a new, untouched session sends nothing");

    println!("\nAlice stayed logged in through the rotation; her cookie sealed with A is dead.");
}

/// What a response carried back.
struct Reply {
    body: String,
    /// The value of the `user` cookie it set, if any.
    cookie: Option<String>,
}

/// Calls the app once, as a fresh connection would.
async fn call(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("Router never fails");
    assert_eq!(res.status(), StatusCode::OK, "the app never fails here");
    let mut cookies = res.headers().get_all(SET_COOKIE).iter().map(|line| {
        let line = line.to_str().expect("Set-Cookie is ASCII");
        let pair = line.split(';').next().unwrap_or_default();
        let value = pair.strip_prefix("user=").expect("only the user session");
        value.to_owned()
    });
    let cookie = cookies.next();
    assert!(cookies.next().is_none(), "one session, at most one cookie");
    let body = res.into_body().collect().await.expect("an in-memory body");
    let body = String::from_utf8(body.to_bytes().to_vec()).expect("a text body");
    Reply { body, cookie }
}

/// `GET /` with the `user` cookie.
fn get_home(cookie: &str) -> Request<Body> {
    Request::get("/")
        .header(COOKIE, format!("user={cookie}"))
        .body(Body::empty())
        .expect("a valid request")
}

fn show(request: &str, reply: &Reply) {
    let cookie = reply.cookie.as_deref().map_or_else(
        || "no Set-Cookie".to_owned(),
        |value| format!("Set-Cookie: {}", preview(value)),
    );
    println!("   {request:<18} -> {:<20} {cookie}", reply.body);
}

/// The start of a cookie value: its envelope's version byte and key id
/// (base64url), which is why it changes when B re-seals the cookie.
fn preview(value: &str) -> String {
    let start = value.get(..16).unwrap_or(value);
    format!("user={start}... ({} bytes)", value.len())
}
