//! `RedisOptions`: timeouts, retries, durability, key prefix and TLS roots.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Prefix of every key [`RedisStore`](super::RedisStore) writes, unless
/// changed with [`RedisOptions::prefix`].
///
/// A session lives under the prefix followed by its id's text form:
///
/// ```
/// use sessions::store::{DEFAULT_REDIS_PREFIX, ID_TEXT_LEN, SessionId};
///
/// assert_eq!(DEFAULT_REDIS_PREFIX, "session:");
/// let key = format!("{DEFAULT_REDIS_PREFIX}{}", SessionId::generate());
/// assert_eq!(key.len(), "session:".len() + ID_TEXT_LEN);
/// ```
pub const DEFAULT_REDIS_PREFIX: &str = "session:";

/// The longest key prefix [`RedisOptions::check`] accepts, in bytes.
///
/// ```
/// use sessions::store::{MAX_REDIS_PREFIX_LEN, RedisOptions};
///
/// let long = "a".repeat(MAX_REDIS_PREFIX_LEN + 1);
/// assert!(RedisOptions::new().prefix(long).check().is_err());
/// ```
pub const MAX_REDIS_PREFIX_LEN: usize = 64;

/// How a [`RedisStore`](super::RedisStore) talks to Redis: how long it
/// waits, how often it retries, whether writes wait for replicas, and under
/// which prefix its keys live.
///
/// Every way of connecting (one server, a Cluster, Sentinel) takes the same
/// options with the same defaults, and every load or save ends within
/// [`bound`](Self::bound): it succeeds, or it fails closed with
/// [`Error::Backend`], whether the node is slow, frozen, killed or
/// unreachable. Requests succeed again by themselves once Redis is back or
/// has failed over; nothing needs a restart.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::RedisOptions;
///
/// let options = RedisOptions::new()
///     .response_timeout(Duration::from_millis(500))
///     .durable(1, Duration::from_millis(200))
///     .prefix("shop:session:");
/// options.check()?;
/// // Half a second for Redis, plus the time replicas may take to confirm.
/// assert_eq!(options.bound(), Duration::from_millis(700));
/// # Ok::<(), sessions::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisOptions {
    pub(super) connect_timeout: Duration,
    pub(super) response_timeout: Duration,
    pub(super) retries: u32,
    pub(super) prefix: String,
    pub(super) durability: Option<Durability>,
    #[cfg(feature = "redis-tls")]
    pub(super) root_certificate: Option<Vec<u8>>,
}

/// Writes wait until `replicas` replicas confirm them, or `timeout` passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Durability {
    pub(super) replicas: u32,
    pub(super) timeout: Duration,
}

impl RedisOptions {
    /// How long opening a connection to a node may take: 1 second.
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    /// assert_eq!(RedisOptions::DEFAULT_CONNECT_TIMEOUT.as_secs(), 1);
    /// ```
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

    /// How long one load or save may wait for Redis, retries and reconnects
    /// included: 2 seconds.
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    /// assert_eq!(RedisOptions::new().bound(), RedisOptions::DEFAULT_RESPONSE_TIMEOUT);
    /// ```
    pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

    /// How many times a command is sent again after a connection failure
    /// or a redirection, within the response timeout: 2.
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    /// assert_eq!(RedisOptions::DEFAULT_RETRIES, 2);
    /// ```
    pub const DEFAULT_RETRIES: u32 = 2;

