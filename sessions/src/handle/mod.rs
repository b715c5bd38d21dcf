//! `Handle<T>`: one session of one request, typed.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::UnixTime;
use crate::data::SessionData;
use crate::error::Result;
use crate::merge::MergeSpec;
use crate::options::SessionConfig;
use crate::registry::Registry;
use crate::state::State;
use crate::store::Store;

mod flash;
mod owners;
mod save;

pub use owners::{OwnedSession, SessionHandle};

/// `T::CONFIG`, checked when the build evaluates this constant.
struct Checked<T>(std::marker::PhantomData<T>);

impl<T: SessionData> Checked<T> {
    const CONFIG: SessionConfig = T::CONFIG.checked();
}

/// One session of one request, typed by its data `T`.
///
/// Cheap to clone: clones share the state, and every load of the same
/// session in one request returns a clone. Generated session types
/// (`UserSession`) dereference to a `Handle<User>`.
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
///
/// #[derive(Default, Serialize, Deserialize, Clone, PartialEq, Debug)]
/// struct Visits { count: u32 }
/// impl SessionData for Visits {
///     const CONFIG: SessionConfig = SessionConfig::new("visits");
/// }
///
/// # tokio_test_block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
///
/// let visits = Handle::<Visits>::load(&req).await?;
/// assert!(visits.is_new());
/// visits.update(|v| v.count += 1);
/// let again = Handle::<Visits>::load(&req).await?; // same state
/// assert_eq!(again.get(), Visits { count: 1 });
///
/// let mut res = http::Response::new(());
/// sessions::save(&req, &mut res).await?;
/// assert_eq!(res.headers().get_all("set-cookie").iter().count(), 1);
/// # Ok::<(), sessions::Error>(()) });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub struct Handle<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    config: SessionConfig,
    merge: MergeSpec,
    /// The owner's text of a session's data ([`SessionData::owner`]).
    owner: fn(&T) -> Option<String>,
    store: Arc<dyn Store>,
    state: Mutex<State<T>>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T: SessionData> Handle<T> {
    /// Loads this request's session of type `T`.
    ///
    /// Takes everything it needs from the request before its first `.await`,
    /// so the future is `Send + 'static` whatever the body type.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// use sessions::{CookieStore, Handle, Key, Sessions};
    /// # use sessions::{SessionConfig, SessionData};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// let mut req = http::Request::new(());
    /// sessions.attach(&mut req);
    ///
    /// // The future borrows nothing from the request: it can be spawned.
    /// let visits = tokio::spawn(Handle::<Visits>::load(&req)).await.unwrap()?;
    /// assert!(visits.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn load<B>(
        req: &http::Request<B>,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<T, B> {
        load_with_config(
            req.extensions(),
            req.headers(),
            Checked::<T>::CONFIG,
            Self::FIELDS,
        )
    }

    /// [`load`](Self::load) from request parts (for extractors).
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// use sessions::{CookieStore, Handle, Key, Sessions};
    /// # use sessions::{SessionConfig, SessionData};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut req = http::Request::new(());
    /// Sessions::new(CookieStore::new(Key::generate())).attach(&mut req);
    /// let (parts, _body) = req.into_parts();
    ///
    /// let visits = Handle::<Visits>::load_parts(&parts).await?;
    /// visits.update(|v| v.count += 1);
    /// let again = Handle::<Visits>::load_parts(&parts).await?; // same state
    /// assert_eq!(again.with(|v| v.count), 1);
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn load_parts(
        parts: &http::request::Parts,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<T> {
        load_with_config(
            &parts.extensions,
            &parts.headers,
            Checked::<T>::CONFIG,
            Self::FIELDS,
        )
    }

    /// A derived session merges field by field, flashes item by item, and
    /// names its owner.
    const FIELDS: Fields<T> = Fields {
        flash: T::FLASH_FIELDS,
        keyed: &[],
        owner: T::owner,
    };
}

/// Which fields of a session type merge specially when two requests save
/// it at once (see [`MergeSpec`]), and who owns a session of it.
pub(crate) struct Fields<T> {
    pub(crate) flash: &'static [&'static str],
    pub(crate) keyed: &'static [&'static str],
    pub(crate) owner: fn(&T) -> Option<String>,
}

