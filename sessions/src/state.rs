//! The state of one session in one request: data, dirty tracking, expiry.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::{self, Times, UnixTime};
use crate::error::{Error, Result};
use crate::merge::{self, MergeSpec};
use crate::options::SessionConfig;
use crate::store::{Loaded, OwnerId, Save, SaveOutcome, Store};

/// Largest encoded session the registry decodes: far above any cookie, and
/// a bound on what a corrupt server-side record can make us allocate.
pub(crate) const MAX_PAYLOAD_LEN: usize = 1 << 20;

/// What the encoder of a new session's payload starts with.
const INITIAL_PAYLOAD_CAPACITY: usize = 256;

pub(crate) struct State<T> {
    pub(crate) data: T,
    /// What came with the request and opened; `None` for a new session.
    pub(crate) loaded: Option<Loaded>,
    pub(crate) persistent: bool,
    pub(crate) dirty: bool,
    /// Save even when clean: past half the idle window, or sealed with an
    /// old key.
    refresh: bool,
    renew: bool,
    /// `destroy` was called: the stored session goes, and the data is
    /// reset to its default.
    destroyed: bool,
    /// Changed after `destroy`: a new session (new id, new data) replaces
    /// the destroyed one instead of a removal cookie.
    revived: bool,
    /// The type's default for `persistent`, restored by `destroy`.
    default_persistent: bool,
    /// A cookie of this name came in, live or not: destroying must remove it.
    cookie_seen: bool,
    /// Bumped on every change, so a save that raced a change stays dirty.
    pub(crate) generation: u64,
    /// A cookie an early save (a flash taken) set, for the final save to
    /// send when it has nothing else to write.
    pending: Option<CookieUpdate>,
}

/// The stored form: the persistence flag, then the user's data. A tuple is
/// a two-element CBOR array, so the data decodes straight into `T`.
pub(crate) type Stored<T> = (bool, T);

impl<T: Default + Serialize + DeserializeOwned> State<T> {
    /// Opens the first candidate cookie that leads to a live session.
    pub(crate) async fn load(
        store: &dyn Store,
        config: &SessionConfig,
        candidates: &[String],
        now: UnixTime,
    ) -> Result<Self> {
        for cookie in candidates {
            let Some(loaded) = store.load(config.name(), cookie, now).await? else {
                continue;
            };
            if let Some(state) = Self::accept(config, loaded, now) {
                return Ok(state);
            }
        }
        let mut fresh = Self::fresh(config);
        fresh.cookie_seen = !candidates.is_empty();
        Ok(fresh)
    }

    fn fresh(config: &SessionConfig) -> Self {
        Self {
            data: T::default(),
            loaded: None,
            persistent: config.is_persistent(),
            dirty: false,
            refresh: false,
            renew: false,
            destroyed: false,
            revived: false,
            default_persistent: config.is_persistent(),
            cookie_seen: false,
            generation: 0,
            pending: None,
        }
    }

    /// Applies the server-side expiry policy and decodes; `None` means the
    /// session is over or unreadable and a fresh one starts.
    fn accept(config: &SessionConfig, loaded: Loaded, now: UnixTime) -> Option<Self> {
        let times = loaded.times;
        let name = config.name();
        if config
            .absolute_timeout()
            .is_some_and(|limit| now >= times.created_at + limit)
        {
            tracing::debug!(cookie = name, "session passed its absolute timeout");
            return None;
        }
        if config
            .idle_timeout()
            .is_some_and(|limit| now >= times.issued_at + limit)
        {
            tracing::debug!(cookie = name, "session passed its idle timeout");
            return None;
        }
        let (persistent, data) =
            match codec::decode_cbor::<Stored<T>>(&loaded.payload, MAX_PAYLOAD_LEN) {
                Ok(stored) => stored,
                Err(reason) => {
                    tracing::debug!(cookie = name, %reason, "session payload does not decode");
                    return None;
                }
            };
        let half_idle = config
            .idle_timeout()
            .is_some_and(|limit| now.saturating_since(times.issued_at) * 2 > limit);
        Some(Self {
            data,
            refresh: half_idle || loaded.stale_key,
            loaded: Some(loaded),
            persistent,
            cookie_seen: true,
            ..Self::fresh(config)
        })
    }
}

impl<T> State<T> {
    pub(crate) fn touch(&mut self) {
        self.dirty = true;
        self.revived = self.destroyed;
        self.generation += 1;
    }

