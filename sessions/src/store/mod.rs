//! Where sessions live: the [`Store`] trait and its implementations.
//!
//! The registry talks to every store through [`Store`]: it hands over the
//! cookie value that came in and gets back the session's encoded payload,
//! and it hands over a payload to save and gets back the cookie value to
//! send. How the payload is kept (sealed in the cookie itself, or on a
//! server under an id that the cookie carries) is the store's business.
//!
//! ```
//! use std::time::Duration;
//! use sessions::{Key, MemoryStore};
//! use sessions::store::{Save, Store, Times, UnixTime};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new(Key::generate());
//! let now = UnixTime::now();
//! let times = Times::fresh(now, Duration::from_secs(60));
//!
//! let saved = store.save(Save::new("user", b"payload", times)).await?.unwrap();
//! // `saved.value` is what goes into the cookie `user`; it loads the session back.
//! let loaded = store.load("user", &saved.value, now).await?.unwrap();
//! assert_eq!((loaded.payload.as_slice(), loaded.times), (&b"payload"[..], times));
//! // Under another cookie name the same value loads nothing.
//! assert!(store.load("admin", &saved.value, now).await?.is_none());
//! # Ok::<(), sessions::Error>(()) }).unwrap();
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;

mod backend;
mod cookie;
mod file;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod server;

pub use crate::codec::Mode;
pub use crate::codec::{Times, UnixTime};
pub use crate::id::{ID_LEN, ID_TEXT_LEN, SessionId};
pub use backend::{Backend, Record};
pub use cookie::CookieStore;
pub use file::{FileBackend, FileStore};
pub use memory::{DEFAULT_MEMORY_CAPACITY, MemoryBackend, MemoryStore};
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_REDIS_PREFIX, RedisBackend, RedisStore};
pub use server::{DEFAULT_MAX_RECORD_LEN, ServerStore};

/// A boxed, `Send` future: what [`Store`]'s methods return, so that the
/// trait stays object safe.
///
/// ```
/// use sessions::store::BoxFuture;
///
/// fn answer() -> BoxFuture<'static, sessions::Result<u32>> {
///     Box::pin(async { Ok(42) })
/// }
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(runtime.block_on(answer())?, 42);
/// # Ok::<(), sessions::Error>(())
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A session a store found behind a cookie.
///
/// ```
/// use sessions::store::{Times, UnixTime};
/// use sessions::store::Loaded;
/// use std::time::Duration;
///
/// let times = Times::fresh(UnixTime::now(), Duration::from_secs(60));
/// let loaded = Loaded::new(vec![0xa0], times);
/// assert_eq!(loaded.payload, [0xa0]);
/// assert!(!loaded.stale_key);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Loaded {
    /// The encoded session, exactly as it was given to [`Store::save`].
    pub payload: Vec<u8>,
    /// When the session was created, last saved, and when it expires.
    pub times: Times,
    /// The cookie was opened with an old key: save again to re-seal it
    /// with the primary.
    pub stale_key: bool,
    /// The server-side id, for stores that keep sessions on a server.
    pub id: Option<SessionId>,
}

impl Loaded {
    /// A loaded session sealed with the primary key.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// assert_eq!(Loaded::new(Vec::new(), t).times, t);
    /// ```
    #[must_use]
    pub fn new(payload: Vec<u8>, times: Times) -> Self {
        Self {
            payload,
            times,
            stale_key: false,
            id: None,
        }
    }
}

/// What [`Store::save`] is asked to write.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Loaded, Save, Times, UnixTime};
///
/// let first = Times::fresh(UnixTime::from_secs(1_000), Duration::from_secs(60));
/// let loaded = Loaded::new(vec![0xa0], first);
/// // Saving the loaded session again, at login: same data, new identity.
/// let times = first.reissued(UnixTime::from_secs(1_030), Duration::from_secs(60));
/// let save = Save::new("user", &[0xa0], times).with_previous(&loaded).with_renew(true);
/// assert_eq!(save.name, "user");
/// assert_eq!(save.times.created_at, save.previous.unwrap().times.created_at);
/// assert!(save.renew);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Save<'a> {
    /// The session's cookie name.
    pub name: &'a str,
    /// The encoded session.
    pub payload: &'a [u8],
    /// Its times: `created_at` kept from the first save, `issued_at` now.
    pub times: Times,
    /// What was loaded for this session in this request, if anything.
    pub previous: Option<&'a Loaded>,
    /// The session must get a new identity: write it as new, then forget
    /// `previous`.
    pub renew: bool,
}