// By hand: a derive would ask `T: Copy`, which a fn pointer does not need.
impl<T> Clone for Fields<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fields<T> {}

/// Loads a session of data `T` under `config`: the one machinery behind
/// typed sessions and [`MapSession`](crate::MapSession). `config` has been
/// checked by its caller: at compile time for typed sessions, at run time
/// for map sessions.
pub(crate) fn load_with_config<T>(
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
    config: SessionConfig,
    fields: Fields<T>,
) -> impl Future<Output = Result<Handle<T>>> + Send + 'static + use<T>
where
    T: Default + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let registry = Registry::of(extensions);
    let candidates = crate::http::cookie_values(headers, config.name());
    async move {
        let registry = registry?;
        if let Some(found) = registry.find::<Handle<T>>(config.name())? {
            return Ok(found);
        }
        let store = registry.sessions().store(config.name(), config.store())?;
        let state = State::load(&*store, &config, &candidates, UnixTime::now()).await?;
        let handle = Handle {
            shared: Arc::new(Shared {
                config,
                merge: MergeSpec {
                    flash: fields.flash,
                    keyed: fields.keyed,
                    on_conflict: config.on_conflict(),
                    session: config.name(),
                },
                owner: fields.owner,
                store,
                state: Mutex::new(state),
            }),
        };
        registry.insert(config.name(), handle)
    }
}

