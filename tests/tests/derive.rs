//! Behaviour of the code `#[derive(Session)]` generates, through the real runtime: values
//! survive a cookie round trip, flashes are read once, reads do not dirty a session, the
//! attributes reach the `Set-Cookie` line, `Debug` hides the data.
//!
//! Compile-time behaviour (accepted forms, diagnostics) is in `ui.rs`.

use std::future::Future;

use serde::{Deserialize, Serialize};
use sessions::{CookieStore, Handle, Key, OnConflict, Session, SessionData, Sessions};

// DESIGN's example, `user_id` in `User` included.
#[allow(clippy::struct_field_names)]
#[derive(Session, Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
#[session(name = "user", max_age = 604800)]
struct User {
    user_id: Option<u64>,
    theme: String,
    #[session(flash)]
    notices: Vec<String>,
    #[session(flash)]
    error: Option<String>,
    #[session(readonly)]
    created: u64,
    #[session(skip)]
    cache: Vec<u8>,
    r#type: u8,
}

// Flashes under the names serde gives them.
#[derive(Session, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    #[session(flash)]
    error_notices: Vec<String>,
    #[session(flash)]
    #[serde(rename = "ok")]
    done: Option<String>,
    #[session(flash)]
    r#loop: Option<u8>,
}

// A session that belongs to whoever logged in.
#[derive(Session, Serialize, Deserialize, Default, Clone)]
struct Account {
    #[session(owner)]
    user_id: Option<u64>,
    theme: String,
}

#[derive(Session, Serialize, Deserialize, Default)]
#[session(
    path = "/app",
    same_site = "strict",
    persistent = false,
    http_only = false,
    on_conflict = "error"
)]
struct CartItems {
    count: u32,
}

/// One request/response exchange against `sessions`, carrying `cookie` if any.
struct Exchange {
    req: http::Request<()>,
}

impl Exchange {
    fn new(sessions: &Sessions, cookie: Option<&str>) -> Self {
        let mut builder = http::Request::builder().uri("/app");
        if let Some(cookie) = cookie {
            builder = builder.header(http::header::COOKIE, cookie);
        }
        let mut req = builder.body(()).expect("a valid request");
        sessions.attach(&mut req);
        Self { req }
    }

    /// Saves the changed sessions and returns the `Set-Cookie` lines.
    async fn finish(self) -> Vec<String> {
        let mut res = http::Response::new(());
        sessions::save(&self.req, &mut res).await.expect("save");
        res.headers()
            .get_all(http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ASCII cookie").to_owned())
            .collect()
    }
}

/// The `name=value` part of a `Set-Cookie` line, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().expect("split yields one part")
}

fn sessions() -> Sessions {
    Sessions::new(CookieStore::new(Key::generate()))
}

