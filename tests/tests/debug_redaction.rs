//! `Debug` never shows session data, ids, cookie values or keys: every
//! store, its backend, the records and loaded sessions it hands out,
//! `Handle`, `MapSession`, `Sessions` and `SessionId`, in `{:?}` and in
//! `{:#?}`, after saving a session that holds a distinctive marker.

use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sessions::store::{Backend, Loaded, ServerStore, SessionId, Store, UnixTime};
use sessions::{
    CookieStore, FileStore, Key, MapSession, MemoryStore, RedisStore, Session, SessionConfig,
    Sessions,
};
use sessions_tests::TempDir;
use sessions_tests::redis_server::RedisServer;

/// Long enough that its bytes, printed as a list of numbers, match nothing
/// by chance.
const MARKER: &str = "MARKER-d3bug-r3dacti0n-0451";
/// The map session next to the typed one.
const MAP: SessionConfig = SessionConfig::new("map");

#[derive(Session, Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
#[session(name = "user")]
struct User {
    note: Option<String>,
}

/// What must not appear in any `Debug` output.
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    fn new(key: &Key) -> Self {
        let mut secrets = Self(Vec::new());
        secrets.add("marker", MARKER.to_owned());
        secrets.add_bytes("marker bytes", MARKER.as_bytes());
        secrets.add("key", key.to_text());
        secrets
    }

    fn add(&mut self, what: &'static str, text: String) {
        self.0.push((what, text));
    }

    /// `bytes` as `Debug` prints a byte slice, whitespace aside.
    fn add_bytes(&mut self, what: &'static str, bytes: &[u8]) {
        self.add(what, squash(&format!("{bytes:?}").replace(['[', ']'], "")));
    }

    fn add_id(&mut self, id: &SessionId) {
        self.add("id", id.to_string());
        self.add_bytes("id bytes", id.as_bytes());
    }

    /// Asserts that neither `{:?}` nor `{:#?}` of `value` shows a secret.
    fn assert_hidden(&self, what: &str, value: &impl Debug) {
        for debug in [format!("{value:?}"), format!("{value:#?}")] {
            let squashed = squash(&debug);
            for (secret, text) in &self.0 {
                assert!(
                    !squashed.contains(&squash(text)),
                    "{what} shows the {secret}: {debug}"
                );
            }
        }
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn request(sessions: &Sessions, cookies: Option<&str>) -> http::Request<()> {
    let mut req = http::Request::new(());
    if let Some(cookies) = cookies {
        let value = cookies.parse().unwrap();
        req.headers_mut().insert(http::header::COOKIE, value);
    }
    sessions.attach(&mut req);
    req
}

/// Saves a typed and a map session holding [`MARKER`] through `store`,
/// loads them again, checks the `Debug` of everything on the way, and
/// returns what the store loads for the typed session's cookie.
async fn exercise<S: Store + Debug>(store: Arc<S>, secrets: &mut Secrets) -> Loaded {
    let sessions = Sessions::new(Arc::clone(&store));
    let req = request(&sessions, None);
    let user = UserSession::load(&req).await.unwrap();
    user.set_note(Some(MARKER.to_owned()));
    let map = MapSession::load(&req, MAP).await.unwrap();
    map.insert("note", &MARKER).unwrap();
    secrets.assert_hidden("a new handle", &user);
    secrets.assert_hidden("a new map session", &map);
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.unwrap();

    let pairs: Vec<String> = res
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|line| line.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    for pair in &pairs {
        let (_, value) = pair.split_once('=').unwrap();
        secrets.add("cookie value", value.to_owned());
    }
    let user_value = pairs[0].strip_prefix("user=").expect("user saved first");
    let loaded = store
        .load("user", user_value, UnixTime::now())
        .await
        .unwrap()
        .expect("the session loads");
    if let Some(id) = loaded.id() {
        secrets.add_id(id);
    }

    let req = request(&sessions, Some(&pairs.join("; ")));
    let user = UserSession::load(&req).await.unwrap();
    assert_eq!(user.note().as_deref(), Some(MARKER));
    let map = MapSession::load(&req, MAP).await.unwrap();
    assert_eq!(map.get::<String>("note").unwrap().as_deref(), Some(MARKER));
    secrets.assert_hidden("a loaded handle", &user);
    secrets.assert_hidden("a loaded map session", &map);
    secrets.assert_hidden("Sessions", &sessions);
    secrets.assert_hidden("the store", &store);
    secrets.assert_hidden("a loaded session", &loaded);
    loaded
}

/// [`exercise`] on a server-side store, then its backend and the record
/// it keeps.
async fn exercise_server<B: Backend + Debug>(store: ServerStore<B>, key: &Key) {
    let mut secrets = Secrets::new(key);
    let store = Arc::new(store);
    let loaded = exercise(Arc::clone(&store), &mut secrets).await;
    let id = loaded.id().expect("a server-side session has an id");
    secrets.assert_hidden("the id", id);
    let record = store
        .backend()
        .load(id, UnixTime::now(), 1 << 20)
        .await
        .unwrap()
        .expect("the record is there");
    secrets.assert_hidden("a record", &record);
    secrets.assert_hidden("the backend", store.backend());
}

#[tokio::test]
async fn cookie_store_debug_shows_no_session_data_or_key() {
    for store in [CookieStore::new, CookieStore::signed] {
        let key = Key::generate();
        let mut secrets = Secrets::new(&key);
        let loaded = exercise(Arc::new(store(key)), &mut secrets).await;
        assert!(loaded.id().is_none());
    }
}

#[tokio::test]
async fn memory_store_debug_shows_no_session_data_ids_or_key() {
    let key = Key::generate();
    exercise_server(MemoryStore::new(key.clone()), &key).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_debug_shows_no_session_data_ids_or_key() {
    let (tmp, key) = (TempDir::new(), Key::generate());
    exercise_server(FileStore::open(tmp.store(), key.clone()).unwrap(), &key).await;
}

#[tokio::test]
async fn redis_store_debug_shows_no_session_data_ids_or_key() {
    let server = RedisServer::start();
    let key = Key::generate();
    let store = RedisStore::connect(&server.url(), key.clone())
        .await
        .unwrap();
    exercise_server(store, &key).await;
}

#[test]
fn session_id_debug_shows_neither_text_nor_bytes() {
    let id = SessionId::generate();
    let mut secrets = Secrets(Vec::new());
    secrets.add_id(&id);
    secrets.assert_hidden("a session id", &id);
    secrets.assert_hidden("an optional id", &Some(&id));
}

/// An owned session, for the owner cases.
#[derive(Session, Serialize, Deserialize, Default, Clone, Debug)]
#[session(name = "owned")]
struct Owned {
    #[session(owner)]
    user: Option<String>,
}

#[tokio::test]
async fn owners_handles_and_epochs_debug_shows_no_owner_or_handle() {
    use sessions::store::{Epochs, MemoryBackend, OwnerId};

    let owner = OwnerId::new("owned", MARKER);
    let mut secrets = Secrets(Vec::new());
    secrets.add("owner digest", owner.to_hex());
    secrets.add_bytes("owner bytes", owner.as_bytes());
    secrets.add("owner text", MARKER.to_owned());
    secrets.assert_hidden("an owner id", &owner);

    let key = Key::generate();
    let store = Arc::new(MemoryStore::new(key.clone()));
    let sessions = Sessions::new(Arc::clone(&store));
    let req = request(&sessions, None);
    let session = OwnedSession::load(&req).await.unwrap();
    session.set_user(Some(MARKER.to_owned()));
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.unwrap();
    let listed = session.owner_sessions().await.unwrap();
    assert_eq!(listed.len(), 1);
    secrets.add("handle", listed[0].handle.to_string());
    secrets.assert_hidden("a session handle", &listed[0].handle);
    // The data is the app's to show; the handle and the owner digest are
    // not shown by the listing's own fields.
    let mut without_data = Secrets(secrets.0.clone());
    without_data.0.retain(|(what, _)| *what != "owner text");
    without_data.assert_hidden("a listed session", &listed[0]);
    let id = listed_id(&store, &res).await.expect("the cookie loads");
    let record = store.backend().load(&id, UnixTime::now(), 1 << 16).await;
    secrets.assert_hidden("an owned record", &record.unwrap().expect("live"));

    let epochs = Epochs::new(MemoryBackend::new(10), std::time::Duration::ZERO);
    epochs.raise(&owner).await.unwrap();
    secrets.assert_hidden("epochs", &epochs);
    secrets.add("key", key.to_text());
    secrets.assert_hidden(
        "a cookie store with epochs",
        &CookieStore::new(key).with_epochs(epochs),
    );
}

/// The id behind the `owned` cookie `res` set.
async fn listed_id(store: &MemoryStore, res: &http::Response<()>) -> Option<SessionId> {
    let line = res.headers()["set-cookie"].to_str().unwrap();
    let value = line.split(';').next()?.strip_prefix("owned=")?;
    let loaded = Store::load(store, "owned", value, UnixTime::now())
        .await
        .ok()??;
    loaded.id().cloned()
}