    /// Forgets the session. Data changed afterwards (a goodbye flash) starts
    /// a new, empty session; it never brings the destroyed one back.
    pub(crate) fn destroy(&mut self)
    where
        T: Default,
    {
        self.touch();
        self.destroyed = true;
        self.revived = false;
        self.data = T::default();
        self.persistent = self.default_persistent;
    }

    pub(crate) fn renew(&mut self) {
        self.touch();
        self.renew = true;
    }

    pub(crate) fn set_persistent(&mut self, persistent: bool) {
        if self.persistent != persistent {
            self.touch();
            self.persistent = persistent;
        }
    }

    /// Takes the value of a flash field; a change only when it held something.
    pub(crate) fn take_flash<F: Flash>(&mut self, field: impl FnOnce(&mut T) -> &mut F) -> F {
        let value = std::mem::take(field(&mut self.data));
        if !value.is_empty() {
            self.touch();
        }
        value
    }

    /// Takes the data a merged save wrote, unless the session changed again
    /// in this request meanwhile.
    pub(crate) fn adopt(&mut self, generation: u64, (persistent, data): Stored<T>) {
        if self.generation == generation {
            self.data = data;
            self.persistent = persistent;
        }
    }

    /// Whether the session lives in a record that a save could have changed
    /// meanwhile: loaded from a server-side store, not ended in this request.
    pub(crate) fn is_versioned(&self) -> bool {
        !self.destroyed && self.loaded.as_ref().is_some_and(|l| l.id.is_some())
    }

    /// Takes the data another request saved meanwhile, in place of this
    /// request's (which an early save had already written).
    pub(crate) fn reload(&mut self, newer: Loaded, (persistent, data): Stored<T>) {
        self.data = data;
        self.persistent = persistent;
        self.loaded = Some(newer);
    }

    /// Records an early save (a flash taken) that wrote the whole session
    /// as it is: clean again, with `update` for the final save to send.
    pub(crate) fn committed(&mut self, generation: u64, loaded: Loaded, update: CookieUpdate) {
        if self.generation == generation {
            self.dirty = false;
            self.refresh = false;
        }
        self.loaded = Some(loaded);
        self.pending = Some(update);
    }

    /// Keeps the cookie of an early save for the final one to send.
    pub(crate) fn keep_pending(&mut self, update: CookieUpdate) {
        self.pending = Some(update);
    }

    /// The cookie an early save set, once.
    pub(crate) fn take_pending(&mut self) -> Option<CookieUpdate> {
        self.pending.take()
    }

    /// Records a finished save of the change numbered `generation`.
    pub(crate) fn saved(&mut self, generation: u64, loaded: Option<Loaded>) {
        self.pending = None;
        if self.generation == generation {
            self.dirty = false;
            self.refresh = false;
            self.renew = false;
        }
        if self.destroyed {
            if self.revived {
                (self.destroyed, self.revived) = (false, false);
            } else {
                self.cookie_seen = false;
            }
        }
        self.loaded = loaded;
    }
}

impl<T: Serialize> State<T> {
    /// What a save must do now, taken under the lock; `None` when nothing.
    pub(crate) fn plan(&self, config: &SessionConfig, now: UnixTime) -> Result<Option<Plan>> {
        if self.destroyed && !self.revived {
            if self.loaded.is_none() && !self.cookie_seen {
                return Ok(None);
            }
            return Ok(Some(Plan {
                action: Action::Destroy,
                previous: self.loaded.clone(),
                generation: self.generation,
                owner: None,
            }));
        }
        if !self.dirty && !self.refresh {
            return Ok(None);
        }
        let stored: Stored<&T> = (self.persistent, &self.data);
        // Room for what was loaded and some growth: no reallocation in the
        // common case of a small change.
        let capacity = self
            .loaded
            .as_ref()
            .map_or(INITIAL_PAYLOAD_CAPACITY, |loaded| {
                loaded.payload.len() + INITIAL_PAYLOAD_CAPACITY / 2
            });
        let payload = codec::encode_cbor(&stored, capacity)?;
        // What saves must load: `accept` decodes at most this much.
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(Error::PayloadTooLarge {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            });
        }
        let times = match &self.loaded {
            Some(loaded) if !self.destroyed => loaded.times.reissued(now, config.max_age()),
            _ => Times::fresh(now, config.max_age()),
        };
        let action = Action::Write {
            payload,
            times,
            // A session revived after destroy gets a new identity.
            renew: self.renew || self.destroyed,
            persistent: self.persistent,
            now,
        };
        Ok(Some(Plan {
            action,
            previous: self.loaded.clone(),
            generation: self.generation,
            owner: None,
        }))
    }
}

