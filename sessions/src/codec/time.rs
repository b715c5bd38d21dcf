//! Whole seconds since the Unix epoch, the clock of the envelope.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time as whole seconds since the Unix epoch.
///
/// The envelope stores times at one-second resolution; so does `Max-Age`.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::UnixTime;
///
/// let t = UnixTime::from_secs(1_700_000_000);
/// assert_eq!((t + Duration::from_secs(60)).as_secs(), 1_700_000_060);
/// assert!(UnixTime::now() > t);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The current time. A clock before 1970 reads as the epoch.
    ///
    /// ```
    /// assert!(sessions::store::UnixTime::now().as_secs() > 0);
    /// ```
    #[must_use]
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// The time `secs` seconds after the epoch.
    ///
    /// ```
    /// assert_eq!(sessions::store::UnixTime::from_secs(5).as_secs(), 5);
    /// ```
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    ///
    /// ```
    /// assert_eq!(sessions::store::UnixTime::from_secs(9).as_secs(), 9);
    /// ```
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The same instant as a [`SystemTime`].
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = sessions::store::UnixTime::from_secs(3);
    /// assert_eq!(t.to_system_time(), UNIX_EPOCH + Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0)
    }

    /// Time from `earlier` to `self`, zero when `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::UnixTime;
    /// let (a, b) = (UnixTime::from_secs(10), UnixTime::from_secs(4));
    /// assert_eq!(a.saturating_since(b), Duration::from_secs(6));
    /// assert_eq!(b.saturating_since(a), Duration::ZERO);
    /// ```
    #[must_use]
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for UnixTime {
    fn from(time: SystemTime) -> Self {
        Self(
            time.duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
        )
    }
}

impl std::ops::Add<Duration> for UnixTime {
    type Output = Self;

    /// Saturates at the end of time rather than overflowing.
    fn add(self, rhs: Duration) -> Self {
        Self(self.0.saturating_add(rhs.as_secs()))
    }
}

/// The three times an envelope carries, authenticated with the payload.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Times, UnixTime};
///
/// let now = UnixTime::from_secs(1_000);
/// let times = Times::fresh(now, Duration::from_secs(60));
/// assert_eq!(times.created_at, now);
/// assert_eq!(times.expires_at.as_secs(), 1_060);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Times {
    /// When the session was first created: the anchor of the absolute timeout.
    pub created_at: UnixTime,
    /// When this value was sealed.
    pub issued_at: UnixTime,
    /// When this value stops opening.
    pub expires_at: UnixTime,
}

impl Times {
    /// Times for a value created and issued at `now`, living for `lifetime`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Times, UnixTime};
    /// let t = Times::fresh(UnixTime::from_secs(1), Duration::from_secs(1));
    /// assert_eq!(t.issued_at, t.created_at);
    /// ```
    #[must_use]
    pub fn fresh(now: UnixTime, lifetime: Duration) -> Self {
        Self {
            created_at: now,
            issued_at: now,
            expires_at: now + lifetime,
        }
    }

    /// The same creation time, reissued at `now` for `lifetime`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Times, UnixTime};
    /// let first = Times::fresh(UnixTime::from_secs(1), Duration::from_secs(10));
    /// let later = first.reissued(UnixTime::from_secs(5), Duration::from_secs(10));
    /// assert_eq!(later.created_at.as_secs(), 1);
    /// assert_eq!(later.expires_at.as_secs(), 15);
    /// ```
    #[must_use]
    pub fn reissued(self, now: UnixTime, lifetime: Duration) -> Self {
        Self {
            created_at: self.created_at,
            issued_at: now,
            expires_at: now + lifetime,
        }
    }
}
