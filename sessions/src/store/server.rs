//! `ServerStore`: a [`Backend`] behind the [`Store`] contract.

use std::ops::ControlFlow;

use crate::codec::{Binding, Codec, UnixTime};
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::protocol::Sealed;
use crate::store::{
    Backend, BoxFuture, Loaded, OwnedRecord, OwnerId, Record, Save, SaveOutcome, Saved, Store,
    Update,
};

mod owners;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod versions;

/// Default limit on one encoded session kept on a server.
///
/// ```
/// use sessions::store::DEFAULT_MAX_RECORD_LEN;
/// use sessions::{Error, Key, MapSession, MemoryStore, SessionConfig, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new(Key::generate());
/// assert_eq!(store.max_record_len(), DEFAULT_MAX_RECORD_LEN);
///
/// let sessions = Sessions::new(store);
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
/// let session = MapSession::load(&req, SessionConfig::new("user")).await?;
/// session.insert("notes", &"x".repeat(DEFAULT_MAX_RECORD_LEN))?;
/// let Err(Error::Save(errors)) = sessions::save(&req, &mut http::Response::new(())).await
/// else { panic!("a session over the limit must not save") };
/// let [("user", Error::RecordTooLarge { max, .. })] = errors.failures() else { panic!() };
/// assert_eq!(*max, DEFAULT_MAX_RECORD_LEN);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub const DEFAULT_MAX_RECORD_LEN: usize = 64 * 1024;

/// How many fresh ids to try before giving up on `create`: with 256-bit
/// ids a second try means the backend is broken, not unlucky.
const CREATE_ATTEMPTS: usize = 3;

/// Sessions kept by a [`Backend`] under random ids; the cookie carries only
/// the id, sealed like any other value and bound to the cookie name and the
/// backend's kind.
///
/// Ids are made here and nowhere else: a cookie whose record is missing or
/// expired gives a new session with a new id, and `renew` writes a new id
/// and deletes the old record.
///
/// The record size limit ([`with_max_record_len`](Self::with_max_record_len))
/// is the store's one knob for sizes: it refuses larger saves before the
/// backend sees them, and is handed to [`Backend::load`] so that a larger
/// record found under an id (written by another build, or by hand) is an
/// error instead of a session.
///
/// ```
/// use sessions::{Key, MemoryStore};
/// use sessions::store::Store;
///
/// let store = MemoryStore::new(Key::generate());
/// assert_eq!(store.kind(), "memory");
/// ```
#[derive(Clone, Debug)]
pub struct ServerStore<B> {
    backend: B,
    codec: Codec,
    max_record_len: usize,
}

impl<B: Backend> ServerStore<B> {
    /// A store over `backend`, sealing ids with `keys`. Ids are encrypted
    /// like cookie sessions: the client never sees the raw id, and AES-GCM's
    /// nonce and tag are 4 bytes shorter than an HMAC-SHA256 tag.
    ///
    /// ```
    /// use sessions::Key;
    /// use sessions::store::{MemoryBackend, ServerStore, Store};
    ///
    /// let store = ServerStore::from_backend(MemoryBackend::new(10), Key::generate());
    /// assert_eq!(store.kind(), "memory");
    /// ```
    #[must_use]
    pub fn from_backend(backend: B, keys: impl Into<KeyRing>) -> Self {
        Self {
            backend,
            codec: Codec::new(keys),
            max_record_len: DEFAULT_MAX_RECORD_LEN,
        }
    }

