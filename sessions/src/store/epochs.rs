//! [`Epochs`]: revocation epochs of owners, so that cookie sessions can be
//! logged out everywhere.
//!
//! A cookie session keeps everything in its browser; the server cannot
//! delete it. What it can do is remember, per owner, a number that "log
//! out everywhere" raises: each cookie of an owned session carries the
//! number it was sealed under, and a cookie under an older one loads as a
//! fresh session.
//!
//! The numbers live in any [`Backend`], each as a tiny record under an id
//! derived from the owner (its payload the epoch, 8 bytes big endian), so a
//! store the app already runs serves them. A load reads the owner's epoch
//! at most once per cache interval per app server: that interval is how
//! long a revoked cookie may still load on another server.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::codec::{Times, UnixTime};
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::{Backend, BoxFuture, OwnerId, Record, Update};

/// How long an epoch record lives after it was last raised: longer than
/// any cookie (browsers cap them at 400 days).
const EPOCH_LIFETIME: Duration = Duration::from_hours(24 * 365 * 10);

/// Bounds the cache: past this many owners it starts again empty.
const MAX_CACHED: usize = 100_000;

/// How many times a raise meets another raise before it gives up.
const MAX_RAISE_ATTEMPTS: u32 = 16;

/// Revocation epochs of session owners, for a
/// [`CookieStore`](crate::CookieStore) that can log its owners out
/// everywhere ([`CookieStore::with_epochs`](crate::CookieStore::with_epochs)).
///
/// `cache` is how long an app server trusts an owner's epoch it read: a
/// cookie revoked on one server may still load on another for that long
/// (on the server that revoked it, never). `Duration::ZERO` reads the
/// epoch on every load of an owned cookie session.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Epochs, MemoryBackend, OwnerId};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let epochs = Epochs::new(MemoryBackend::new(1_000), Duration::from_secs(5));
/// let ada = OwnerId::new("user", "ada");
/// assert_eq!(epochs.current(&ada).await?, 0);
/// assert_eq!(epochs.raise(&ada).await?, 1);
/// assert_eq!(epochs.current(&ada).await?, 1);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct Epochs {
    source: Arc<dyn Source>,
    cache: Duration,
    cached: Arc<Mutex<HashMap<OwnerId, (u64, Instant)>>>,
}

impl fmt::Debug for Epochs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epochs")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Epochs {
    /// Epochs kept in `backend`, trusted for `cache` once read.
    #[must_use]
    pub fn new<B: Backend>(backend: B, cache: Duration) -> Self {
        Self {
            source: Arc::new(backend),
            cache,
            cached: Arc::default(),
        }
    }

    /// How long a read epoch is trusted.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use sessions::store::{Epochs, MemoryBackend};
    /// let epochs = Epochs::new(MemoryBackend::new(10), Duration::from_secs(5));
    /// assert_eq!(epochs.cache_interval(), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn cache_interval(&self) -> Duration {
        self.cache
    }

    /// `owner`'s epoch: 0 until it is first raised.
    ///
    /// # Errors
    ///
    /// When the backend fails: the caller fails closed.
    pub async fn current(&self, owner: &OwnerId) -> Result<u64> {
        if let Some(epoch) = self.fresh(owner) {
            return Ok(epoch);
        }
        let epoch = self.read(owner).await?.map_or(0, |(epoch, _)| epoch);
        self.remember(owner, epoch);
        Ok(epoch)
    }

    /// Raises `owner`'s epoch, revoking every cookie sealed under an older
    /// one; the new epoch.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use sessions::store::{Epochs, MemoryBackend, OwnerId};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let epochs = Epochs::new(MemoryBackend::new(10), Duration::from_secs(60));
    /// let bob = OwnerId::new("user", "bob");
    /// assert_eq!(epochs.raise(&bob).await?, 1);
    /// assert_eq!(epochs.raise(&bob).await?, 2);
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the backend fails, or other raises of the same owner keep
    /// winning.
    pub async fn raise(&self, owner: &OwnerId) -> Result<u64> {
        let id = epoch_id(owner);
        for _ in 0..MAX_RAISE_ATTEMPTS {
            let now = UnixTime::now();
            let raised = match self.read(owner).await? {
                None => {
                    let record = epoch_record(1, now);
                    self.source.create(&id, &record, now).await?.then_some(1)
                }
                Some((epoch, version)) => {
                    let next = epoch.saturating_add(1);
                    let record = epoch_record(next, now).with_version(version + 1);
                    let update = self.source.update(&id, version, &record, now).await?;
                    (update == Update::Written).then_some(next)
                }
            };
            if let Some(epoch) = raised {
                self.remember(owner, epoch);
                return Ok(epoch);
            }
        }
        Err(Error::Backend(
            "another request kept raising the same owner's epoch".into(),
        ))
    }

    /// The stored epoch and its record's version.
    async fn read(&self, owner: &OwnerId) -> Result<Option<(u64, u64)>> {
        let record = self.source.load(&epoch_id(owner), UnixTime::now()).await?;
        record
            .map(|record| {
                let bytes: [u8; 8] =
                    record.payload.as_slice().try_into().map_err(|_| {
                        Error::Backend("an epoch record is not 8 bytes long".into())
                    })?;
                Ok((u64::from_be_bytes(bytes), record.version))
            })
            .transpose()
    }

    fn fresh(&self, owner: &OwnerId) -> Option<u64> {
        let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let &(epoch, read_at) = cached.get(owner)?;
        (read_at.elapsed() < self.cache).then_some(epoch)
    }

    fn remember(&self, owner: &OwnerId, epoch: u64) {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.len() >= MAX_CACHED {
            cached.clear();
        }
        // A raise here is newer than any read: never step back.
        let entry = cached.entry(*owner).or_insert((epoch, Instant::now()));
        *entry = (entry.0.max(epoch), Instant::now());
    }
}

/// The id of `owner`'s epoch record: a digest, valid as any id, that no
/// session id can collide with in practice.
fn epoch_id(owner: &OwnerId) -> SessionId {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(b"sessions epoch\0")
        .chain_update(owner.as_bytes())
        .finalize()
        .into();
    SessionId::from_bytes(&digest).expect("32 bytes are an id")
}

fn epoch_record(epoch: u64, now: UnixTime) -> Record {
    Record::new(
        epoch.to_be_bytes().to_vec(),
        Times::fresh(now, EPOCH_LIFETIME),
    )
}

/// What [`Epochs`] needs of a backend, object-safe.
trait Source: Send + Sync + 'static {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>>;
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>>;
    fn update<'a>(
        &'a self,
        id: &'a SessionId,
        expected: u64,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Update>>;
}

impl<B: Backend> Source for B {
    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(Backend::load(self, id, now, 8))
    }
    fn create<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(Backend::create(self, id, record, now))
    }
    fn update<'a>(
        &'a self,
        id: &'a SessionId,
        expected: u64,
        record: &'a Record,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Update>> {
        Box::pin(Backend::update(self, id, expected, record, now))
    }
}
