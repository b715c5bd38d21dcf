//! Taking a flash exactly once, even when two requests of one session take
//! it at the same moment.
//!
//! On a server-side store the take is written before the messages are
//! handed out: the session's pending changes are saved first, then the
//! record without the messages replaces the version they were read from
//! (compare-and-set). When another request saved the session in between,
//! the take starts again from its version, so a message goes to the one
//! request whose take was written. A session that lives in a cookie, or is
//! new, has no stored version to race: its take is in memory, as the
//! browser keeps whichever cookie it received last.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Handle;
use crate::codec::{self, UnixTime};
use crate::error::{Error, Result};
use crate::state::{CookieUpdate, Flash, MAX_PAYLOAD_LEN, Stored};
use crate::store::{Save, SaveOutcome};

/// How many times a take meets a newer version before it gives up.
const MAX_TAKE_ATTEMPTS: u32 = 64;

impl<T: Default + Serialize + DeserializeOwned + Send + Sync + 'static> Handle<T> {
    /// Takes the flash in `field`; see the module docs.
    pub(crate) async fn take_flash<F: Flash>(&self, field: fn(&mut T) -> &mut F) -> Result<F> {
        let versioned = {
            let mut state = self.state();
            if field(&mut state.data).is_empty() {
                return Ok(F::default());
            }
            state.is_versioned()
        };
        if !versioned {
            return Ok(self.state().take_flash(field));
        }
        // Pending changes first, merged with any newer version, so that the
        // take below writes the whole session as it is.
        if let Some(cookie) = self.save_now().await? {
            self.state().keep_pending(cookie.update);
        }
        for _ in 0..MAX_TAKE_ATTEMPTS {
            if let Some(taken) = self.try_take(field).await? {
                return Ok(taken);
            }
        }
        Err(Error::Contended {
            session: self.shared.config.name(),
            attempts: MAX_TAKE_ATTEMPTS,
        })
    }

    /// One compare-and-set of the session without the flash; `None` when a
    /// newer version was found (and is now this session's state).
    async fn try_take<F: Flash>(&self, field: fn(&mut T) -> &mut F) -> Result<Option<F>> {
        let shared = &*self.shared;
        let now = UnixTime::now();
        let (payload, previous, generation, persistent, owner) = {
            let mut state = self.state();
            let Some(previous) = state.loaded.clone().filter(|_| state.is_versioned()) else {
                // Ended by another request meanwhile: its flash went with it.
                return Ok(Some(F::default()));
            };
            if field(&mut state.data).is_empty() {
                return Ok(Some(F::default()));
            }
            let taken = std::mem::take(field(&mut state.data));
            let stored: Stored<&T> = (state.persistent, &state.data);
            let payload = codec::encode_cbor(&stored, previous.payload.len());
            *field(&mut state.data) = taken;
            let owner = self.owner_of(&state.data);
            (
                payload?,
                previous,
                state.generation,
                state.persistent,
                owner,
            )
        };
        let save = Save {
            name: shared.config.name(),
            payload: &payload,
            times: previous.times.reissued(now, shared.config.max_age()),
            previous: Some(&previous),
            renew: false,
            owner,
        };
        match shared.store.save(save).await? {
            SaveOutcome::Saved(saved) => {
                let mut state = self.state();
                let taken = std::mem::take(field(&mut state.data));
                let update = CookieUpdate::Set {
                    value: saved.value,
                    persistent,
                    now,
                };
                state.committed(generation, saved.loaded, update);
                Ok(Some(taken))
            }
            // Ended by another request: the final save removes the cookie.
            SaveOutcome::Deleted => Ok(Some(F::default())),
            SaveOutcome::Conflict(newer) => {
                let stored = codec::decode_cbor::<Stored<T>>(&newer.payload, MAX_PAYLOAD_LEN)?;
                self.state().reload(newer, stored);
                Ok(None)
            }
        }
    }
}
