//! The half of the store protocol that only the registry speaks: saving.
//!
//! These items are `pub` because they appear in [`Store`]'s supertrait,
//! and unnameable outside the crate because this module is private: that
//! is what seals [`Store`]. No code outside `sessions` can implement a
//! store or call `save` directly; applications save through the registry,
//! custom backends implement [`Backend`](crate::store::Backend).

use std::fmt;

use crate::codec::{Times, UnixTime};
use crate::error::Result;
use crate::id::SessionId;
use crate::store::{BoxFuture, Loaded, OwnerId, Store};

/// What the registry asks a store to write.
#[derive(Clone, Copy)]
pub struct Save<'a> {
    /// The session's cookie name.
    pub name: &'a str,
    /// The encoded session.
    pub payload: &'a [u8],
    /// Its times: `created_at` kept from the first save, `issued_at` now.
    pub times: Times,
    /// What was loaded for this session in this request, if anything.
    pub previous: Option<&'a Loaded>,
    /// The session must get a new identity: write it as new, then forget
    /// `previous`.
    pub renew: bool,
    /// Who owns the session now, if anyone: a server-side store indexes
    /// the record under it.
    pub owner: Option<OwnerId>,
}

impl fmt::Debug for Save<'_> {
    /// The payload's length, never its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Save")
            .field("name", &self.name)
            .field("payload_len", &self.payload.len())
            .field("times", &self.times)
            .field("renew", &self.renew)
            .field("owned", &self.owner.is_some())
            .finish_non_exhaustive()
    }
}

/// What a finished save gives back.
#[derive(Clone)]
pub struct Saved {
    /// The cookie value that loads the session.
    pub value: String,
    /// The session as a later save in the same request should see it.
    pub loaded: Loaded,
}

impl fmt::Debug for Saved {
    /// Neither the cookie value (it loads the session) nor the payload.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Saved")
            .field("loaded", &self.loaded)
            .finish_non_exhaustive()
    }
}

/// How a save ended.
pub enum SaveOutcome {
    /// Written; the cookie value loads it.
    Saved(Saved),
    /// The session was deleted meanwhile (a logout or renew in another
    /// request): nothing was written, and the session is over.
    Deleted,
    /// Another request saved the session since it was loaded: nothing was
    /// written. This is the newer version, to apply this request's
    /// changes to and save again.
    Conflict(Loaded),
}

impl fmt::Debug for SaveOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Saved(saved) => f.debug_tuple("Saved").field(saved).finish(),
            Self::Deleted => f.write_str("Deleted"),
            Self::Conflict(newer) => f.debug_tuple("Conflict").field(newer).finish(),
        }
    }
}

/// One live session of an owner, as a store lists it.
pub struct OwnedRecord {
    /// An opaque handle that revokes it: the id sealed for this purpose
    /// only, so it neither reveals the id nor works as a cookie.
    pub handle: String,
    /// The session, its id included (to tell the current one).
    pub loaded: Loaded,
}

/// The sealed supertrait of [`Store`]: implemented only in this crate.
pub trait Sealed: Send + Sync + 'static {
    /// Saves a session: in place of `save.previous` when its version is
    /// still the stored one, or as a new session.
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<SaveOutcome>>;

    /// The live sessions named `name` that `owner` owns.
    fn owned<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Vec<OwnedRecord>>>;

    /// Ends the session behind `handle` if it is a live session named
    /// `name` of `owner`; whether one was ended.
    fn revoke<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        handle: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Ends every live session named `name` of `owner` but `keep`; how
    /// many it ended.
    fn revoke_all<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        keep: Option<&'a SessionId>,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<usize>>;
}

impl<S: Store> Sealed for std::sync::Arc<S> {
    fn save<'a>(&'a self, save: Save<'a>) -> BoxFuture<'a, Result<SaveOutcome>> {
        (**self).save(save)
    }

    fn owned<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Vec<OwnedRecord>>> {
        (**self).owned(name, owner, now)
    }

    fn revoke<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        handle: &'a str,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<bool>> {
        (**self).revoke(name, owner, handle, now)
    }

    fn revoke_all<'a>(
        &'a self,
        name: &'a str,
        owner: &'a OwnerId,
        keep: Option<&'a SessionId>,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<usize>> {
        (**self).revoke_all(name, owner, keep, now)
    }
}
