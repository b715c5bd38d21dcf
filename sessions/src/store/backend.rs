//! The `Backend` trait: what a custom server-side store implements.

use std::future::Future;

use crate::codec::UnixTime;
use crate::error::Result;
use crate::id::SessionId;
use crate::store::{OwnerId, Record};

/// Where a server-side store keeps records: a database, a directory, a
/// cache. Wrap one in [`ServerStore`](crate::store::ServerStore) to get a
/// [`Store`](crate::store::Store).
///
/// Implement the methods with plain `async fn`; the futures they return
/// must be `Send` (hold no `Rc` or `std` mutex guard across an `.await`),
/// because a store serves requests on any thread of a multi-threaded
/// runtime. The compiler checks it at your `impl`.
///
/// The ids a backend sees were made by [`SessionId::generate`] and
/// validated: they are 43 characters of `[A-Za-z0-9_-]` in their text
/// form, safe as file names and keys.
///
/// Every method must keep these promises; the `sessions-conformance`
/// crate's `store_tests!` suite checks them:
///
/// - Liveness is judged at the `now` each call is given, never by reading
///   a clock, so every method agrees on one instant and tests can pin it.
/// - **create** is insert-if-absent: it writes the record and returns
///   `true` only when no live record has this id; otherwise it changes
///   nothing and returns `false`.
/// - **load** returns the record last written under `id`, or `None` when
///   there is none or it has expired (`now >= times.expires_at`). It never
///   returns a torn or partial record, nor a record written under another
///   id (one copied or moved there): that is [`Error::Decode`]. A record
///   whose payload is over `max_len` bytes is [`Error::RecordTooLarge`];
///   a backend that keeps bytes should not even read it whole
///   ([`Record::read_limit`]).
/// - **update** is compare-and-set on the record's version: it writes
///   `record` only if a live record is stored under `id` and its
///   [`version`](Record::version) is exactly `expected`, and then returns
///   [`Update::Written`]. A live record of another version is left as it
///   is: [`Update::Stale`]. With no live record (never written, deleted,
///   expired) nothing is written: [`Update::Missing`]. The check and the
///   write are one atomic step, so of many updates with the same
///   `expected` at most one is `Written`, and a deleted session never
///   comes back through an update racing the delete. Versions never go
///   back: the caller passes a record whose version is `expected + 1`,
///   and the backend stores it as given.
/// - **create** stores the record with the version it carries (the store
///   gives new sessions version 1), and **load** returns the version that
///   was stored, in [`Record::version`].
/// - **delete** removes the record and says whether there was one;
///   deleting a missing id is not an error. The answer is what lets a
///   `renew` that raced a `destroy` (or another `renew`) notice that it lost,
///   and write nothing.
/// - **`cleanup_expired`** removes records whose lifetime is over and
///   returns how many; backends with native expiry may return 0.
/// - **owned** is the owner index: the live records whose
///   [`owner`](Record::owner) is the given one, with their ids. A record
///   is in it from the `create` or `update` that wrote it with that owner
///   until the write that changes its owner, its `delete`, or its expiry,
///   and never after: an index entry must not outlive its session. A
///   backend may keep entries it has not cleaned yet (a deleted session's,
///   an expired one's) as long as `owned` never returns them: it can
///   check each entry against the record, whose owner is authoritative.
/// - Failures of the backend itself (I/O, network) are `Err`, never a
///   silent `None`/`false`.
///
/// A backend that keeps bytes stores [`Record::encode`] under the id and
/// reads it back with [`Record::decode`], which keeps the promises on ids
/// and sizes for it; the version is in the encoded header (bytes 40 to 48,
/// big endian), where `update` can compare it, or in a column of its own
/// beside the bytes. The store checks sizes before `create` and `update`,
/// so a backend need not.
///
/// The contract, through [`MemoryBackend`](crate::store::MemoryBackend):
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime, Update};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let backend = MemoryBackend::new(10);
/// let (id, now) = (SessionId::generate(), UnixTime::now());
/// let record = Record::new(vec![1], Times::fresh(now, Duration::from_secs(60)));
///
/// assert!(backend.create(&id, &record, now).await?);
/// assert!(!backend.create(&id, &record, now).await?); // insert-if-absent
/// assert_eq!(backend.load(&id, now, 1024).await?, Some(record.clone()));
///
/// // Two saves that both read version 1: the first lands, the second is stale.
/// let first = Record::new(vec![2], record.times).with_version(2);
/// let second = Record::new(vec![3], record.times).with_version(2);
/// assert_eq!(backend.update(&id, 1, &first, now).await?, Update::Written);
/// assert_eq!(backend.update(&id, 1, &second, now).await?, Update::Stale);
/// assert_eq!(backend.load(&id, now, 1024).await?, Some(first));
///
/// assert!(backend.delete(&id).await?);
/// let again = record.with_version(3);
/// assert_eq!(backend.update(&id, 2, &again, now).await?, Update::Missing); // stays deleted
/// assert_eq!(backend.load(&id, now, 1024).await?, None);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
///
/// A backend of your own, with `async fn` (this one keeps nothing; see the
/// SQLite backend in the repository's `examples/` for a real one):
///
/// ```
/// use sessions::store::{Backend, OwnerId, Record, SessionId, UnixTime, Update};
/// use sessions::{Key, Result, store::ServerStore};
///
/// struct Void;
///
/// impl Backend for Void {
///     fn kind(&self) -> &'static str {
///         "void"
///     }
///     async fn create(&self, _: &SessionId, _: &Record, _: UnixTime) -> Result<bool> {
///         Ok(true)
///     }
///     async fn load(&self, _: &SessionId, _: UnixTime, _: usize) -> Result<Option<Record>> {
///         Ok(None)
///     }
///     async fn update(&self, _: &SessionId, _: u64, _: &Record, _: UnixTime) -> Result<Update> {
///         Ok(Update::Missing)
///     }
///     async fn delete(&self, _: &SessionId) -> Result<bool> {
///         Ok(false)
///     }
///     async fn cleanup_expired(&self, _: UnixTime) -> Result<usize> {
///         Ok(0)
///     }
///     async fn owned(&self, _: &OwnerId, _: UnixTime, _: usize) -> Result<Vec<(SessionId, Record)>> {
///         Ok(Vec::new())
///     }
/// }
///
/// let store = ServerStore::from_backend(Void, Key::generate());
/// assert_eq!(store.backend().kind(), "void");
/// ```
///
/// [`Error::Decode`]: crate::Error::Decode
/// [`Error::RecordTooLarge`]: crate::Error::RecordTooLarge
pub trait Backend: Send + Sync + 'static {
    /// A short name of the kind of backend (`"files"`, `"memory"`, ...),
    /// bound into the cookies that carry its ids.
    fn kind(&self) -> &'static str;

    /// Inserts `record` under `id` if no live record (one not expired at
    /// `now`) has it.
    fn create(
        &self,
        id: &SessionId,
        record: &Record,
        now: UnixTime,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The live record under `id`, its payload at most `max_len` bytes.
    fn load(
        &self,
        id: &SessionId,
        now: UnixTime,
        max_len: usize,
    ) -> impl Future<Output = Result<Option<Record>>> + Send;

    /// Replaces the record under `id` with `record`, if the one live at
    /// `now` is at version `expected`: compare-and-set, as the trait's
    /// docs say.
    fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> impl Future<Output = Result<Update>> + Send;

    /// Removes the record under `id`; `true` when there was one.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send;

    /// Removes expired records; returns how many.
    fn cleanup_expired(&self, now: UnixTime) -> impl Future<Output = Result<usize>> + Send;

    /// The records live at `now` whose owner is `owner`, with their ids,
    /// in no particular order; each payload at most `max_len` bytes (a
    /// larger one is [`Error::RecordTooLarge`](crate::Error::RecordTooLarge), as for `load`).
    fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> impl Future<Output = Result<Vec<(SessionId, Record)>>> + Send;
}