impl<'a> Save<'a> {
    /// A save of a new session: no previous state, no renew.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let times = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(60));
    /// let save = Save::new("user", &[0xa0], times);
    /// assert!(save.previous.is_none() && !save.renew);
    /// ```
    #[must_use]
    pub fn new(name: &'a str, payload: &'a [u8], times: Times) -> Self {
        Self {
            name,
            payload,
            times,
            previous: None,
            renew: false,
        }
    }

    /// Builds on what was loaded for this session.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let times = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(60));
    /// let loaded = Loaded::new(vec![0xa0], times);
    /// assert!(Save::new("user", &[0xa0], times).with_previous(&loaded).previous.is_some());
    /// ```
    #[must_use]
    pub fn with_previous(mut self, previous: &'a Loaded) -> Self {
        self.previous = Some(previous);
        self
    }

    /// Asks for a new identity.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let times = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(60));
    /// assert!(Save::new("user", &[], times).with_renew(true).renew);
    /// ```
    #[must_use]
    pub fn with_renew(mut self, renew: bool) -> Self {
        self.renew = renew;
        self
    }
}

/// What a finished [`Store::save`] gives back.
///
/// ```
/// use std::time::Duration;
/// use sessions::{CookieStore, Key, MemoryStore};
/// use sessions::store::{Save, Store, Times, UnixTime};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let key = Key::generate();
/// let times = Times::fresh(UnixTime::now(), Duration::from_secs(60));
/// let save = Save::new("user", &[0xa0], times);
///
/// // A cookie store puts the whole session into the value...
/// let in_cookie = CookieStore::new(key.clone()).save(save).await?.unwrap();
/// assert!(in_cookie.loaded.id.is_none());
/// // ...a server-side store only a sealed id.
/// let on_server = MemoryStore::new(key).save(save).await?.unwrap();
/// assert!(on_server.loaded.id.is_some());
/// assert_eq!(on_server.loaded.payload, [0xa0]);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Saved {
    /// The cookie value that loads the session.
    pub value: String,
    /// The session as a later save in the same request should see it.
    pub loaded: Loaded,
}

impl Saved {
    /// A save that produced `value` for `loaded`.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// let saved = Saved::new("v".into(), Loaded::new(Vec::new(), t));
    /// assert_eq!(saved.value, "v");
    /// ```
    #[must_use]
    pub fn new(value: String, loaded: Loaded) -> Self {
        Self { value, loaded }
    }
}

/// The contract between the session registry and a place that keeps
/// sessions.
///
/// Implementations must guarantee:
///
/// - **load** returns `Ok(None)` for any cookie value that does not lead to
///   a live session: malformed, tampered, sealed for another cookie name or
///   store, sealed with an unknown key, expired, or pointing at a record
///   that is gone. It never adopts anything the client chose. It returns
///   `Err` only when the store itself failed (I/O, network): the request
///   then fails closed rather than overwriting a session it could not read.
/// - **save** writes the payload so that a later `load` of the returned
///   cookie value gives back exactly `payload` and `times` until
///   `times.expires_at`. With `renew`, the session is written under a new
///   identity and the previous one stops loading. When the previous
///   session was deleted meanwhile (a logout in a concurrent request), save
///   returns `Ok(None)` and writes nothing: a deleted session never comes
///   back.
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
pub trait Store: Send + Sync + 'static {
    /// A short name of the kind of store (`"cookie"`, `"files"`...).
    fn kind(&self) -> &'static str;

    /// Loads the session behind the cookie value `cookie` of the cookie `name`.
    fn load<'a>(
        &'a self,
        name: &'a str,
        cookie: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Loaded>>>;

    /// Saves a session and returns the cookie value that loads it, or
    /// `None` when the session was deleted meanwhile.
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<Option<Saved>>>;

    /// Deletes a loaded session.
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

    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<Option<Saved>>> {
        (**self).save(save)
    }

    fn delete<'a>(&'a self, name: &'a str, loaded: &'a Loaded) -> BoxFuture<'a, Result<()>> {
        (**self).delete(name, loaded)
    }
}