#[tokio::test]
async fn values_and_flashes_survive_a_round_trip() {
    let sessions = sessions();
    let first = Exchange::new(&sessions, None);
    let user = UserSession::load(&first.req).await.unwrap();
    assert!(user.is_new());
    assert_eq!(user.user_id(), None);
    user.set_user_id(Some(7));
    user.set_theme("dark".to_owned());
    user.push_notices("saved".to_owned());
    user.push_notices("welcome".to_owned());
    user.set_error("oops".to_owned());
    user.set_type(3);
    user.update(|u| u.cache.push(1));
    let lines = first.finish().await;
    assert_eq!(lines.len(), 1, "{lines:?}");

    let second = Exchange::new(&sessions, Some(cookie_pair(&lines[0])));
    let user = UserSession::load(&second.req).await.unwrap();
    assert!(!user.is_new());
    assert_eq!(user.user_id(), Some(7));
    assert_eq!(user.theme(), "dark");
    assert_eq!(user.r#type(), 3);
    assert_eq!(user.created(), 0);
    assert_eq!(user.with(|u| u.cache.clone()), [1]);
    assert_eq!(user.take_notices().await.unwrap(), ["saved", "welcome"]);
    assert_eq!(user.take_notices().await.unwrap(), Vec::<String>::new());
    assert_eq!(user.take_error().await.unwrap().as_deref(), Some("oops"));
    assert_eq!(user.take_error().await.unwrap(), None);
    let lines = second.finish().await;
    assert_eq!(
        lines.len(),
        1,
        "taking flashes changes the session: {lines:?}"
    );

    let third = Exchange::new(&sessions, Some(cookie_pair(&lines[0])));
    let user = UserSession::load(&third.req).await.unwrap();
    assert_eq!(
        user.take_notices().await.unwrap(),
        Vec::<String>::new(),
        "flashes are read once"
    );
    assert_eq!(user.user_id(), Some(7));
}

#[tokio::test]
async fn the_owner_is_the_owner_field_in_text() {
    assert_eq!(User::default().owner(), None, "no `#[session(owner)]`");
    let sessions = sessions();
    let first = Exchange::new(&sessions, None);
    let account = AccountSession::load(&first.req).await.unwrap();
    assert_eq!(account.get().owner(), None, "nobody owns a new session");
    account.set_user_id(Some(7));
    assert_eq!(account.get().owner().as_deref(), Some("7"));
    account.set_theme("dark".to_owned());
    assert_eq!(account.get().owner().as_deref(), Some("7"));
    let lines = first.finish().await;

    let second = Exchange::new(&sessions, Some(cookie_pair(&lines[0])));
    let account = AccountSession::load(&second.req).await.unwrap();
    assert_eq!(account.get().owner().as_deref(), Some("7"));
    account.set_user_id(None);
    assert_eq!(account.get().owner(), None, "logged out");
}

#[tokio::test]
async fn reads_and_empty_takes_leave_the_session_clean() {
    let sessions = sessions();
    let first = Exchange::new(&sessions, None);
    UserSession::load(&first.req)
        .await
        .unwrap()
        .set_theme("x".to_owned());
    let lines = first.finish().await;

    let second = Exchange::new(&sessions, Some(cookie_pair(&lines[0])));
    let user = UserSession::load(&second.req).await.unwrap();
    let _ = (user.theme(), user.user_id(), user.created(), user.r#type());
    assert!(user.take_notices().await.unwrap().is_empty());
    assert!(user.take_error().await.unwrap().is_none());
    assert_eq!(second.finish().await, Vec::<String>::new());
}

#[tokio::test]
async fn attributes_reach_the_cookie() {
    assert_eq!(User::CONFIG.name(), "user");
    assert_eq!(CartItems::CONFIG.name(), "cart_items");
    assert_eq!(User::CONFIG.on_conflict(), OnConflict::LastWriteWins);
    assert_eq!(CartItems::CONFIG.on_conflict(), OnConflict::Error);
    // Flash fields by their names on the wire: they merge item by item.
    assert_eq!(User::FLASH_FIELDS, ["notices", "error"]);
    assert!(CartItems::FLASH_FIELDS.is_empty());
    assert_eq!(Renamed::FLASH_FIELDS, ["errorNotices", "ok", "loop"]);
    let sessions = sessions();
    let exchange = Exchange::new(&sessions, None);
    UserSession::load(&exchange.req)
        .await
        .unwrap()
        .set_theme("x".to_owned());
    let cart = CartItemsSession::load(&exchange.req).await.unwrap();
    cart.set_count(cart.count() + 1);
    let lines = exchange.finish().await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (user, cart) = (&lines[0], &lines[1]);
    assert!(user.starts_with("user="), "{user}");
    assert!(user.contains("Max-Age=604800"), "{user}");
    assert!(
        user.contains("HttpOnly") && user.contains("Secure"),
        "{user}"
    );
    assert!(cart.starts_with("cart_items="), "{cart}");
    assert!(
        cart.contains("Path=/app") && cart.contains("SameSite=Strict"),
        "{cart}"
    );
    assert!(
        !cart.contains("Max-Age") && !cart.contains("HttpOnly"),
        "{cart}"
    );
}

#[tokio::test]
async fn loads_in_one_request_share_state() {
    let sessions = sessions();
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let a = UserSession::load(&req).await.unwrap();
    let (parts, ()) = req.into_parts();
    let b = UserSession::load_parts(&parts).await.unwrap();
    let c = a.clone();
    a.set_user_id(Some(1));
    assert_eq!(b.user_id(), Some(1));
    assert_eq!(c.user_id(), Some(1));
    // `From<Handle<User>>` and `Deref` are inverse: one more view of the same state.
    let handle: &Handle<User> = &a;
    let d = UserSession::from(handle.clone());
    assert_eq!(d.get().user_id, Some(1));
}

#[tokio::test]
async fn debug_never_shows_the_data() {
    let sessions = sessions();
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let user = UserSession::load(&req).await.unwrap();
    user.set_theme("hunter2-theme".to_owned());
    user.push_notices("hunter2-notice".to_owned());
    let shown = format!("{user:?} {user:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("user"), "names the session: {shown}");
}

#[test]
fn the_load_future_is_send_and_static_whatever_the_body() {
    fn send_static<F: Future + Send + 'static>(_: &F) {}
    let body = String::from("borrowed for less than 'static");
    let req = http::Request::new(body.as_str());
    let future = UserSession::load(&req);
    send_static(&future);
    drop(req);
    drop(future);
}

/// The workspace clippy run checks this module: the expansion passes pedantic clippy,
/// missing docs and every warning, for a public session with every kind of field.
pub mod strict {
    #![deny(warnings, missing_docs, clippy::pedantic)]

    use serde::{Deserialize, Serialize};
    use sessions::Session;

    /// A public session with every kind of field.
    #[derive(Session, Serialize, Deserialize, Default, Debug)]
    #[session(
        name = "strict",
        max_age = 3600,
        idle_timeout = 600,
        same_site = "strict"
    )]
    pub struct Strict {
        /// A plain field, the owner.
        #[session(owner)]
        pub id: Option<u64>,
        /// A flash list.
        #[session(flash)]
        pub notices: Vec<String>,
        /// A one-slot flash.
        #[session(flash)]
        pub error: Option<String>,
        /// Read-only.
        #[session(readonly)]
        pub created: u64,
        /// No accessors.
        #[session(skip)]
        pub cache: u8,
        /// A raw identifier.
        pub r#type: u8,
        pub(crate) visits: u32,
        secret: u8,
    }
}

#[test]
fn the_strict_session_is_usable() {
    let _: fn(&strict::StrictSession) -> Option<u64> = strict::StrictSession::id;
    let _: fn(&strict::StrictSession) -> u32 = strict::StrictSession::visits;
    assert_eq!(<strict::Strict as SessionData>::CONFIG.name(), "strict");
}
