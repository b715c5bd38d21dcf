//! `MapSession`: an untyped session of string keys, like gorilla's `Values`.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::SystemTime;

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::handle::{Fields, Handle, load_with_config};
use crate::options::SessionConfig;

/// The data of a [`MapSession`].
#[derive(Default, Serialize, Deserialize)]
struct Map {
    values: BTreeMap<String, Value>,
    flashes: Vec<Value>,
}

/// Two requests that save one `MapSession` at once merge key by key, and
/// their flashes item by item.
const MAP_FIELDS: Fields<Map> = Fields {
    flash: &["flashes"],
    keyed: &["values"],
    owner: |_| None,
};

/// An untyped session: string keys to any serde value, plus flashes.
///
/// Useful for migrations and for data whose shape is not known at compile
/// time. It runs on the same machinery as typed sessions.
///
/// ```
/// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
///
/// const PREFS: SessionConfig = SessionConfig::new("prefs");
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
///
/// let prefs = MapSession::load(&req, PREFS).await?;
/// prefs.insert("lang", &"en")?;
/// prefs.add_flash(&"saved")?;
/// assert_eq!(prefs.get::<String>("lang")?, Some("en".to_owned()));
/// assert_eq!(prefs.flashes::<String>().await?, ["saved"]);
/// assert!(prefs.flashes::<String>().await?.is_empty()); // read once
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct MapSession(Handle<Map>);

