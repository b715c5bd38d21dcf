//! The `Backend` trait: what a custom server-side store implements.

use std::future::Future;

use crate::codec::UnixTime;
use crate::error::Result;
use crate::id::SessionId;
use crate::store::Record;

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
/// - **update** is update-if-present: it replaces a live record and
///   returns `true`, or, when there is none (deleted, expired), writes
///   nothing and returns `false`. A deleted session must never come back
///   through an update racing the delete.
/// - **delete** removes the record and says whether there was one;
///   deleting a missing id is not an error. The answer is what lets a
///   `renew` that raced a `destroy` (or another `renew`) notice that it lost,
///   and write nothing.
/// - **`cleanup_expired`** removes records whose lifetime is over and
///   returns how many; backends with native expiry may return 0.
/// - Failures of the backend itself (I/O, network) are `Err`, never a
///   silent `None`/`false`.
///
/// A backend that keeps bytes stores [`Record::encode`] under the id and
/// reads it back with [`Record::decode`], which keeps the promises on ids
/// and sizes for it. The store checks sizes before `create` and `update`,
/// so a backend need not.
///
/// The contract, through [`MemoryBackend`](crate::store::MemoryBackend):
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, MemoryBackend, Record, SessionId, Times, UnixTime};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let backend = MemoryBackend::new(10);
/// let (id, now) = (SessionId::generate(), UnixTime::now());
/// let record = Record::new(vec![1], Times::fresh(now, Duration::from_secs(60)));
///
/// assert!(backend.create(&id, &record, now).await?);
/// assert!(!backend.create(&id, &record, now).await?); // insert-if-absent
/// assert_eq!(backend.load(&id, now, 1024).await?, Some(record.clone()));
/// assert!(backend.delete(&id).await?);
/// assert!(!backend.update(&id, &record, now).await?); // a deleted session stays deleted
/// assert_eq!(backend.load(&id, now, 1024).await?, None);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
///
/// A backend of your own, with `async fn` (this one keeps nothing; see the
/// SQLite backend in the repository's `examples/` for a real one):
///
/// ```
/// use sessions::store::{Backend, Record, SessionId, UnixTime};
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
///     async fn update(&self, _: &SessionId, _: &Record, _: UnixTime) -> Result<bool> {
///         Ok(false)
///     }
///     async fn delete(&self, _: &SessionId) -> Result<bool> {
///         Ok(false)
///     }
///     async fn cleanup_expired(&self, _: UnixTime) -> Result<usize> {
///         Ok(0)
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

    /// Replaces the record under `id`, if there is one live at `now`.
    fn update(
        &self,
        id: &SessionId,
        record: &Record,
        now: UnixTime,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Removes the record under `id`; `true` when there was one.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send;

    /// Removes expired records; returns how many.
    fn cleanup_expired(&self, now: UnixTime) -> impl Future<Output = Result<usize>> + Send;
}
