//! The one error type of the crate.

use std::error::Error as StdError;

/// A boxed error from a lower layer, kept as the `source` of an [`Error`].
///
/// ```
/// use std::error::Error as _;
/// use sessions::{BoxError, Error};
///
/// let cause: BoxError = "connection refused".into();
/// let err = Error::Backend(cause);
/// assert_eq!(err.to_string(), "session store failed");
/// assert_eq!(err.source().unwrap().to_string(), "connection refused");
/// ```
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`Error`] as the error type.
///
/// ```
/// use sessions::{Error, store::SessionId};
///
/// fn parse_id(text: &str) -> sessions::Result<SessionId> {
///     text.parse()
/// }
/// assert!(matches!(parse_id("../etc/passwd"), Err(Error::InvalidId)));
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `sessions`.
///
/// A cookie that does not open (malformed, tampered, expired, sealed with
/// an unknown key or for another name or store) is not an error at all: it
/// gives a fresh session, and why it was refused is logged at debug level,
/// saying what kind of input was rejected, never which byte or which
/// cryptographic check failed.
///
/// ```
/// use sessions::{Error, Key};
///
/// let err = Key::derive_from(b"too short").unwrap_err();
/// assert!(matches!(err, Error::WeakSecret { len: 9, min: 32 }));
/// assert_eq!(err.to_string(), "secret is 9 bytes, at least 32 are required");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A secret given to [`Key::derive_from`](crate::Key::derive_from) is too short.
    #[error("secret is {len} bytes, at least {min} are required")]
    WeakSecret {
        /// Length of the secret that was given.
        len: usize,
        /// The minimum length.
        min: usize,
    },

    /// A key, or the secret it is derived from, is one byte repeated (all
    /// zeros, say): a placeholder, never a secret.
    ///
    /// ```
    /// use sessions::{Error, Key};
    /// assert!(matches!(Key::derive_from(&[0; 64]), Err(Error::RepeatedByteSecret)));
    /// let zeros = "A".repeat(43); // the text form of 32 zero bytes
    /// assert!(matches!(zeros.parse::<Key>(), Err(Error::RepeatedByteSecret)));
    /// ```
    #[error("secret is one byte repeated, which is no secret")]
    RepeatedByteSecret,

    /// Text given to [`Key`](crate::Key)'s `FromStr` is not a key.
    #[error("not a key: expected {expected} base64url characters")]
    InvalidKeyText {
        /// How many characters a key's text form has.
        expected: usize,
    },

    /// A payload does not fit in a sealed value of the allowed length.
    #[error("payload of {len} bytes does not fit; at most {max} bytes can be sealed")]
    PayloadTooLarge {
        /// Length of the encoded payload.
        len: usize,
        /// The largest payload that fits.
        max: usize,
    },

    /// An authentic payload could not be decoded into the expected type, or
    /// broke the decoder's depth or size limits.
    #[error("payload could not be decoded")]
    Decode(#[source] BoxError),

    /// A [`SessionConfig`](crate::SessionConfig) built at run time breaks
    /// a rule of session cookies.
    ///
    /// ```
    /// use sessions::{ConfigError, Error, SessionConfig};
    /// let err = Error::from(SessionConfig::new("a b").check().unwrap_err());
    /// assert!(matches!(err, Error::InvalidConfig(ConfigError::InvalidName)));
    /// ```
    #[error(transparent)]
    InvalidConfig(#[from] crate::options::ConfigError),

    /// A request reached session code without a registry: the service is
    /// not wrapped in [`SessionLayer`](crate::SessionLayer) and nobody
    /// called [`Sessions::attach`](crate::Sessions::attach).
    #[error("no session registry on this request: add SessionLayer or call Sessions::attach")]
    MissingRegistry,

    /// A session type names a store that was never registered.
    #[error("session `{session}` uses store `{store}`, which is not registered (use with_store)")]
    UnknownStore {
        /// The session's cookie name.
        session: &'static str,
        /// The store it asked for.
        store: &'static str,
    },

    /// Two different session types use the same cookie name.
    #[error("two session types use the cookie name `{name}`")]
    NameConflict {
        /// The cookie name.
        name: &'static str,
    },

    /// A session does not fit in a cookie; browsers would silently drop
    /// it. Either the sealed value passes its budget of 4096 base64url
    /// characters or the whole
    /// `Set-Cookie` line with its attributes passes 4096 bytes
    /// ([`MAX_SET_COOKIE_LEN`](crate::MAX_SET_COOKIE_LEN)): `len` and `max`
    /// measure whichever overflowed.
    #[error("session `{session}` needs a {len}-byte cookie, over the {max}-byte limit")]
    CookieTooLarge {
        /// The session's cookie name.
        session: String,
        /// The length the sealed value, or the line, would have.
        len: usize,
        /// The limit it passes.
        max: usize,
    },

    /// Saving the sessions of a response failed; every failure is listed.
    #[error(transparent)]
    Save(#[from] SaveErrors),

    /// Text that should be a session id is not one (wrong length or
    /// alphabet). Ids are checked before they touch a path or a key.
    #[error("not a session id")]
    InvalidId,

    /// A record is larger than the store accepts.
    #[error("session record of {len} bytes, over the store's limit of {max}")]
    RecordTooLarge {
        /// Length of the record.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// A [`FileStore`](crate::FileStore) directory, or its lock directory
    /// or a lock file in it, could be tampered with by someone else; the
    /// store refuses to open it. `problem` says what is wrong; nothing is
    /// changed or created in `path`.
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// use sessions::store::{FileBackend, SessionId, UnsafeDir};
    /// use sessions::Error;
    ///
    /// let dir = std::env::temp_dir().join(format!("sessions-doc-{}", SessionId::generate()));
    /// std::fs::create_dir(&dir)?;
    /// std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))?;
    /// let err = FileBackend::open(&dir).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::UnsafeStoreDir { problem: UnsafeDir::Writable { mode: 0o777 }, .. }
    /// ));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[error("session directory {} is unsafe", path.display())]
    UnsafeStoreDir {
        /// The directory or file at fault.
        path: std::path::PathBuf,
        /// What is wrong with it.
        #[source]
        problem: crate::store::UnsafeDir,
    },

    /// A store was given an option it cannot work with (a Redis key
    /// prefix with a space, a zero timeout); nothing was sent anywhere.
    ///
    /// ```
    /// use sessions::Error;
    ///
    /// let err = Error::InvalidStoreOption { option: "prefix", problem: "no spaces" };
    /// assert_eq!(err.to_string(), "invalid store option `prefix`: no spaces");
    /// ```
    #[error("invalid store option `{option}`: {problem}")]
    InvalidStoreOption {
        /// The option at fault.
        option: &'static str,
        /// What a valid value looks like.
        problem: &'static str,
    },

    /// Another request saved this session since this one loaded it, and
    /// both changed `field`; the session asked for an error
    /// ([`OnConflict::Error`](crate::OnConflict::Error)) rather than the
    /// later save winning. Nothing was written.
    ///
    /// ```
    /// use sessions::Error;
    /// let err = Error::Conflict { session: "cart", field: "items".to_owned() };
    /// assert_eq!(
    ///     err.to_string(),
    ///     "session `cart`: field `items` was changed by a concurrent request"
    /// );
    /// ```
    #[error("session `{session}`: field `{field}` was changed by a concurrent request")]
    Conflict {
        /// The session's cookie name.
        session: &'static str,
        /// The field both requests changed (for a `MapSession`, the key).
        field: String,
    },

    /// A save met a newer version of its session on every one of its
    /// attempts: other requests kept saving it meanwhile. Nothing of this
    /// request was written.
    ///
    /// ```
    /// use sessions::Error;
    /// let err = Error::Contended { session: "cart", attempts: 16 };
    /// assert_eq!(err.to_string(), "session `cart` was saved by other requests 16 times in a row");
    /// ```
    #[error("session `{session}` was saved by other requests {attempts} times in a row")]
    Contended {
        /// The session's cookie name.
        session: &'static str,
        /// How many times the save tried.
        attempts: u32,
    },

    /// A file-system operation of a store failed.
    #[error("session store I/O failed")]
    Io(#[from] std::io::Error),

    /// A store's backend failed (I/O, network). The request fails closed.
    #[error("session store failed")]
    Backend(#[source] BoxError),

    /// A value could not be encoded.
    #[error("payload could not be encoded")]
    Encode(#[source] BoxError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn assert_bounds<T: Send + Sync + 'static>() {}
        assert_bounds::<Error>();
    }

    #[test]
    fn decode_keeps_its_source() {
        let inner: BoxError = "depth limit".into();
        let err = Error::Decode(inner);
        let source = StdError::source(&err).expect("Decode carries a source");
        assert_eq!(source.to_string(), "depth limit");
    }
}

/// Every session that failed to save in one batch, in load order.
///
/// ```
/// use sessions::{Error, SaveErrors};
/// let errors = SaveErrors::from(vec![("user", Error::MissingRegistry)]);
/// assert_eq!(errors.failures().len(), 1);
/// assert!(errors.to_string().contains("user"));
/// ```
#[derive(Debug)]
pub struct SaveErrors {
    failures: Vec<(&'static str, Error)>,
}

impl SaveErrors {
    /// The failures: cookie name and error, in load order.
    ///
    /// ```
    /// let errors = sessions::SaveErrors::from(Vec::new());
    /// assert!(errors.failures().is_empty());
    /// ```
    #[must_use]
    pub fn failures(&self) -> &[(&'static str, Error)] {
        &self.failures
    }
}

impl From<Vec<(&'static str, Error)>> for SaveErrors {
    fn from(failures: Vec<(&'static str, Error)>) -> Self {
        Self { failures }
    }
}

impl std::fmt::Display for SaveErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} session(s) failed to save:", self.failures.len())?;
        for (name, error) in &self.failures {
            write!(f, " `{name}`: {error};")?;
        }
        Ok(())
    }
}

impl StdError for SaveErrors {
    /// The first failure; [`SaveErrors::failures`] has them all.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.failures
            .first()
            .map(|(_, e)| e as &(dyn StdError + 'static))
    }
}
