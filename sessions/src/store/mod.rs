//! Where sessions live: the stores, and the [`Backend`] trait for your own.
//!
//! An application picks a store and hands it to
//! [`Sessions::new`](crate::Sessions::new) or
//! [`with_store`](crate::Sessions::with_store): [`CookieStore`],
//! [`FileStore`], [`MemoryStore`], `RedisStore` (feature `redis`),
//! `PostgresStore` (feature `postgres`), a
//! [`ServerStore`] over a [`Backend`] of its own, or an `Arc` of any of
//! them. The registry talks to all of them through [`Store`], which is
//! sealed: a custom store is a [`Backend`], whose contract is small and
//! checked by the `sessions-conformance` crate.
//!
//! A server-side store keeps each session as a [`Record`] under a random
//! [`SessionId`]; the cookie carries only the id, sealed.
//!
//! ```
//! use std::sync::Arc;
//! use sessions::store::{Store, UnixTime};
//! use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = Arc::new(MemoryStore::new(Key::generate()));
//! let sessions = Sessions::new(Arc::clone(&store));
//! let mut req = http::Request::new(());
//! sessions.attach(&mut req);
//! MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
//! let mut res = http::Response::new(());
//! sessions::save(&req, &mut res).await?;
//!
//! // The cookie carries a sealed id; the record is on the server.
//! let line = res.headers()["set-cookie"].to_str().unwrap();
//! let value = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
//! let loaded = store.load("user", value, UnixTime::now()).await?.unwrap();
//! assert!(loaded.id().is_some() && store.backend().len() == 1);
//! // Under another cookie name the same value loads nothing.
//! assert!(store.load("admin", value, UnixTime::now()).await?.is_none());
//! # Ok::<(), sessions::Error>(()) }).unwrap();
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;

mod backend;
mod cookie;
mod epochs;
mod file;
mod memory;
mod owner;
#[cfg(feature = "postgres")]
mod postgres;
mod protocol;
mod reaper;
mod record;
#[cfg(feature = "redis")]
mod redis;
mod server;
#[cfg(any(feature = "redis", feature = "postgres"))]
mod timed_out;

pub use crate::codec::{Mode, Times, UnixTime};
pub use crate::id::{ID_LEN, ID_TEXT_LEN, SessionId};
pub use backend::{Backend, Update};
pub use cookie::CookieStore;
pub use epochs::Epochs;
pub use file::{FileBackend, FileStore, UnsafeDir};
pub use memory::{DEFAULT_MEMORY_CAPACITY, MemoryBackend, MemoryStore};
pub use owner::OwnerId;
#[cfg(feature = "postgres")]
pub use postgres::{
    DEFAULT_POSTGRES_TABLE, MAX_POSTGRES_TABLE_LEN, PostgresBackend, PostgresOptions, PostgresStore,
};
pub(crate) use protocol::{OwnedRecord, Save, SaveOutcome, Saved};
pub use record::Record;
#[cfg(feature = "redis")]
pub use redis::{
    DEFAULT_REDIS_PREFIX, MAX_REDIS_PREFIX_LEN, RedisBackend, RedisOptions, RedisStore,
};
pub use server::{DEFAULT_MAX_RECORD_LEN, ServerStore};

/// A boxed, `Send` future: what [`Store`]'s methods return, so that the
/// registry can hold any store as `Arc<dyn Store>`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A session a store found behind a cookie, as [`Store::load`] gives it.
///
/// Only stores make one. A test reads what a cookie leads to through it:
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, Store, UnixTime};
/// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// # let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
/// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
/// # let mut req = http::Request::new(());
/// # sessions.attach(&mut req);
/// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
/// # let mut res = http::Response::new(());
/// # sessions::save(&req, &mut res).await?;
/// # let line = res.headers()["set-cookie"].to_str().unwrap();
/// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
/// // `store` saved a session whose cookie value is `cookie`.
/// let now = UnixTime::now();
/// let loaded = store.load("user", cookie, now).await?.unwrap();
/// let record = store.backend().load(loaded.id().unwrap(), now, 1024).await?.unwrap();
/// assert_eq!((loaded.payload(), loaded.times()), (&record.payload[..], record.times));
/// assert!(loaded.times().expires_at > now + Duration::from_secs(3600));
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
///
/// `Debug` shows the payload's length, the times and whether there is an
/// id, never the payload or the id:
///
/// ```
/// # use sessions::store::{Store, UnixTime};
/// # use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// # let store = std::sync::Arc::new(CookieStore::new(Key::generate()));
/// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
/// # let mut req = http::Request::new(());
/// # sessions.attach(&mut req);
/// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
/// # let mut res = http::Response::new(());
/// # sessions::save(&req, &mut res).await?;
/// # let line = res.headers()["set-cookie"].to_str().unwrap();
/// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
/// let loaded = store.load("user", cookie, UnixTime::now()).await?.unwrap();
/// let debug = format!("{loaded:?}");
/// let len = loaded.payload().len();
/// assert!(debug.starts_with(&format!("Loaded {{ payload_len: {len}, times: Times {{")));
/// assert!(debug.ends_with("stale_key: false, id: None, version: 0, owned: false }"));
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The encoded session, exactly as the registry saved it.
    pub(crate) payload: Vec<u8>,
    /// When the session was created, last saved, and when it expires.
    pub(crate) times: Times,
    /// The cookie was opened with an old key: save again to re-seal it
    /// with the primary.
    pub(crate) stale_key: bool,
    /// The server-side id, for stores that keep sessions on a server.
    pub(crate) id: Option<SessionId>,
    /// The record's version on a server-side store; 0 in a cookie.
    pub(crate) version: u64,
    /// The record's owner on a server-side store.
    pub(crate) owner: Option<OwnerId>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("payload_len", &self.payload.len())
            .field("times", &self.times)
            .field("stale_key", &self.stale_key)
            // `SessionId`'s own `Debug` hides the id.
            .field("id", &self.id)
            .field("version", &self.version)
            .field("owned", &self.owner.is_some())
            .finish()
    }
}