/// What [`Backend::update`] did.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime, Update};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (backend, id, now) = (MemoryBackend::new(10), SessionId::generate(), UnixTime::now());
/// let v1 = Record::new(vec![1], Times::fresh(now, Duration::from_secs(60)));
/// let v2 = v1.clone().with_version(2);
///
/// assert_eq!(backend.update(&id, 1, &v2, now).await?, Update::Missing);
/// backend.create(&id, &v1, now).await?;
/// assert_eq!(backend.update(&id, 1, &v2, now).await?, Update::Written);
/// assert_eq!(backend.update(&id, 1, &v2, now).await?, Update::Stale);
/// assert!(Update::Written.is_written() && !Update::Stale.is_written());
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Update {
    /// The live record was at the expected version: `record` replaced it.
    Written,
    /// The live record is at another version (another request saved the
    /// session since this one read it): nothing was written.
    Stale,
    /// No live record under the id (never written, deleted, expired):
    /// nothing was written.
    Missing,
}

impl Update {
    /// Whether the record was written.
    ///
    /// ```
    /// use sessions::store::Update;
    ///
    /// assert!(Update::Written.is_written());
    /// assert!(!Update::Stale.is_written() && !Update::Missing.is_written());
    /// ```
    #[must_use]
    pub fn is_written(self) -> bool {
        self == Self::Written
    }
}