    /// Limits the size of one encoded session, on save and on load: a
    /// larger save, or a larger record found by a load, fails with
    /// [`Error::RecordTooLarge`].
    ///
    /// ```
    /// use sessions::{Error, Key, MapSession, MemoryStore, SessionConfig, Sessions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new(Key::generate()).with_max_record_len(1024);
    /// assert_eq!(store.max_record_len(), 1024);
    ///
    /// let sessions = Sessions::new(store);
    /// let mut req = http::Request::new(());
    /// sessions.attach(&mut req);
    /// MapSession::load(&req, SessionConfig::new("user")).await?.insert("n", &"x".repeat(2000))?;
    /// let err = sessions::save(&req, &mut http::Response::new(())).await.unwrap_err();
    /// assert!(matches!(&err, Error::Save(e) if matches!(e.failures()[0].1, Error::RecordTooLarge { max: 1024, .. })));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn with_max_record_len(mut self, max: usize) -> Self {
        self.max_record_len = max;
        self
    }

    /// The record size limit.
    ///
    /// ```
    /// # use sessions::{Key, MemoryStore};
    /// assert_eq!(MemoryStore::new(Key::generate()).max_record_len(), 64 * 1024);
    /// ```
    #[must_use]
    pub fn max_record_len(&self) -> usize {
        self.max_record_len
    }

    /// The backend.
    ///
    /// ```
    /// # use sessions::{Key, MemoryStore};
    /// let store = MemoryStore::new(Key::generate());
    /// assert!(store.backend().is_empty());
    /// ```
    #[must_use]
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Removes expired records now; returns how many.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::{Key, MemoryStore};
    /// use sessions::store::{Backend, Record, SessionId, Times, UnixTime};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new(Key::generate());
    /// let now = UnixTime::now();
    /// let live = Times::fresh(now, Duration::from_secs(60));
    /// let over = Times::fresh(UnixTime::from_secs(1_000), Duration::from_secs(60)); // in 1970
    /// for times in [live, over] {
    ///     store.backend().create(&SessionId::generate(), &Record::new(vec![1], times), now).await?;
    /// }
    /// assert_eq!(store.backend().len(), 2);
    ///
    /// assert_eq!(store.cleanup_expired().await?, 1);
    /// assert_eq!(store.backend().len(), 1);
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn cleanup_expired(&self) -> Result<usize> {
        self.backend.cleanup_expired(UnixTime::now()).await
    }

    fn binding<'a>(&self, name: &'a str) -> Binding<'a> {
        Binding::new(name, self.backend.kind())
    }

    /// The id sealed in `cookie`, if it opens and holds an id.
    fn open_id(&self, name: &str, cookie: &str, now: UnixTime) -> Option<(SessionId, bool)> {
        match self.codec.open_bytes(&self.binding(name), cookie, now) {
            Ok(opened) => SessionId::from_bytes(&opened.value).map(|id| (id, opened.by_primary)),
            Err(reason) => {
                tracing::debug!(cookie = name, %reason, "session cookie rejected");
                None
            }
        }
    }

    async fn load_id(&self, name: &str, cookie: &str, now: UnixTime) -> Result<Option<Loaded>> {
        let Some((id, by_primary)) = self.open_id(name, cookie, now) else {
            return Ok(None);
        };
        let Some(mut loaded) = self.load_record(id, now).await? else {
            tracing::debug!(cookie = name, "session record missing or expired");
            return Ok(None);
        };
        loaded.stale_key = !by_primary;
        Ok(Some(loaded))
    }

    /// The live record under `id`, as a session sealed with the primary
    /// key.
    async fn load_record(&self, id: SessionId, now: UnixTime) -> Result<Option<Loaded>> {
        let max = self.max_record_len;
        let Some(record) = self.backend.load(&id, now, max).await? else {
            return Ok(None);
        };
        // Checked again here, whatever the backend did: the promises of
        // `Backend::load` are the store's promises too.
        if record.payload.len() > max {
            let len = record.payload.len();
            return Err(Error::RecordTooLarge { len, max });
        }
        if record.is_expired(now) {
            return Ok(None);
        }
        Ok(Some(loaded(record, id)))
    }

    async fn save_record(&self, save: Save<'_>) -> Result<SaveOutcome> {
        if save.payload.len() > self.max_record_len {
            return Err(Error::RecordTooLarge {
                len: save.payload.len(),
                max: self.max_record_len,
            });
        }
        let record = Record::new(save.payload.to_vec(), save.times).with_owner(save.owner);
        let previous = save
            .previous
            .and_then(|loaded| Some((loaded.id.clone()?, loaded.version)));
        let landed = match previous {
            Some((id, expected)) if !save.renew => self.update(id, expected, record).await?,
            previous => self.insert(record, previous.map(|(id, _)| id)).await?,
        };
        let (id, record) = match landed {
            ControlFlow::Continue(landed) => landed,
            ControlFlow::Break(outcome) => return Ok(outcome),
        };
        let value = self
            .codec
            .seal_bytes(&self.binding(save.name), save.times, id.as_bytes())?;
        let loaded = loaded(record, id);
        Ok(SaveOutcome::Saved(Saved { value, loaded }))
    }

    /// Writes `record` as the version after `expected` of `id`. On a
    /// conflict, the newer record is loaded for the caller to merge into;
    /// it must be newer than `expected`, or the backend broke its contract
    /// and the save fails instead of looping.
    async fn update(&self, id: SessionId, expected: u64, record: Record) -> Result<Landed> {
        let version = expected
            .checked_add(1)
            .ok_or_else(|| Error::Backend("the session's version is at its maximum".into()))?;
        let record = record.with_version(version);
        let now = record.times.issued_at;
        let newer = match self.backend.update(&id, expected, &record, now).await? {
            Update::Written => return Ok(ControlFlow::Continue((id, record))),
            Update::Missing => return Ok(ControlFlow::Break(SaveOutcome::Deleted)),
            Update::Stale => self.load_record(id, now).await?,
        };
        Ok(ControlFlow::Break(match newer {
            Some(newer) if newer.version <= expected => {
                return Err(Error::Backend(
                    "the backend called an update stale, yet loads no newer version".into(),
                ));
            }
            Some(newer) => SaveOutcome::Conflict(newer),
            // Deleted between the update and the load.
            None => SaveOutcome::Deleted,
        }))
    }

    /// Writes `record` under a new id; renewing, retires `previous`, and
    /// writes nothing that lasts when it was deleted meanwhile.
    async fn insert(&self, record: Record, previous: Option<SessionId>) -> Result<Landed> {
        let id = self.create(&record).await?;
        // Renewing: the old record must still be ours to retire. If a
        // concurrent destroy (or renew) took it first, this session is
        // over; the new record must not outlive it.
        if let Some(old) = previous
            && !self.backend.delete(&old).await?
        {
            self.backend.delete(&id).await?;
            return Ok(ControlFlow::Break(SaveOutcome::Deleted));
        }
        Ok(ControlFlow::Continue((id, record)))
    }

    async fn create(&self, record: &Record) -> Result<SessionId> {
        for _ in 0..CREATE_ATTEMPTS {
            let id = SessionId::generate();
            if self
                .backend
                .create(&id, record, record.times.issued_at)
                .await?
            {
                return Ok(id);
            }
        }
        Err(Error::Backend(
            "the backend refused every fresh id: create is not insert-if-absent".into(),
        ))
    }
}

