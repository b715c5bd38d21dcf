//! The per-request registry and the configured set of stores.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::Response;

use crate::error::{Error, Result, SaveErrors};
use crate::options::SessionConfig;
use crate::state::SessionCookie;
use crate::store::{BoxFuture, Store};

/// The stores an application uses: one default and any number of named
/// ones. Cheap to clone.
///
/// Use it directly with plain hyper (`attach` before the handler, `save`
/// after), or wrap it in a [`SessionLayer`](crate::SessionLayer).
///
/// ```
/// use sessions::{CookieStore, Key, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let key = Key::generate();
/// let sessions = Sessions::new(CookieStore::new(key.clone()))
///     .with_store("signed", CookieStore::signed(key));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
/// // ... the handler loads and changes sessions ...
/// let mut res = http::Response::new(());
/// sessions::save(&req, &mut res).await?;
/// assert!(res.headers().is_empty()); // nothing was loaded: nothing to say
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct Sessions {
    stores: Arc<Stores>,
}

#[derive(Clone)]
struct Stores {
    default: Arc<dyn Store>,
    named: HashMap<&'static str, Arc<dyn Store>>,
    map_config: SessionConfig,
}

/// The cookie of the [`MapSession`](crate::MapSession) that extractors load
/// unless [`Sessions::with_map_config`] says otherwise.
///
/// ```
/// use sessions::{CookieStore, DEFAULT_MAP_CONFIG, Key, Sessions};
///
/// assert_eq!(DEFAULT_MAP_CONFIG.name(), "session");
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// assert_eq!(sessions.map_config(), DEFAULT_MAP_CONFIG);
/// ```
pub const DEFAULT_MAP_CONFIG: SessionConfig = SessionConfig::new("session").checked();

impl Sessions {
    /// Sessions whose default store is `store`.
    ///
    /// ```
    /// let s = sessions::Sessions::new(sessions::CookieStore::new(sessions::Key::generate()));
    /// assert_eq!(format!("{s:?}"), r#"Sessions { default: "cookie", named: [] }"#);
    /// ```
    #[must_use]
    pub fn new(store: impl Store) -> Self {
        Self {
            stores: Arc::new(Stores {
                default: Arc::new(store),
                named: HashMap::new(),
                map_config: DEFAULT_MAP_CONFIG,
            }),
        }
    }

    /// Registers `store` under `name`, for `#[session(store = "name")]`.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, Sessions};
    /// let s = Sessions::new(CookieStore::new(Key::generate()))
    ///     .with_store("other", CookieStore::new(Key::generate()));
    /// assert!(s.has_store("other"));
    /// ```
    #[must_use]
    pub fn with_store(mut self, name: &'static str, store: impl Store) -> Self {
        // `Stores` holds only `Arc`s: copying it on write is cheap.
        Arc::make_mut(&mut self.stores)
            .named
            .insert(name, Arc::new(store));
        self
    }

    /// The configuration of the [`MapSession`](crate::MapSession) that
    /// framework extractors load. A configuration that breaks a rule of
    /// [`SessionConfig::check`] is refused here, not at the first request.
    ///
    /// ```
    /// use sessions::{ConfigError, CookieStore, Error, Key, SessionConfig, Sessions};
    /// let s = Sessions::new(CookieStore::new(Key::generate()))
    ///     .with_map_config(SessionConfig::new("flash"))?;
    /// assert_eq!(s.map_config().name(), "flash");
    ///
    /// let broken = SessionConfig::new("flash").with_path("/; Domain=evil.example");
    /// let err = s.with_map_config(broken).unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig(ConfigError::InvalidPath)));
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn with_map_config(mut self, config: SessionConfig) -> Result<Self> {
        config.check()?;
        Arc::make_mut(&mut self.stores).map_config = config;
        Ok(self)
    }

    /// See [`with_map_config`](Self::with_map_config).
    ///
    /// ```
    /// let s = sessions::Sessions::new(sessions::CookieStore::new(sessions::Key::generate()));
    /// assert_eq!(s.map_config().name(), "session");
    /// ```
    #[must_use]
    pub fn map_config(&self) -> SessionConfig {
        self.stores.map_config
    }

    /// Whether a store is registered under `name`.
    ///
    /// ```
    /// let s = sessions::Sessions::new(sessions::CookieStore::new(sessions::Key::generate()));
    /// assert!(!s.has_store("files"));
    /// ```
    #[must_use]
    pub fn has_store(&self, name: &str) -> bool {
        self.stores.named.contains_key(name)
    }

    /// Puts a fresh, empty set of sessions into the request's extensions:
    /// call it before the handler, and [`save`](crate::save) after it.
    ///
    /// ```
    /// use sessions::{CookieStore, Error, Key, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut res = http::Response::new(());
    /// let stray = http::Request::new(());
    /// assert!(matches!(sessions::save(&stray, &mut res).await, Err(Error::MissingRegistry)));
    ///
    /// let mut req = http::Request::new(());
    /// Sessions::new(CookieStore::new(Key::generate())).attach(&mut req);
    /// assert!(sessions::save(&req, &mut res).await.is_ok());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn attach<B>(&self, req: &mut http::Request<B>) {
        self.attach_registry(req);
    }

    /// [`attach`](Self::attach), keeping the registry to save from.
    pub(crate) fn attach_registry<B>(&self, req: &mut http::Request<B>) -> Registry {
        let registry = Registry::new(self.clone());
        req.extensions_mut().insert(registry.clone());
        registry
    }

    pub(crate) fn store(
        &self,
        session: &'static str,
        name: Option<&'static str>,
    ) -> Result<Arc<dyn Store>> {
        match name {
            None => Ok(Arc::clone(&self.stores.default)),
            Some(store) => self
                .stores
                .named
                .get(store)
                .cloned()
                .ok_or(Error::UnknownStore { session, store }),
        }
    }
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.stores.named.keys().collect();
        names.sort();
        f.debug_struct("Sessions")
            .field("default", &self.stores.default.kind())
            .field("named", &names)
            .finish()
    }
}