impl Loaded {
    /// A loaded session sealed with the primary key.
    pub(crate) fn new(payload: Vec<u8>, times: Times) -> Self {
        Self {
            payload,
            times,
            stale_key: false,
            id: None,
            version: 0,
            owner: None,
        }
    }

    /// The encoded session, exactly as the registry saved it.
    ///
    /// ```
    /// use sessions::store::{Store, UnixTime};
    /// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    /// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
    /// # let mut res = http::Response::new(());
    /// # sessions::save(&req, &mut res).await?;
    /// # let line = res.headers()["set-cookie"].to_str().unwrap();
    /// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    /// // `store` saved a session whose cookie value is `cookie`.
    /// let loaded = store.load("user", cookie, UnixTime::now()).await?.unwrap();
    /// assert!(!loaded.payload().is_empty());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// When the session was created, last saved, and when it expires.
    ///
    /// ```
    /// use sessions::store::{Store, UnixTime};
    /// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    /// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
    /// # let mut res = http::Response::new(());
    /// # sessions::save(&req, &mut res).await?;
    /// # let line = res.headers()["set-cookie"].to_str().unwrap();
    /// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    /// // `store` saved a session whose cookie value is `cookie`, just now.
    /// let now = UnixTime::now();
    /// let times = store.load("user", cookie, now).await?.unwrap().times();
    /// assert!(times.created_at <= now && now < times.expires_at);
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn times(&self) -> Times {
        self.times
    }

    /// The id the cookie carried, for stores that keep sessions on a
    /// server; `None` for a cookie store.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Store, UnixTime};
    /// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = std::sync::Arc::new(CookieStore::new(Key::generate()));
    /// let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// let mut req = http::Request::new(());
    /// sessions.attach(&mut req);
    /// MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
    /// let mut res = http::Response::new(());
    /// sessions::save(&req, &mut res).await?;
    /// let line = res.headers()["set-cookie"].to_str().unwrap();
    /// let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    ///
    /// let loaded = store.load("user", cookie, UnixTime::now()).await?.unwrap();
    /// assert!(loaded.id().is_none(), "the whole session is in the cookie");
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<&SessionId> {
        self.id.as_ref()
    }