impl<T: Default + Serialize + Send + Sync + 'static> Handle<T> {
    /// Reads the data through a closure, without cloning it.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// assert_eq!(visits.with(|v| v.count), 0);
    ///
    /// // Reading is not a change: nothing to save.
    /// let mut res = http::Response::new(());
    /// visits.save(&mut res).await?;
    /// assert!(!res.headers().contains_key("set-cookie"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn with<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        read(&self.state().data)
    }

    /// Changes the data through a closure and marks the session changed.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// let count = visits.update(|v| {
    ///     v.count += 1;
    ///     v.count
    /// });
    /// assert_eq!(count, 1);
    ///
    /// let mut res = http::Response::new(());
    /// visits.save(&mut res).await?;
    /// assert!(res.headers().contains_key("set-cookie"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        let mut state = self.state();
        state.touch();
        change(&mut state.data)
    }

    /// Replaces the whole data.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize, Clone, PartialEq, Debug)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// visits.replace(Visits { count: 9 });
    /// assert_eq!(visits.get(), Visits { count: 9 });
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn replace(&self, data: T) {
        self.update(|current| *current = data);
    }

    /// A copy of the whole data.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize, Clone)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// let before = visits.get();
    /// visits.update(|v| v.count = 5);
    /// assert_eq!((before.count, visits.get().count), (0, 5)); // a copy, not a view
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }

    /// Ends the session: the store forgets it and the response removes the
    /// cookie (same name, Path and Domain). The data is reset to its
    /// default; changing it afterwards (to flash a goodbye) starts a new
    /// session with a new identity instead of the removal cookie.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut first = http::Request::new(());
    /// # sessions.attach(&mut first);
    /// # let visits = Handle::<Visits>::load(&first).await?;
    /// # visits.update(|v| v.count = 3);
    /// # let mut res = http::Response::new(());
    /// # visits.save(&mut res).await?;
    /// # let req = follow_up(&sessions, &res);
    /// // `req` carries the cookie of a session that counted 3 visits.
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// assert_eq!(visits.with(|v| v.count), 3);
    /// visits.destroy();
    /// assert_eq!(visits.with(|v| v.count), 0);
    ///
    /// let mut res = http::Response::new(());
    /// visits.save(&mut res).await?;
    /// let removal = res.headers()["set-cookie"].to_str().unwrap();
    /// assert!(removal.starts_with("visits=;") && removal.contains("Max-Age=0"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn destroy(&self) {
        self.state().destroy();
    }

    /// Gives the session a new identity with the same data: call it when
    /// the user logs in, so an id planted before login is worthless.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// # let mut first = http::Request::new(());
    /// # sessions.attach(&mut first);
    /// # let visits = Handle::<Visits>::load(&first).await?;
    /// # visits.update(|v| v.count = 3);
    /// # let mut before = http::Response::new(());
    /// # visits.save(&mut before).await?;
    /// # let req = follow_up(&sessions, &before);
    /// // `req` carries the cookie that the response `before` set.
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// visits.renew();
    /// let mut after = http::Response::new(());
    /// visits.save(&mut after).await?;
    ///
    /// let renewed = Handle::<Visits>::load(&follow_up(&sessions, &after)).await?;
    /// assert_eq!(renewed.with(|v| v.count), 3); // same data
    /// let old = Handle::<Visits>::load(&follow_up(&sessions, &before)).await?;
    /// assert!(old.is_new()); // the old id leads nowhere
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn renew(&self) {
        self.state().renew();
    }

    /// "Remember me": `true` sends a persistent cookie (`Max-Age`), `false`
    /// one that ends with the browser session. The server enforces expiry
    /// either way.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Login { name: String }
    /// impl SessionData for Login {
    ///     const CONFIG: SessionConfig = SessionConfig::new("login").with_persistent(false);
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let login = Handle::<Login>::load(&req).await?;
    /// login.update(|l| l.name = "ada".to_owned());
    /// login.set_persistent(true); // "remember me" was ticked
    ///
    /// let mut res = http::Response::new(());
    /// login.save(&mut res).await?;
    /// assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age="));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn set_persistent(&self, persistent: bool) {
        self.state().set_persistent(persistent);
    }

    /// Whether the cookie is persistent.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// assert!(visits.is_persistent()); // the type's default
    /// visits.set_persistent(false);
    /// assert!(!visits.is_persistent());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn is_persistent(&self) -> bool {
        self.state().persistent
    }

    /// Whether the session has never been stored: no live session came
    /// with the request and it was not saved since.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// let mut first = http::Request::new(());
    /// sessions.attach(&mut first);
    /// let visits = Handle::<Visits>::load(&first).await?;
    /// assert!(visits.is_new());
    /// visits.update(|v| v.count += 1);
    /// let mut res = http::Response::new(());
    /// visits.save(&mut res).await?;
    ///
    /// let next = follow_up(&sessions, &res); // the browser sends the cookie back
    /// assert!(!Handle::<Visits>::load(&next).await?.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.state().loaded.is_none()
    }

    /// When the stored session expires, as loaded or as last saved in this
    /// request; `None` for a session that has never been stored.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// use std::time::{Duration, SystemTime};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # fn follow_up(sessions: &Sessions, res: &http::Response<()>) -> http::Request<()> {
    /// #     let pair = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// #     let mut req = http::Request::builder().header("cookie", pair).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut first = http::Request::new(());
    /// # sessions.attach(&mut first);
    /// let visits = Handle::<Visits>::load(&first).await?;
    /// assert_eq!(visits.expires_at(), None); // new
    /// visits.update(|v| v.count += 1);
    /// # let mut res = http::Response::new(());
    /// # visits.save(&mut res).await?;
    /// # let next = follow_up(&sessions, &res);
    ///
    /// // Saved with the default `max_age` of 30 days, loaded on the next request:
    /// let expires = Handle::<Visits>::load(&next).await?.expires_at().unwrap();
    /// let left = expires.duration_since(SystemTime::now()).unwrap();
    /// assert!(left > Duration::from_hours(24 * 29) && left <= sessions::DEFAULT_MAX_AGE);
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.state()
            .loaded
            .as_ref()
            .map(|l| l.times.expires_at.to_system_time())
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
        // A panic inside a user closure leaves the data as the closure left
        // it, which is what a later reader would see anyway.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> fmt::Debug for Handle<T> {
    /// Shows the session's name and status, never its data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Handle")
            .field("name", &self.shared.config.name())
            .field("store", &self.shared.store.kind())
            .field("new", &state.loaded.is_none())
            .field("dirty", &state.dirty)
            .finish_non_exhaustive()
    }
}
