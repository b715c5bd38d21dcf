//! Per-session-type configuration: the cookie's options and the expiry policy.

mod rules;

use std::num::NonZeroU32;
use std::time::Duration;

pub use rules::{ConfigError, MAX_MAX_AGE, MAX_TIMEOUT};

/// The `SameSite` attribute of a session cookie.
///
/// ```
/// assert_eq!(sessions::SameSite::default(), sessions::SameSite::Lax);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent with every request; browsers require `Secure` with it.
    None,
}

/// Thirty days, the default lifetime.
///
/// ```
/// use sessions::{DEFAULT_MAX_AGE, SessionConfig};
/// assert_eq!(SessionConfig::new("user").max_age(), DEFAULT_MAX_AGE);
/// assert_eq!(DEFAULT_MAX_AGE.as_secs(), 30 * 24 * 60 * 60);
/// ```
pub const DEFAULT_MAX_AGE: Duration = Duration::from_hours(24 * 30);

/// What a save does when another request saved the same session since
/// this one loaded it, and both changed the same field (server-side stores
/// only: a cookie is always the last response's).
///
/// Fields that only one of the two requests changed always merge; this is
/// only about a field both changed.
///
/// ```
/// use sessions::{OnConflict, SessionConfig};
///
/// assert_eq!(SessionConfig::new("cart").on_conflict(), OnConflict::LastWriteWins);
/// let strict = SessionConfig::new("cart").with_on_conflict(OnConflict::Error);
/// assert_eq!(strict.on_conflict(), OnConflict::Error);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnConflict {
    /// The later save wins that field.
    #[default]
    LastWriteWins,
    /// The later save fails with [`Error::Conflict`](crate::Error::Conflict),
    /// and writes nothing.
    Error,
}

/// Everything `#[session(...)]` sets, as a `const` builder.
///
/// The derive writes one of these for every session type; code that
/// implements [`SessionData`](crate::SessionData) by hand, or builds a
/// [`MapSession`](crate::MapSession), writes it directly.
///
/// ```
/// use std::time::Duration;
/// use sessions::{SameSite, SessionConfig};
///
/// const PREFS: SessionConfig = SessionConfig::new("prefs")
///     .with_max_age(Duration::from_secs(3600))
///     .with_same_site(SameSite::Strict);
/// assert_eq!(PREFS.name(), "prefs");
/// assert_eq!(PREFS.max_age(), Duration::from_secs(3600));
/// assert!(PREFS.is_secure() && PREFS.is_http_only() && PREFS.is_persistent());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionConfig {
    name: &'static str,
    max_age: Duration,
    idle_timeout: Option<Duration>,
    absolute_timeout: Option<Duration>,
    persistent: bool,
    path: &'static str,
    domain: Option<&'static str>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    store: Option<&'static str>,
    on_conflict: OnConflict,
    max_per_owner: Option<NonZeroU32>,
}

macro_rules! getters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $field:ident;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub const fn $name(&self) -> $ty {
            self.$field
        }
    )*};
}