    /// The version of the record the cookie led to, on a server-side
    /// store: 1 for a new session, one more after each save. Always 0 for
    /// a cookie store, which keeps no record.
    ///
    /// ```
    /// use sessions::store::{Store, UnixTime};
    /// use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    /// let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// let mut cookie = None;
    /// for n in 1..=3 {
    ///     let mut req = http::Request::new(());
    ///     if let Some(value) = &cookie {
    ///         let header = format!("user={value}").parse().unwrap();
    ///         req.headers_mut().insert(http::header::COOKIE, header);
    ///     }
    ///     sessions.attach(&mut req);
    ///     MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &n)?;
    ///     let mut res = http::Response::new(());
    ///     sessions::save(&req, &mut res).await?;
    ///     let line = res.headers()["set-cookie"].to_str().unwrap();
    ///     let value = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    ///     cookie = Some(value.to_owned());
    ///
    ///     let loaded = store.load("user", value, UnixTime::now()).await?.unwrap();
    ///     assert_eq!(loaded.version(), n, "one version per save");
    /// }
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// The contract between the session registry and a place that keeps
/// sessions. Sealed: the stores of this crate implement it, and a custom
/// server-side store is a [`Backend`] inside a [`ServerStore`].
///
/// Name it to accept any store (`fn serve(store: impl Store)`). Saving
/// belongs to the registry; [`load`](Self::load) and
/// [`delete`](Self::delete) are public so that tests (the
/// `sessions-conformance` suite among them) can see what a cookie leads
/// to at a chosen instant, and end it.
///
/// Every store guarantees:
///
/// - **load** returns `Ok(None)` for any cookie value that does not lead to
///   a live session: malformed, tampered, sealed for another cookie name or
///   store, sealed with an unknown key, expired, or pointing at a record
///   that is gone. It never adopts anything the client chose. It returns
///   `Err` only when the store itself failed (I/O, network) or found a
///   record it must not use (written under another id, over the size
///   limit): the request then fails closed rather than overwriting a
///   session it could not read.
/// - **save** writes the payload so that a later `load` of the returned
///   cookie value gives back exactly `payload` and `times` until
///   `times.expires_at`. With `renew`, the session is written under a new
///   identity and the previous one stops loading. When the previous
///   session was deleted meanwhile (a logout in a concurrent request), save
///   writes nothing and the registry sends a removal cookie: a deleted
///   session never comes back.
/// - **delete** makes the loaded session stop loading, now and forever.
/// - The store's [`kind`](Store::kind) is bound into every cookie it seals,
///   so a cookie of one store never opens in another.
///
/// ```
/// use sessions::{CookieStore, Key, MemoryStore};
/// use sessions::store::{Store, UnixTime};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let key = Key::generate();
/// let stores: [Box<dyn Store>; 2] =
///     [Box::new(CookieStore::new(key.clone())), Box::new(MemoryStore::new(key))];
/// assert_eq!(stores.each_ref().map(|s| s.kind()), ["cookie", "memory"]);
///
/// // A cookie value that leads to no live session is `Ok(None)`, never an error.
/// for store in &stores {
///     assert!(store.load("user", "forged", UnixTime::now()).await?.is_none());
/// }
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub trait Store: protocol::Sealed {
    /// A short name of the kind of store (`"cookie"`, `"files"`...), bound
    /// into every cookie the store seals.
    ///
    /// ```
    /// use sessions::store::Store;
    /// use sessions::{CookieStore, Key, MemoryStore};
    ///
    /// assert_eq!(CookieStore::new(Key::generate()).kind(), "cookie");
    /// assert_eq!(MemoryStore::new(Key::generate()).kind(), "memory");
    /// ```
    fn kind(&self) -> &'static str;

    /// Loads the session behind the cookie value `cookie` of the cookie
    /// `name`, judging expiry at `now`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Store, UnixTime};
    /// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    /// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
    /// # let mut res = http::Response::new(());
    /// # sessions::save(&req, &mut res).await?;
    /// # let line = res.headers()["set-cookie"].to_str().unwrap();
    /// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    /// // `store` saved a session whose cookie value is `cookie`, for 30 days.
    /// let now = UnixTime::now();
    /// assert!(store.load("user", cookie, now).await?.is_some());
    /// let later = now + Duration::from_secs(31 * 24 * 3600);
    /// assert!(store.load("user", cookie, later).await?.is_none(), "expired by then");
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    fn load<'a>(
        &'a self,
        name: &'a str,
        cookie: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Loaded>>>;

    /// Deletes a loaded session; deleting one that is gone is not an error.
    ///
    /// ```
    /// use sessions::store::{Store, UnixTime};
    /// # use sessions::{Key, MapSession, MemoryStore, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let store = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    /// # let sessions = Sessions::new(std::sync::Arc::clone(&store));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// # MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &1)?;
    /// # let mut res = http::Response::new(());
    /// # sessions::save(&req, &mut res).await?;
    /// # let line = res.headers()["set-cookie"].to_str().unwrap();
    /// # let cookie = line.split(';').next().unwrap().strip_prefix("user=").unwrap();
    /// // `store` saved a session whose cookie value is `cookie`.
    /// let loaded = store.load("user", cookie, UnixTime::now()).await?.unwrap();
    /// store.delete("user", &loaded).await?;
    /// assert!(store.load("user", cookie, UnixTime::now()).await?.is_none());
    /// store.delete("user", &loaded).await?; // again: fine
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    fn delete<'a>(&'a self, name: &'a str, loaded: &'a Loaded) -> BoxFuture<'a, Result<()>>;
}

/// A shared store is a store: keep an `Arc` to call store-specific methods
/// (`cleanup_expired`, `backend`) while the registry uses it.
///
/// ```
/// use std::sync::Arc;
/// use sessions::{Key, MemoryStore, Sessions};
///
/// let store = Arc::new(MemoryStore::new(Key::generate()));
/// let sessions = Sessions::new(Arc::clone(&store));
/// assert!(store.backend().is_empty());
/// # drop(sessions);
/// ```
impl<S: Store> Store for std::sync::Arc<S> {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }

    fn load<'a>(
        &'a self,
        name: &'a str,
        cookie: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Loaded>>> {
        (**self).load(name, cookie, now)
    }

    fn delete<'a>(&'a self, name: &'a str, loaded: &'a Loaded) -> BoxFuture<'a, Result<()>> {
        (**self).delete(name, loaded)
    }
}
