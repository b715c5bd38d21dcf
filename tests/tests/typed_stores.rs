//! Derived session types on every store: the same struct works unchanged on
//! `CookieStore`, `FileStore` and `MemoryStore` through
//! `#[session(store = "...")]`, three sessions on three stores save in one
//! response, and a struct that gains a field still reads what was written
//! before the field existed.

use http::header::{COOKIE, SET_COOKIE};
use http::{Request, Response};
use serde::{Deserialize, Serialize};
use sessions::store::SessionId;
use sessions::{CookieStore, FileStore, Key, MemoryStore, Session, Sessions};
use sessions_tests::TempDir;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", store = "files")]
struct User {
    name: Option<String>,
}

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "cart", store = "memory")]
struct Cart {
    items: Vec<u32>,
}

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "prefs")]
struct Prefs {
    theme: String,
}

fn request(sessions: &Sessions, cookies: &[String]) -> Request<()> {
    let mut req = Request::new(());
    if !cookies.is_empty() {
        req.headers_mut()
            .insert(COOKIE, cookies.join("; ").parse().unwrap());
    }
    sessions.attach(&mut req);
    req
}

/// The `name=value` pairs a response sets, in order.
fn cookie_pairs<B>(res: &Response<B>) -> Vec<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| line.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn three_sessions_on_three_stores_save_in_one_response() {
    let (dir, key) = (TempDir::new(), Key::generate());
    let sessions = Sessions::new(CookieStore::new(key.clone()))
        .with_store("files", FileStore::open(dir.store(), key.clone()).unwrap())
        .with_store("memory", MemoryStore::new(key));

    let req = request(&sessions, &[]);
    let (user, cart, prefs) = (
        UserSession::load(&req).await.unwrap(),
        CartSession::load(&req).await.unwrap(),
        PrefsSession::load(&req).await.unwrap(),
    );
    user.set_name(Some("ada".to_owned()));
    cart.update(|c| c.items.push(3));
    prefs.set_theme("dark".to_owned());
    let mut res = Response::new(());
    sessions::save(&req, &mut res).await.unwrap();
    let cookies = cookie_pairs(&res);
    let names: Vec<_> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["user", "cart", "prefs"], "load order");
    let records = std::fs::read_dir(dir.store())
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_str().unwrap().parse::<SessionId>().is_ok()
        })
        .count();
    assert_eq!(records, 1, "the user session is one file");

    let req = request(&sessions, &cookies);
    let user = UserSession::load(&req).await.unwrap();
    let cart = CartSession::load(&req).await.unwrap();
    let prefs = PrefsSession::load(&req).await.unwrap();
    assert!(!user.is_new() && !cart.is_new() && !prefs.is_new());
    assert_eq!(user.name().as_deref(), Some("ada"));
    assert_eq!(cart.items(), [3]);
    assert_eq!(prefs.theme(), "dark");
}

mod before {
    use super::*;

    /// The first version of a session type.
    #[derive(Session, Serialize, Deserialize, Default)]
    #[session(name = "profile", store = "files")]
    pub(super) struct Profile {
        pub(super) name: String,
    }
}

mod after {
    use super::*;

    /// The same session after a release added fields.
    #[derive(Session, Serialize, Deserialize, Default)]
    #[session(name = "profile", store = "files")]
    pub(super) struct Profile {
        pub(super) name: String,
        #[serde(default)]
        pub(super) age: Option<u8>,
        #[serde(default)]
        pub(super) tags: Vec<String>,
    }
}

#[tokio::test]
async fn a_struct_that_gains_fields_still_reads_old_sessions() {
    let (dir, key) = (TempDir::new(), Key::generate());
    // The same type on a cookie store registered under the same name.
    let cookie_sessions = Sessions::new(CookieStore::new(key.clone()))
        .with_store("files", CookieStore::new(key.clone()));
    let file_sessions = Sessions::new(CookieStore::new(key.clone()))
        .with_store("files", FileStore::open(dir.store(), key).unwrap());

    for sessions in [cookie_sessions, file_sessions] {
        let req = request(&sessions, &[]);
        let old = before::ProfileSession::load(&req).await.unwrap();
        old.set_name("ada".to_owned());
        let mut res = Response::new(());
        old.save(&mut res).await.unwrap();

        let req = request(&sessions, &cookie_pairs(&res));
        let new = after::ProfileSession::load(&req).await.unwrap();
        assert!(!new.is_new(), "the old session loads");
        assert_eq!(new.name(), "ada");
        assert_eq!(new.age(), None);
        assert!(new.tags().is_empty());
    }
}