/// Where a save landed, or how it ended without landing.
type Landed = ControlFlow<SaveOutcome, (SessionId, Record)>;

/// `record`, found or written under `id`, as a session sealed with the
/// primary key.
fn loaded(record: Record, id: SessionId) -> Loaded {
    let mut loaded = Loaded::new(record.payload, record.times);
    loaded.id = Some(id);
    loaded.version = record.version;
    loaded.owner = record.owner;
    loaded
}

impl<B: Backend> Sealed for ServerStore<B> {
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(self.save_record(save))
    }

    fn owned<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Vec<OwnedRecord>>> {
        Box::pin(self.list_owned(name, owner, now))
    }

    fn revoke<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        handle: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.revoke_handle(name, owner, handle, now))
    }

    fn revoke_all<'a>(
        &'a self,
        _name: &'a str,
        owner: &'a OwnerId,
        keep: Option<&'a SessionId>,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<usize>> {
        Box::pin(self.revoke_owned(owner, keep, now))
    }
}

impl<B: Backend> Store for ServerStore<B> {
    fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    fn load<'a>(
        &'a self,
        name: &'a str,
        cookie: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Loaded>>> {
        Box::pin(self.load_id(name, cookie, now))
    }

    fn delete<'a>(&'a self, _name: &'a str, loaded: &'a Loaded) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match &loaded.id {
                Some(id) => self.backend.delete(id).await.map(drop),
                None => Ok(()),
            }
        })
    }
}
