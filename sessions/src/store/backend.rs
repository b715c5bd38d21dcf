//! The `Backend` trait: what a custom server-side store implements.

use crate::codec::{Times, UnixTime};
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::BoxFuture;

/// A session as a backend keeps it: the encoded session and its times.
///
/// ```
/// use sessions::store::{Times, UnixTime};
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

/// Marks the byte form of a record: "sessions record", format 1.
const RECORD_MAGIC: [u8; 4] = *b"SSR1";
const RECORD_HEADER_LEN: usize = RECORD_MAGIC.len() + 3 * 8;

impl Record {
    /// A record of `payload` with `times`.
    ///
    /// ```
    /// # use sessions::store::*;
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
    /// # use sessions::store::*;
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(1));
    /// assert!(Record::new(vec![], t).is_expired(UnixTime::from_secs(2)));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now >= self.times.expires_at
    }

    /// The record as bytes, for backends that store blobs: a magic number,
    /// the three times (u64, big endian), then the payload.
    ///
    /// ```
    /// # use sessions::store::*;
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(9));
    /// let record = Record::new(vec![1, 2, 3], t);
    /// assert_eq!(Record::from_bytes(&record.to_bytes(), 1024)?, record);
    /// # Ok::<(), sessions::Error>(())
    /// ```
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(RECORD_HEADER_LEN + self.payload.len());
        bytes.extend_from_slice(&RECORD_MAGIC);
        for time in [
            self.times.created_at,
            self.times.issued_at,
            self.times.expires_at,
        ] {
            bytes.extend_from_slice(&time.as_secs().to_be_bytes());
        }
        bytes.extend_from_slice(&self.payload);
        bytes
    }

    /// Reads [`to_bytes`](Self::to_bytes) back. Anything else, or a payload
    /// over `max_payload_len`, is an error, never a panic.
    ///
    /// ```
    /// use sessions::{Error, store::Record};
    /// assert!(matches!(Record::from_bytes(b"not a record", 1024), Err(Error::Decode(_))));
    /// ```
    pub fn from_bytes(bytes: &[u8], max_payload_len: usize) -> Result<Self> {
        let corrupt = |what: &str| Error::Decode(format!("stored session record: {what}").into());
        let (header, payload) = bytes
            .split_at_checked(RECORD_HEADER_LEN)
            .ok_or_else(|| corrupt("truncated header"))?;
        if header[..RECORD_MAGIC.len()] != RECORD_MAGIC {
            return Err(corrupt("unknown format"));
        }
        if payload.len() > max_payload_len {
            return Err(Error::RecordTooLarge {
                len: payload.len(),
                max: max_payload_len,
            });
        }
        let time = |index: usize| {
            let start = RECORD_MAGIC.len() + 8 * index;
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&header[start..start + 8]);
            UnixTime::from_secs(u64::from_be_bytes(bytes))
        };
        let (created_at, issued_at, expires_at) = (time(0), time(1), time(2));
        Ok(Self::new(
            payload.to_vec(),
            Times {
                created_at,
                issued_at,
                expires_at,
            },
        ))
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
/// - Liveness is judged at the `now` each call is given, never by reading
///   a clock, so every method agrees on one instant and tests can pin it.
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
/// - **delete** removes the record and says whether there was one;
///   deleting a missing id is not an error. The answer is what lets a
///   `renew` that raced a `destroy` (or another `renew`) notice that it lost,
///   and write nothing.
/// - **`cleanup_expired`** removes records whose lifetime is over and
///   returns how many; backends with native expiry may return 0.
/// - Failures of the backend itself (I/O, network) are `Err`, never a
///   silent `None`/`false`.
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
/// assert_eq!(backend.load(&id, now).await?, Some(record.clone()));
/// assert!(backend.delete(&id).await?);
/// assert!(!backend.update(&id, &record, now).await?); // a deleted session stays deleted
/// assert_eq!(backend.load(&id, now).await?, None);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub trait Backend: Send + Sync + 'static {
    /// A short name of the kind of backend (`"files"`, `"memory"`, ...),
    /// bound into the cookies that carry its ids.
    fn kind(&self) -> &'static str;

    /// Inserts `record` under `id` if no live record (one not expired at
    /// `now`) has it.
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>>;

    /// The live record under `id`.
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>>;

    /// Replaces the record under `id`, if there is one live at `now`.
    fn update<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Removes the record under `id`; `true` when there was one.
    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>>;

    /// Removes expired records; returns how many.
    fn cleanup_expired(&self, now: UnixTime) -> BoxFuture<'_, Result<usize>>;
}