impl SessionConfig {
    /// The cookie `name` with the defaults: a 30-day sliding `max_age`, no
    /// idle or absolute timeout, a persistent cookie on `Path=/` with no
    /// `Domain`, `Secure`, `HttpOnly`, `SameSite=Lax`, not partitioned, in
    /// the default store.
    ///
    /// ```
    /// let c = sessions::SessionConfig::new("user");
    /// assert_eq!(c.path(), "/");
    /// assert_eq!(c.same_site(), sessions::SameSite::Lax);
    /// assert_eq!(c.store(), None);
    /// ```
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            max_age: DEFAULT_MAX_AGE,
            idle_timeout: None,
            absolute_timeout: None,
            persistent: true,
            path: "/",
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
            store: None,
            on_conflict: OnConflict::LastWriteWins,
            max_per_owner: None,
        }
    }

    /// Lifetime since the last save; also the cookie's `Max-Age`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = sessions::SessionConfig::new("a").with_max_age(Duration::from_secs(5));
    /// assert_eq!(c.max_age().as_secs(), 5);
    /// ```
    #[must_use]
    pub const fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Inactivity limit enforced by the server.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = sessions::SessionConfig::new("a").with_idle_timeout(Duration::from_secs(9));
    /// assert_eq!(c.idle_timeout(), Some(Duration::from_secs(9)));
    /// ```
    #[must_use]
    pub const fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Limit since creation, never extended.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = sessions::SessionConfig::new("a").with_absolute_timeout(Duration::from_secs(9));
    /// assert_eq!(c.absolute_timeout(), Some(Duration::from_secs(9)));
    /// ```
    #[must_use]
    pub const fn with_absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = Some(timeout);
        self
    }

    /// Whether new sessions get a `Max-Age` (a persistent cookie). With
    /// `false` the cookie lasts for the browser session unless the handler
    /// calls `set_persistent(true)` ("remember me").
    ///
    /// ```
    /// assert!(!sessions::SessionConfig::new("a").with_persistent(false).is_persistent());
    /// ```
    #[must_use]
    pub const fn with_persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// The cookie's `Path`.
    ///
    /// ```
    /// assert_eq!(sessions::SessionConfig::new("a").with_path("/app").path(), "/app");
    /// ```
    #[must_use]
    pub const fn with_path(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }

    /// The cookie's `Domain`.
    ///
    /// ```
    /// let c = sessions::SessionConfig::new("a").with_domain("example.com");
    /// assert_eq!(c.domain(), Some("example.com"));
    /// ```
    #[must_use]
    pub const fn with_domain(mut self, domain: &'static str) -> Self {
        self.domain = Some(domain);
        self
    }

    /// The cookie's `Secure` flag.
    ///
    /// ```
    /// assert!(!sessions::SessionConfig::new("a").with_secure(false).is_secure());
    /// ```
    #[must_use]
    pub const fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The cookie's `HttpOnly` flag.
    ///
    /// ```
    /// assert!(!sessions::SessionConfig::new("a").with_http_only(false).is_http_only());
    /// ```
    #[must_use]
    pub const fn with_http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The cookie's `SameSite`.
    ///
    /// ```
    /// use sessions::{SameSite, SessionConfig};
    /// let c = SessionConfig::new("a").with_same_site(SameSite::Strict);
    /// assert_eq!(c.same_site(), SameSite::Strict);
    /// ```
    #[must_use]
    pub const fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's `Partitioned` flag (CHIPS).
    ///
    /// ```
    /// assert!(sessions::SessionConfig::new("a").with_partitioned(true).is_partitioned());
    /// ```
    #[must_use]
    pub const fn with_partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// The registered store this session lives in; without it, the default.
    ///
    /// ```
    /// let c = sessions::SessionConfig::new("a").with_store("files");
    /// assert_eq!(c.store(), Some("files"));
    /// ```
    #[must_use]
    pub const fn with_store(mut self, store: &'static str) -> Self {
        self.store = Some(store);
        self
    }

    /// Sets what a save does when a concurrent request changed the same
    /// field (see [`OnConflict`]).
    ///
    /// ```
    /// use sessions::{OnConflict, SessionConfig};
    /// const CART: SessionConfig = SessionConfig::new("cart").with_on_conflict(OnConflict::Error);
    /// assert_eq!(CART.on_conflict(), OnConflict::Error);
    /// ```
    #[must_use]
    pub const fn with_on_conflict(mut self, on_conflict: OnConflict) -> Self {
        self.on_conflict = on_conflict;
        self
    }

    /// Caps the live sessions of one owner: a save that gives a session
    /// its owner (a login) past the cap revokes that owner's sessions with
    /// the oldest `created_at` until `max` are left, the new one included.
    /// Server-side stores only; no cap by default.
    ///
    /// ```
    /// use std::num::NonZeroU32;
    /// use sessions::SessionConfig;
    /// const USER: SessionConfig = SessionConfig::new("user").with_max_per_owner(NonZeroU32::new(5).unwrap());
    /// assert_eq!(USER.max_per_owner().map(NonZeroU32::get), Some(5));
    /// assert_eq!(SessionConfig::new("user").max_per_owner(), None);
    /// ```
    #[must_use]
    pub const fn with_max_per_owner(mut self, max: NonZeroU32) -> Self {
        self.max_per_owner = Some(max);
        self
    }

    /// Checks every rule a session cookie must keep; see [`ConfigError`].
    /// Typed sessions are checked when they compile: a
    /// [`SessionData::CONFIG`](crate::SessionData::CONFIG) that breaks a
    /// rule is a compile error naming it. [`MapSession::load`] and
    /// [`Sessions::with_map_config`] check theirs and return
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig).
    ///
    /// [`MapSession::load`]: crate::MapSession::load
    /// [`Sessions::with_map_config`]: crate::Sessions::with_map_config
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::{ConfigError, SameSite, SessionConfig};
    ///
    /// assert!(SessionConfig::new("user").check().is_ok());
    /// let none = SessionConfig::new("user").with_same_site(SameSite::None);
    /// assert_eq!(none.with_secure(false).check(), Err(ConfigError::NeedsSecure));
    /// let host = SessionConfig::new("__Host-sid").with_path("/app");
    /// assert_eq!(host.check(), Err(ConfigError::HostPrefixScope));
    /// // Browsers cap cookie lifetimes at 400 days: a longer max age is refused.
    /// let long = SessionConfig::new("user").with_max_age(Duration::from_secs(401 * 86_400));
    /// assert_eq!(long.check(), Err(ConfigError::MaxAgeOutOfRange));
    /// assert_eq!(
    ///     SessionConfig::new("user").with_max_age(Duration::MAX).check(),
    ///     Err(ConfigError::MaxAgeOutOfRange)
    /// );
    /// ```
    pub const fn check(&self) -> Result<(), ConfigError> {
        rules::check(self)
    }

    /// This configuration, checked in a `const` context: one that breaks a
    /// rule fails to compile with the rule's message. Outside a `const` it
    /// panics instead; use [`check`](Self::check) there.
    ///
    /// ```
    /// use sessions::SessionConfig;
    /// const PREFS: SessionConfig = SessionConfig::new("prefs").with_path("/app").checked();
    /// assert_eq!(PREFS.path(), "/app");
    /// ```
    ///
    /// ```compile_fail
    /// use sessions::SessionConfig;
    /// // error: invalid session config: the cookie path must start with `/` ...
    /// const BAD: SessionConfig = SessionConfig::new("user").with_path("/; Domain=evil").checked();
    /// ```
    ///
    /// # Panics
    ///
    /// When a rule is broken; in a `const` that is a compile error.
    #[must_use]
    pub const fn checked(self) -> Self {
        match rules::check(&self) {
            Ok(()) => self,
            Err(error) => panic!("{}", error.message()),
        }
    }

    getters! {
        /// The cookie name.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").name(), "a");
        /// ```
        name: &'static str => name;
        /// Lifetime since the last save.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").max_age().as_secs(), 30 * 86_400);
        /// ```
        max_age: Duration => max_age;
        /// Server-enforced inactivity limit.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").idle_timeout(), None);
        /// ```
        idle_timeout: Option<Duration> => idle_timeout;
        /// Server-enforced limit since creation.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").absolute_timeout(), None);
        /// ```
        absolute_timeout: Option<Duration> => absolute_timeout;
        /// Whether new sessions get a persistent cookie.
        ///
        /// ```
        /// assert!(sessions::SessionConfig::new("a").is_persistent());
        /// ```
        is_persistent: bool => persistent;
        /// The cookie's `Path`.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").path(), "/");
        /// ```
        path: &'static str => path;
        /// The cookie's `Domain`.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").domain(), None);
        /// ```
        domain: Option<&'static str> => domain;
        /// The cookie's `Secure` flag.
        ///
        /// ```
        /// assert!(sessions::SessionConfig::new("a").is_secure());
        /// ```
        is_secure: bool => secure;
        /// The cookie's `HttpOnly` flag.
        ///
        /// ```
        /// assert!(sessions::SessionConfig::new("a").is_http_only());
        /// ```
        is_http_only: bool => http_only;
        /// The cookie's `SameSite`.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").same_site(), sessions::SameSite::Lax);
        /// ```
        same_site: SameSite => same_site;
        /// The cookie's `Partitioned` flag.
        ///
        /// ```
        /// assert!(!sessions::SessionConfig::new("a").is_partitioned());
        /// ```
        is_partitioned: bool => partitioned;
        /// The named store, if not the default.
        ///
        /// ```
        /// assert_eq!(sessions::SessionConfig::new("a").store(), None);
        /// ```
        store: Option<&'static str> => store;
        /// What a save does when a concurrent request changed the same field.
        on_conflict: OnConflict => on_conflict;
        /// The most live sessions one owner keeps, if capped.
        max_per_owner: Option<NonZeroU32> => max_per_owner;
    }
}