/// A session as the registry sees it: type-erased, savable.
pub(crate) trait ErasedSession: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// Saves if needed; `Some` is what the browser must be told.
    fn save(&self) -> BoxFuture<'_, Result<Option<SessionCookie>>>;
}

struct Entry {
    name: &'static str,
    type_id: TypeId,
    session: Arc<dyn ErasedSession>,
}

/// The sessions of one request, in the order they were loaded.
///
/// It lives in the request's extensions; every `load` goes through it, so
/// loading the same session twice in a request gives the same state, and
/// one cookie name holds one session type.
#[derive(Clone)]
pub(crate) struct Registry {
    inner: Arc<RegistryInner>,
}

struct RegistryInner {
    sessions: Sessions,
    entries: Mutex<Vec<Entry>>,
}

impl Registry {
    pub(crate) fn new(sessions: Sessions) -> Self {
        Self {
            inner: Arc::new(RegistryInner {
                sessions,
                entries: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The registry attached to a request, or [`Error::MissingRegistry`].
    pub(crate) fn of(extensions: &http::Extensions) -> Result<Self> {
        extensions
            .get::<Self>()
            .cloned()
            .ok_or(Error::MissingRegistry)
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The session of type `S` under `name`, if this request loaded it.
    pub(crate) fn find<S: Any + Clone>(&self, name: &'static str) -> Result<Option<S>> {
        let entries = self.entries();
        let Some(entry) = entries.iter().find(|e| e.name == name) else {
            return Ok(None);
        };
        if entry.type_id != TypeId::of::<S>() {
            return Err(Error::NameConflict { name });
        }
        Ok(entry.session.as_any().downcast_ref::<S>().cloned())
    }

    /// Registers a loaded session, unless a concurrent load of the same
    /// name won the race: then that one is returned.
    pub(crate) fn insert<S: ErasedSession + Any + Clone>(
        &self,
        name: &'static str,
        session: S,
    ) -> Result<S> {
        if let Some(existing) = self.find::<S>(name)? {
            return Ok(existing);
        }
        self.entries().push(Entry {
            name,
            type_id: TypeId::of::<S>(),
            session: Arc::new(session.clone()),
        });
        Ok(session)
    }

    /// Saves every changed session at once, appends one `Set-Cookie` line
    /// per saved cookie in load order and `Vary: Cookie` when any session
    /// was loaded. Every failure is reported, not only the first; cookies
    /// of the sessions that did save are still appended.
    ///
    /// The saves run concurrently, so those of one store share its round
    /// trip: the commands of every session saved to one Redis leave on its
    /// connection together, as one pipeline.
    pub(crate) async fn save<B>(&self, res: &mut Response<B>) -> Result<()> {
        let sessions: Vec<_> = self
            .entries()
            .iter()
            .map(|e| (e.name, Arc::clone(&e.session)))
            .collect();
        if sessions.is_empty() {
            return Ok(());
        }
        let saves = sessions.iter().map(|(_, session)| session.save());
        let outcomes = futures_util::future::join_all(saves).await;
        let mut lines = Vec::new();
        let mut failures = Vec::new();
        for ((name, _), outcome) in sessions.iter().zip(outcomes) {
            match outcome
                .and_then(|cookie| cookie.as_ref().map(crate::http::set_cookie).transpose())
            {
                Ok(line) => lines.extend(line),
                Err(error) => failures.push((*name, error)),
            }
        }
        crate::http::append_cookies(res.headers_mut(), lines);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(SaveErrors::from(failures).into())
        }
    }

    fn entries(&self) -> MutexGuard<'_, Vec<Entry>> {
        // Entries are only pushed; a panic elsewhere cannot leave them torn.
        self.inner
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.entries().iter().map(|e| e.name).collect();
        f.debug_struct("Registry")
            .field("sessions", &names)
            .finish()
    }
}

/// Saves every changed session of `req` into `res`: the batch save of
/// gorilla's `sessions.Save`, for plain hyper services.
///
/// Sessions are saved at once (those of one Redis in one round trip), each
/// cookie on its own `Set-Cookie` line in the order the sessions were
/// loaded, and `Vary: Cookie` is added when any session was loaded. Every
/// failure is reported, not only the first; the cookies of the sessions
/// that did save are still appended.
///
/// ```
/// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
/// MapSession::load(&req, SessionConfig::new("a")).await?.insert("k", &1)?;
/// MapSession::load(&req, SessionConfig::new("b")).await?; // unchanged
///
/// let mut res = http::Response::new(());
/// sessions::save(&req, &mut res).await?;
/// assert_eq!(res.headers().get_all("set-cookie").iter().count(), 1);
/// assert_eq!(res.headers()["vary"], "Cookie");
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub async fn save<B, R>(req: &http::Request<B>, res: &mut Response<R>) -> Result<()> {
    let registry = Registry::of(req.extensions())?;
    registry.save(res).await
}