impl MapSession {
    /// Loads the map session configured by `config` for this request. A
    /// `config` that breaks a rule of [`SessionConfig::check`] is
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig).
    ///
    /// ```
    /// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// let mut req = http::Request::new(());
    /// sessions.attach(&mut req);
    ///
    /// let prefs = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// prefs.insert("lang", "en")?;
    /// // Loaded again in the same request: the same state.
    /// let again = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// assert_eq!(again.get::<String>("lang")?.as_deref(), Some("en"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn load<B>(
        req: &http::Request<B>,
        config: SessionConfig,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<B> {
        let load = config
            .check()
            .map(|()| load_with_config::<Map>(req.extensions(), req.headers(), config, MAP_FIELDS));
        async move { load?.await.map(Self) }
    }

    /// [`load`](Self::load) from request parts.
    ///
    /// ```
    /// use sessions::{CookieStore, DEFAULT_MAP_CONFIG, Key, MapSession, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut req = http::Request::new(());
    /// Sessions::new(CookieStore::new(Key::generate())).attach(&mut req);
    /// let (parts, _body) = req.into_parts();
    ///
    /// let session = MapSession::load_parts(&parts, DEFAULT_MAP_CONFIG).await?;
    /// assert!(session.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn load_parts(
        parts: &http::request::Parts,
        config: SessionConfig,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<> {
        let load = config.check().map(|()| {
            load_with_config::<Map>(&parts.extensions, &parts.headers, config, MAP_FIELDS)
        });
        async move { load?.await.map(Self) }
    }

    /// The value under `key`, decoded as `T`.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let prefs = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// prefs.insert("lang", "en")?;
    /// assert_eq!(prefs.get::<String>("lang")?, Some("en".to_owned()));
    /// assert_eq!(prefs.get::<String>("theme")?, None);
    /// assert!(matches!(prefs.get::<u32>("lang"), Err(sessions::Error::Decode(_))));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.0
            .with(|map| map.values.get(key).map(Value::deserialized).transpose())
            .map_err(|e| Error::Decode(Box::new(e)))
    }

    /// Stores `value` under `key`.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let cart = MapSession::load(&req, SessionConfig::new("cart")).await?;
    /// cart.insert("items", &[3u32, 5])?; // any serde value
    /// cart.insert("items", &[8u32])?; // replaces
    /// assert_eq!(cart.get::<Vec<u32>>("items")?, Some(vec![8]));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn insert<T: Serialize + ?Sized>(&self, key: impl Into<String>, value: &T) -> Result<()> {
        let value = Value::serialized(value).map_err(|e| Error::Encode(Box::new(e)))?;
        self.0.update(|map| map.values.insert(key.into(), value));
        Ok(())
    }

    /// Removes `key`; whether it was there.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let prefs = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// assert!(!prefs.remove("lang"));
    ///
    /// // Removing nothing changed nothing: there is nothing to save.
    /// let mut res = http::Response::new(());
    /// prefs.save(&mut res).await?;
    /// assert!(!res.headers().contains_key("set-cookie"));
    ///
    /// prefs.insert("lang", "en")?;
    /// assert!(prefs.remove("lang"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn remove(&self, key: &str) -> bool {
        if !self.contains_key(key) {
            return false;
        }
        self.0.update(|map| map.values.remove(key).is_some())
    }

    /// Whether `key` holds a value.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let prefs = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// prefs.insert("theme", &None::<String>)?; // a value, even if it is `None`
    /// assert!(prefs.contains_key("theme"));
    /// assert!(!prefs.contains_key("lang"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.with(|map| map.values.contains_key(key))
    }

    /// Queues a read-once message.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
    /// session.add_flash("Saved")?;
    /// session.add_flash("Signed in")?;
    /// assert_eq!(session.flashes::<String>().await?, ["Saved", "Signed in"]); // in order
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn add_flash<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let value = Value::serialized(value).map_err(|e| Error::Encode(Box::new(e)))?;
        self.0.update(|map| map.flashes.push(value));
        Ok(())
    }

    /// Takes every queued message; they are gone after this.
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
    /// session.add_flash(&(404, "Not found"))?;
    /// assert_eq!(session.flashes::<(u16, String)>().await?, [(404, "Not found".to_owned())]);
    /// assert!(session.flashes::<(u16, String)>().await?.is_empty()); // read once
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn flashes<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let taken = self.0.take_flash(|map| &mut map.flashes).await?;
        taken
            .iter()
            .map(|v| v.deserialized().map_err(|e| Error::Decode(Box::new(e))))
            .collect()
    }

    /// Ends the session (see [`Handle::destroy`]).
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
    /// session.insert("user_id", &7)?;
    /// session.destroy();
    /// assert!(!session.contains_key("user_id"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn destroy(&self) {
        self.0.destroy();
    }

    /// New identity, same data (see [`Handle::renew`]).
    ///
    /// ```
    /// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    /// # const SESSION: SessionConfig = SessionConfig::new("session");
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// # let mut first = http::Request::new(());
    /// # sessions.attach(&mut first);
    /// # MapSession::load(&first, SESSION).await?.insert("cart", &[3])?;
    /// # let mut before = http::Response::new(());
    /// # sessions::save(&first, &mut before).await?;
    /// # let req = follow_up(&sessions, &before);
    /// // `req` carries the cookie that the response `before` set.
    /// let session = MapSession::load(&req, SESSION).await?;
    /// session.renew(); // at login
    /// session.insert("user_id", &7)?;
    /// let mut after = http::Response::new(());
    /// session.save(&mut after).await?;
    ///
    /// let renewed = MapSession::load(&follow_up(&sessions, &after), SESSION).await?;
    /// assert!(renewed.contains_key("cart") && renewed.contains_key("user_id"));
    /// assert!(MapSession::load(&follow_up(&sessions, &before), SESSION).await?.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn renew(&self) {
        self.0.renew();
    }

    /// "Remember me" (see [`Handle::set_persistent`]).
    ///
    /// ```
    /// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
    /// session.insert("user_id", &7)?;
    /// session.set_persistent(false); // "remember me" was not ticked
    ///
    /// let mut res = http::Response::new(());
    /// session.save(&mut res).await?;
    /// assert!(!res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn set_persistent(&self, persistent: bool) {
        self.0.set_persistent(persistent);
    }

    /// Whether the session has never been stored (see [`Handle::is_new`]).
    ///
    /// ```
    /// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// let mut req = http::Request::builder().header("cookie", "session=forged").body(())?;
    /// sessions.attach(&mut req);
    ///
    /// // A cookie that does not open is a fresh session, not an error.
    /// let session = MapSession::load(&req, SessionConfig::new("session")).await?;
    /// assert!(session.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.0.is_new()
    }

    /// When the stored session expires (see [`Handle::expires_at`]).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    ///
    /// const HOURLY: SessionConfig =
    ///     SessionConfig::new("hourly").with_max_age(Duration::from_hours(1));
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut first = http::Request::new(());
    /// # sessions.attach(&mut first);
    /// let session = MapSession::load(&first, HOURLY).await?;
    /// assert_eq!(session.expires_at(), None); // new
    /// session.insert("seen", &true)?;
    /// # let mut res = http::Response::new(());
    /// # session.save(&mut res).await?;
    /// # let next = follow_up(&sessions, &res);
    ///
    /// // Saved, then loaded on the next request:
    /// let expires = MapSession::load(&next, HOURLY).await?.expires_at().unwrap();
    /// assert!(expires <= SystemTime::now() + Duration::from_hours(1));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.0.expires_at()
    }

    /// Saves this session alone into `res`.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// let mut req = http::Request::new(());
    /// sessions.attach(&mut req);
    /// let prefs = MapSession::load(&req, SessionConfig::new("prefs")).await?;
    /// let other = MapSession::load(&req, SessionConfig::new("other")).await?;
    /// prefs.insert("lang", "en")?;
    /// other.insert("x", &1)?;
    ///
    /// let mut res = http::Response::new(());
    /// prefs.save(&mut res).await?; // `other` is left for the batch save
    /// let cookies: Vec<_> = res.headers().get_all("set-cookie").iter().collect();
    /// assert_eq!(cookies.len(), 1);
    /// assert!(cookies[0].to_str().unwrap().starts_with("prefs="));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn save<B>(&self, res: &mut http::Response<B>) -> Result<()> {
        self.0.save(res).await
    }
}

impl fmt::Debug for MapSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MapSession").field(&self.0).finish()
    }
}
