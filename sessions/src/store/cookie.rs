//! `CookieStore`: the whole session sealed in the cookie.

use crate::codec::{Binding, Codec, MAX_SEALED_LEN, Mode, UnixTime};
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::owner::OWNER_LEN;
use crate::store::protocol::Sealed;
use crate::store::{
    BoxFuture, Epochs, Loaded, OwnedRecord, OwnerId, Save, SaveOutcome, Saved, Store,
};

const KIND: &str = "cookie";
/// What a cookie of a store with epochs is bound to instead of [`KIND`]:
/// its bytes start with an owner header, and a cookie of the other layout
/// must not open as this one.
const KIND_WITH_EPOCHS: &str = "cookie+epochs";

/// Keeps the whole session in the cookie, encrypted (the default) or signed.
///
/// Nothing is kept on the server, so a session cannot be revoked one by one
/// before it expires: `destroy` removes the cookie from the browser, but a
/// copy taken earlier still opens until its expiry. What can be revoked is
/// every session of an owner at once, with [`with_epochs`](Self::with_epochs);
/// use a server-side store where more matters.
///
/// Nor can two overlapping requests of one session merge their changes:
/// the browser keeps the last cookie it received, so the later response
/// wins whole, and a flash may be shown by both. Server-side stores merge
/// field by field and show each flash once (see the guide, "Two tabs, one
/// session").
///
/// ```
/// use sessions::{CookieStore, Key};
/// use sessions::store::Mode;
///
/// let encrypted = CookieStore::new(Key::generate());
/// assert_eq!(encrypted.mode(), Mode::Encrypted);
/// let signed = CookieStore::signed(Key::generate());
/// assert_eq!(signed.mode(), Mode::Signed);
/// ```
#[derive(Clone, Debug)]
pub struct CookieStore {
    codec: Codec,
    epochs: Option<Epochs>,
}

impl CookieStore {
    /// An encrypting cookie store (AES-256-GCM).
    ///
    /// ```
    /// let store = sessions::CookieStore::new(sessions::Key::generate());
    /// assert_eq!(store.mode(), sessions::store::Mode::Encrypted);
    /// ```
    #[must_use]
    pub fn new(keys: impl Into<KeyRing>) -> Self {
        Self {
            codec: Codec::new(keys),
            epochs: None,
        }
    }

    /// A signing cookie store (HMAC-SHA256): the client can read the session
    /// but not change it.
    ///
    /// ```
    /// let store = sessions::CookieStore::signed(sessions::Key::generate());
    /// assert_eq!(store.mode(), sessions::store::Mode::Signed);
    /// ```
    #[must_use]
    pub fn signed(keys: impl Into<KeyRing>) -> Self {
        Self {
            codec: Codec::new(keys).with_mode(Mode::Signed),
            epochs: None,
        }
    }

    /// Whether cookies are encrypted or only signed.
    ///
    /// ```
    /// let store = sessions::CookieStore::new(sessions::Key::generate());
    /// assert_eq!(store.mode(), sessions::store::Mode::Encrypted);
    /// ```
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.codec.mode()
    }

    /// Makes the sessions of this store revocable by owner: each cookie of
    /// an owned session carries its owner's epoch from `epochs`, "log out
    /// everywhere" ([`Handle::revoke_all`](crate::Handle::revoke_all),
    /// [`revoke_others`](crate::Handle::revoke_others)) raises it, and a
    /// cookie of an older epoch loads as a fresh session.
    ///
    /// The cookies of a store with epochs are bound to that choice: those
    /// sealed before it was made (or after it was undone) load as fresh
    /// sessions, once. A load of an owned session reads the owner's epoch
    /// from the backend at most once per [`Epochs::cache_interval`] on each
    /// app server; when the backend fails, the load fails closed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Epochs, MemoryBackend};
    /// use sessions::{CookieStore, Key};
    ///
    /// let epochs = Epochs::new(MemoryBackend::new(10_000), Duration::from_secs(10));
    /// let store = CookieStore::new(Key::generate()).with_epochs(epochs);
    /// assert_eq!(store.epochs().map(Epochs::cache_interval), Some(Duration::from_secs(10)));
    /// ```
    #[must_use]
    pub fn with_epochs(mut self, epochs: Epochs) -> Self {
        self.epochs = Some(epochs);
        self
    }

    /// The owners' epochs, if this store's sessions are revocable.
    ///
    /// ```
    /// assert!(sessions::CookieStore::new(sessions::Key::generate()).epochs().is_none());
    /// ```
    #[must_use]
    pub fn epochs(&self) -> Option<&Epochs> {
        self.epochs.as_ref()
    }

    /// What the seal is bound to: the cookie's name, and whether its bytes
    /// start with an owner and an epoch.
    fn binding<'a>(&self, name: &'a str) -> Binding<'a> {
        let kind = if self.epochs.is_some() {
            KIND_WITH_EPOCHS
        } else {
            KIND
        };
        Binding::new(name, kind)
    }

    async fn open(&self, name: &str, cookie: &str, now: UnixTime) -> Result<Option<Loaded>> {
        let opened = match self.codec.open_bytes(&self.binding(name), cookie, now) {
            Ok(opened) => opened,
            Err(reason) => {
                tracing::debug!(cookie = name, %reason, "session cookie rejected");
                return Ok(None);
            }
        };
        let (payload, owner) = match &self.epochs {
            None => (opened.value, None),
            Some(epochs) => {
                let Some((owned, payload)) = split_owner(&opened.value) else {
                    tracing::debug!(cookie = name, "session cookie without its owner header");
                    return Ok(None);
                };
                if let Some((owner, epoch)) = owned
                    && epoch < epochs.current(&owner).await?
                {
                    tracing::debug!(cookie = name, "session cookie of a revoked epoch");
                    return Ok(None);
                }
                (payload.to_vec(), owned.map(|(owner, _)| owner))
            }
        };
        let mut loaded = Loaded::new(payload, opened.times);
        loaded.stale_key = !opened.by_primary;
        loaded.owner = owner;
        Ok(Some(loaded))
    }

    async fn seal(&self, save: &Save<'_>) -> Result<String> {
        let prefixed;
        let bytes = match (&self.epochs, save.owner) {
            (None, _) => save.payload,
            (Some(_), None) => {
                prefixed = [&[NO_OWNER][..], save.payload].concat();
                &prefixed
            }
            (Some(epochs), Some(owner)) => {
                let epoch = epochs.current(&owner).await?;
                prefixed = [
                    &[OWNED][..],
                    owner.as_bytes(),
                    &epoch.to_be_bytes(),
                    save.payload,
                ]
                .concat();
                &prefixed
            }
        };
        self.codec
            .seal_bytes(&self.binding(save.name), save.times, bytes)
            .map_err(|err| match err {
                Error::PayloadTooLarge { len, max } => Error::CookieTooLarge {
                    session: save.name.to_owned(),
                    // What the value would have needed: the overflow added
                    // to the full budget, in base64 characters.
                    len: MAX_SEALED_LEN + (len - max).div_ceil(3) * 4,
                    max: MAX_SEALED_LEN,
                },
                other => other,
            })
    }
}