/// A save planned under the lock and carried out without it.
pub(crate) struct Plan {
    action: Action,
    previous: Option<Loaded>,
    pub(crate) generation: u64,
    /// Who owns the session as it is written; the caller sets it.
    pub(crate) owner: Option<OwnerId>,
}

enum Action {
    Destroy,
    Write {
        payload: Vec<u8>,
        times: Times,
        renew: bool,
        persistent: bool,
        now: UnixTime,
    },
}

/// What the browser must be told after a save: the session core decides
/// it, the HTTP glue writes it as a `Set-Cookie` line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum CookieUpdate {
    /// Send `value`. A persistent cookie lives for the configured max age
    /// counted from `now`; otherwise it ends with the browser session.
    Set {
        value: String,
        persistent: bool,
        now: UnixTime,
    },
    /// Make the browser forget the cookie.
    Remove,
}

impl fmt::Debug for CookieUpdate {
    /// Never the cookie value: it loads the session.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Set {
                value,
                persistent,
                now,
            } => f
                .debug_struct("Set")
                .field("value_len", &value.len())
                .field("persistent", persistent)
                .field("now", now)
                .finish(),
            Self::Remove => f.write_str("Remove"),
        }
    }
}

/// A session's cookie update, with the configuration that names and scopes
/// the cookie.
#[derive(Clone, Debug)]
pub(crate) struct SessionCookie {
    pub(crate) config: SessionConfig,
    pub(crate) update: CookieUpdate,
}

/// How running a plan ended.
pub(crate) enum Ran {
    Done(Done),
    /// Another request saved the session first: this is its version.
    Conflict(Loaded),
}

/// What a finished save leaves behind.
pub(crate) struct Done {
    pub(crate) update: CookieUpdate,
    /// What a later save in the same request builds on.
    pub(crate) loaded: Option<Loaded>,
}

impl Plan {
    /// Makes this plan save what this request changed on top of `newer`,
    /// the version another request saved meanwhile; returns the merged
    /// stored form, which the session adopts once it is saved.
    pub(crate) fn rebase(
        &mut self,
        newer: Loaded,
        spec: &MergeSpec,
        config: &SessionConfig,
    ) -> Result<Vec<u8>> {
        let Action::Write {
            payload,
            times,
            now,
            ..
        } = &mut self.action
        else {
            // Only an update in place can meet a newer version.
            return Err(Error::Contended {
                session: config.name(),
                attempts: 1,
            });
        };
        let original = self.previous.as_ref().map_or(&[][..], |p| &p.payload);
        let merged = merge::rebase(original, payload, &newer.payload, spec)?;
        *times = newer.times.reissued(*now, config.max_age());
        payload.clone_from(&merged);
        self.previous = Some(newer);
        Ok(merged)
    }

    pub(crate) async fn run(&self, store: &dyn Store, config: &SessionConfig) -> Result<Ran> {
        let removed = Done {
            update: CookieUpdate::Remove,
            loaded: None,
        };
        match &self.action {
            Action::Destroy => {
                if let Some(previous) = &self.previous {
                    store.delete(config.name(), previous).await?;
                }
                Ok(Ran::Done(removed))
            }
            Action::Write {
                payload,
                times,
                renew,
                persistent,
                now,
            } => {
                let save = Save {
                    name: config.name(),
                    payload,
                    times: *times,
                    previous: self.previous.as_ref(),
                    renew: *renew,
                    owner: self.owner,
                };
                Ok(match store.save(save).await? {
                    SaveOutcome::Saved(saved) => Ran::Done(Done {
                        update: CookieUpdate::Set {
                            value: saved.value,
                            persistent: *persistent,
                            now: *now,
                        },
                        loaded: Some(saved.loaded),
                    }),
                    // Deleted by a concurrent request: follow suit.
                    SaveOutcome::Deleted => Ran::Done(removed),
                    SaveOutcome::Conflict(newer) => Ran::Conflict(newer),
                })
            }
        }
    }
}

/// A flash field's type: `Vec<U>` or `Option<U>`.
pub trait Flash: Default {
    /// Whether there is nothing to show.
    fn is_empty(&self) -> bool;
}

impl<U> Flash for Vec<U> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<U> Flash for Option<U> {
    fn is_empty(&self) -> bool {
        self.is_none()
    }
}