    /// The defaults: 1 s to connect, 2 s per load or save, 2 retries, no
    /// waiting for replicas, keys under [`DEFAULT_REDIS_PREFIX`].
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    /// assert_eq!(RedisOptions::new(), RedisOptions::default());
    /// assert!(RedisOptions::new().check().is_ok());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            response_timeout: Self::DEFAULT_RESPONSE_TIMEOUT,
            retries: Self::DEFAULT_RETRIES,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            durability: None,
            #[cfg(feature = "redis-tls")]
            root_certificate: None,
        }
    }

    /// Sets how long opening a connection to one node may take.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::RedisOptions;
    ///
    /// let zero = RedisOptions::new().connect_timeout(Duration::ZERO);
    /// assert!(zero.check().is_err());
    /// ```
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one load or save may wait for Redis, retries and
    /// reconnects included. A frozen or unreachable node turns into
    /// [`Error::Backend`] after this long.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::RedisOptions;
    ///
    /// let options = RedisOptions::new().response_timeout(Duration::from_millis(250));
    /// assert_eq!(options.bound(), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets how many times a command is sent again after a connection
    /// failure, a failover or a Cluster redirection. Retries never extend
    /// [`bound`](Self::bound). Zero sends every command once.
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    /// assert!(RedisOptions::new().retries(0).check().is_ok());
    /// ```
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Makes every write (create, update, delete) wait until `replicas`
    /// replicas have it, with Redis's `WAIT`, sent in the same round trip.
    /// When fewer confirm within `timeout`, the save fails with
    /// [`Error::Backend`], although the primary has the write.
    ///
    /// The trade-off: without it, Redis confirms a write as soon as the
    /// primary has it, and a failover in the next instant loses it: a
    /// login that is forgotten, or a logout that comes undone. With it,
    /// every write costs one replication round (the benches measure it),
    /// and saves fail while fewer than `replicas` replicas are up. Redis
    /// still replicates asynchronously: this narrows the window, it is not
    /// a consensus protocol.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::RedisOptions;
    ///
    /// let durable = RedisOptions::new().durable(1, Duration::from_millis(100));
    /// assert_eq!(durable.bound(), Duration::from_millis(2100));
    /// // Zero replicas, or a zero timeout (which Redis reads as "forever"),
    /// // are refused.
    /// assert!(RedisOptions::new().durable(0, Duration::from_millis(100)).check().is_err());
    /// assert!(RedisOptions::new().durable(1, Duration::ZERO).check().is_err());
    /// ```
    #[must_use]
    pub fn durable(mut self, replicas: u32, timeout: Duration) -> Self {
        self.durability = Some(Durability { replicas, timeout });
        self
    }

    /// Puts every key under `prefix` instead of [`DEFAULT_REDIS_PREFIX`],
    /// so several apps can share one Redis.
    ///
    /// [`check`](Self::check) refuses a prefix that is empty, longer than
    /// [`MAX_REDIS_PREFIX_LEN`], or holds anything but visible ASCII; and
    /// one with `{` or `}` (a Cluster hash tag would pin every session to
    /// one node) or `*`, `?`, `[`, `]`, `\` (a `SCAN` for one app's keys
    /// would match another's).
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    ///
    /// assert!(RedisOptions::new().prefix("shop:session:").check().is_ok());
    /// for bad in ["", "{shop}:", "shop *", "shop:\n", "shöp:"] {
    ///     assert!(RedisOptions::new().prefix(bad).check().is_err(), "{bad:?}");
    /// }
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Trusts the certificate authority in `pem` for `rediss://`
    /// connections, instead of the system's roots (feature `redis-tls`):
    /// for a Redis behind a private CA or a self-signed certificate.
    ///
    /// ```
    /// use sessions::store::RedisOptions;
    ///
    /// let pem = b"-----BEGIN CERTIFICATE-----\n...".to_vec();
    /// let options = RedisOptions::new().root_certificate(pem);
    /// // The certificate is never printed.
    /// assert!(format!("{options:?}").contains("root_certificate: Some(\"..\")"));
    /// ```
    #[cfg(feature = "redis-tls")]
    #[must_use]
    pub fn root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificate = Some(pem.into());
        self
    }

    /// The longest a load or save can take before it fails: the response
    /// timeout, plus the replicas' timeout when saves are
    /// [`durable`](Self::durable).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::RedisOptions;
    ///
    /// assert_eq!(RedisOptions::new().bound(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn bound(&self) -> Duration {
        let wait = self.durability.map_or(Duration::ZERO, |d| d.timeout);
        self.response_timeout.saturating_add(wait)
    }

    /// The key prefix.
    ///
    /// ```
    /// use sessions::store::{DEFAULT_REDIS_PREFIX, RedisOptions};
    /// assert_eq!(RedisOptions::new().key_prefix(), DEFAULT_REDIS_PREFIX);
    /// ```
    #[must_use]
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// Checks the options; every `connect` does it first, so bad options
    /// fail before any network traffic with [`Error::InvalidStoreOption`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::Error;
    /// use sessions::store::RedisOptions;
    ///
    /// let err = RedisOptions::new().response_timeout(Duration::ZERO).check().unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "response_timeout", .. }));
    /// ```
    pub fn check(&self) -> Result<()> {
        check_timeout("connect_timeout", self.connect_timeout)?;
        check_timeout("response_timeout", self.response_timeout)?;
        if let Some(durability) = self.durability {
            if durability.replicas == 0 {
                return Err(invalid("durable", "wait for at least one replica"));
            }
            check_timeout("durable", durability.timeout)?;
        }
        check_prefix(&self.prefix)
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RedisOptions");
        out.field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("retries", &self.retries)
            .field("prefix", &self.prefix)
            .field("durability", &self.durability);
        #[cfg(feature = "redis-tls")]
        out.field(
            "root_certificate",
            &self.root_certificate.as_ref().map(|_| ".."),
        );
        out.finish()
    }
}

/// A timeout must be positive (zero would fail everything, or mean
/// "forever" to some clients) and fit Redis's millisecond arguments.
fn check_timeout(option: &'static str, timeout: Duration) -> Result<()> {
    if timeout.is_zero() {
        return Err(invalid(option, "a timeout must be longer than zero"));
    }
    if timeout > Duration::from_hours(24) {
        return Err(invalid(option, "a timeout must be at most a day"));
    }
    Ok(())
}

fn check_prefix(prefix: &str) -> Result<()> {
    const PROBLEM: &str = "a key prefix is 1 to 64 bytes of visible ASCII, \
                           without { } * ? [ ] \\";
    let forbidden = |b: u8| matches!(b, b'{' | b'}' | b'*' | b'?' | b'[' | b']' | b'\\');
    let ok = !prefix.is_empty()
        && prefix.len() <= MAX_REDIS_PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_graphic() && !forbidden(b));
    if ok {
        Ok(())
    } else {
        Err(invalid("prefix", PROBLEM))
    }
}

fn invalid(option: &'static str, problem: &'static str) -> Error {
    Error::InvalidStoreOption { option, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_visible_ascii_pass() {
        for good in ["a", "session:", "shop:v2:session:", &"x".repeat(64)] {
            assert!(check_prefix(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn prefixes_that_reach_other_keys_or_slots_fail() {
        let long = "x".repeat(65);
        for bad in [
            "", " ", "a b", "a\0", "{a}", "a}", "a*", "a?", "[a]", "a\\", &long,
        ] {
            let err = check_prefix(bad).unwrap_err();
            assert!(matches!(
                err,
                Error::InvalidStoreOption {
                    option: "prefix",
                    ..
                }
            ));
        }
    }

    #[test]
    fn timeouts_above_a_day_fail() {
        let options = RedisOptions::new().connect_timeout(Duration::from_secs(86_401));
        assert!(options.check().is_err());
    }
}