/// The first byte of a cookie's bytes under epochs: no owner follows.
const NO_OWNER: u8 = 0;
/// The first byte of a cookie's bytes under epochs: an owner and its epoch
/// follow.
const OWNED: u8 = 1;
/// Bytes of an owner and its epoch.
const OWNED_LEN: usize = OWNER_LEN + 8;

/// An owned cookie's owner and the epoch it was sealed under.
type OwnerEpoch = (OwnerId, u64);

/// The owner and epoch at the start of `bytes`, and the payload after
/// them; `None` when the header is malformed.
fn split_owner(bytes: &[u8]) -> Option<(Option<OwnerEpoch>, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    match tag {
        NO_OWNER => Some((None, rest)),
        OWNED => {
            let (header, payload) = rest.split_first_chunk::<OWNED_LEN>()?;
            let (owner, epoch) = header.split_at(OWNER_LEN);
            let owner = OwnerId::from_bytes(owner.try_into().ok()?);
            let epoch = u64::from_be_bytes(epoch.try_into().ok()?);
            Some((Some((owner, epoch)), payload))
        }
        _ => None,
    }
}

impl Sealed for CookieStore {
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(async move {
            // A cookie never conflicts: the browser keeps the last one it got.
            let value = self.seal(&save).await?;
            let mut loaded = Loaded::new(save.payload.to_vec(), save.times);
            loaded.owner = save.owner;
            Ok(SaveOutcome::Saved(Saved { value, loaded }))
        })
    }

    /// A cookie session lives in its browser: there is nothing to list.
    fn owned<'a>(
        &'a self,
        _name: &'a str,
        _owner: &'a OwnerId,
        _now: UnixTime,
    ) -> BoxFuture<'a, Result<Vec<OwnedRecord>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Nor one to revoke by handle.
    fn revoke<'a>(
        &'a self,
        _name: &'a str,
        _owner: &'a OwnerId,
        _handle: &'a str,
        _now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async { Ok(false) })
    }

    /// With epochs, raises the owner's epoch: every cookie of the owner
    /// sealed before stops loading (the handle re-seals the current one
    /// when it is to be kept). Cookies cannot be counted: 0.
    fn revoke_all<'a>(
        &'a self,
        _name: &'a str,
        owner: &'a OwnerId,
        _keep: Option<&'a SessionId>,
        _now: UnixTime,
    ) -> BoxFuture<'a, Result<usize>> {
        Box::pin(async move {
            if let Some(epochs) = &self.epochs {
                epochs.raise(owner).await?;
            }
            Ok(0)
        })
    }
}

impl Store for CookieStore {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn load<'a>(
        &'a self,
        name: &'a str,
        cookie: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Loaded>>> {
        Box::pin(self.open(name, cookie, now))
    }

    fn delete<'a>(&'a self, _name: &'a str, _loaded: &'a Loaded) -> BoxFuture<'a, Result<()>> {
        // Nothing is kept here; the removal cookie does the rest.
        Box::pin(async { Ok(()) })
    }
}
