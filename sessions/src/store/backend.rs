//! The `Backend` trait: what a custom server-side store implements.

use crate::codec::{Times, UnixTime};
use crate::error::Result;
use crate::id::SessionId;
use crate::store::BoxFuture;

/// A session as a backend keeps it: the encoded session and its times.
///
/// ```
/// use sessions::codec::{Times, UnixTime};
/// use sessions::store::Record;
///
/// let now = UnixTime::from_secs(100);
/// let record = Record::new(vec![1, 2], Times::fresh(now, std::time::Duration::from_secs(10)));
/// assert!(!record.is_expired(now));
/// assert!(record.is_expired(UnixTime::from_secs(110)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The encoded session, opaque to the backend.
    pub payload: Vec<u8>,
    /// Created, last saved, and when it expires.
    pub times: Times,
}

impl Record {
    /// A record of `payload` with `times`.
    ///
    /// ```
    /// # use sessions::{codec::*, store::Record};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// assert_eq!(Record::new(vec![7], t).payload, [7]);
    /// ```
    #[must_use]
    pub fn new(payload: Vec<u8>, times: Times) -> Self {
        Self { payload, times }
    }

    /// Whether the record's lifetime is over at `now`.
    ///
    /// ```
    /// # use sessions::{codec::*, store::Record};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(1));
    /// assert!(Record::new(vec![], t).is_expired(UnixTime::from_secs(2)));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now >= self.times.expires_at
    }
}

/// Where a server-side store keeps records: a database, a directory, a
/// cache. Wrap one in [`ServerStore`](crate::store::ServerStore) to get a
/// [`Store`](crate::store::Store).
///
/// The ids a backend sees were made by
/// [`SessionId::generate`] and validated: they are 43 characters of
/// `[A-Za-z0-9_-]` in their text form, safe as file names and keys.
///
/// Every method must keep these promises; the `store_tests!` conformance
/// suite (in the workspace's tests crate) checks them:
///
/// - **create** is insert-if-absent: it writes the record and returns
///   `true` only when no live record has this id; otherwise it changes
///   nothing and returns `false`.
/// - **load** returns the record last written under `id`, or `None` when
///   there is none or it has expired (`now >= times.expires_at`). It never
///   returns a torn or partial record.
/// - **update** is update-if-present: it replaces a live record and
///   returns `true`, or, when there is none (deleted, expired), writes
///   nothing and returns `false`. A deleted session must never come back
///   through an update racing the delete.
/// - **delete** removes the record; deleting a missing id is not an error.
/// - **cleanup_expired** removes records whose lifetime is over and
///   returns how many; backends with native expiry may return 0.
/// - Failures of the backend itself (I/O, network) are `Err`, never a
///   silent `None`/`false`.
pub trait Backend: Send + Sync + 'static {
    /// A short name of the kind of backend (`"files"`, `"memory"`, ...),
    /// bound into the cookies that carry its ids.
    fn kind(&self) -> &'static str;

    /// Inserts `record` under `id` if no live record has it.
    fn create<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>>;

    /// The live record under `id`.
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>>;

    /// Replaces the live record under `id`, if there is one.
    fn update<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>>;

    /// Removes the record under `id`.
    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<()>>;

    /// Removes expired records; returns how many.
    fn cleanup_expired(&self, now: UnixTime) -> BoxFuture<'_, Result<usize>>;
}
