//! `CookieStore`: the whole session sealed in the cookie.

use crate::codec::{Binding, Codec, MAX_SEALED_LEN, Mode, UnixTime};
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::protocol::Sealed;
use crate::store::{BoxFuture, Loaded, OwnedRecord, OwnerId, Save, SaveOutcome, Saved, Store};

const KIND: &str = "cookie";

/// Keeps the whole session in the cookie, encrypted (the default) or signed.
///
/// Nothing is kept on the server, so a session cannot be revoked before it
/// expires: `destroy` removes the cookie from the browser, but a copy taken
/// earlier still opens until its expiry. Use a server-side store where that
/// matters.
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

    fn open(&self, name: &str, cookie: &str, now: UnixTime) -> Option<Loaded> {
        match self
            .codec
            .open_bytes(&Binding::new(name, KIND), cookie, now)
        {
            Ok(opened) => {
                let mut loaded = Loaded::new(opened.value, opened.times);
                loaded.stale_key = !opened.by_primary;
                Some(loaded)
            }
            Err(reason) => {
                tracing::debug!(cookie = name, %reason, "session cookie rejected");
                None
            }
        }
    }

    fn seal(&self, save: &Save<'_>) -> Result<String> {
        let binding = Binding::new(save.name, KIND);
        self.codec
            .seal_bytes(&binding, save.times, save.payload)
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

impl Sealed for CookieStore {
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<SaveOutcome>> {
        // A cookie never conflicts: the browser keeps the last one it got.
        let saved = self.seal(&save).map(|value| {
            SaveOutcome::Saved(Saved {
                value,
                loaded: Loaded::new(save.payload.to_vec(), save.times),
            })
        });
        Box::pin(async move { saved })
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

    fn revoke_all<'a>(
        &'a self,
        _name: &'a str,
        _owner: &'a OwnerId,
        _keep: Option<&'a SessionId>,
        _now: UnixTime,
    ) -> BoxFuture<'a, Result<usize>> {
        Box::pin(async { Ok(0) })
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
        let loaded = self.open(name, cookie, now);
        Box::pin(async move { Ok(loaded) })
    }

    fn delete<'a>(&'a self, _name: &'a str, _loaded: &'a Loaded) -> BoxFuture<'a, Result<()>> {
        // Nothing is kept here; the removal cookie does the rest.
        Box::pin(async { Ok(()) })
    }
}
