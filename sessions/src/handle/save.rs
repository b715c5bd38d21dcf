//! Saving one session: the plan, and on a newer version, the merge and
//! the retry.

use std::any::Any;

use http::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Handle;
use crate::codec::{self, UnixTime};
use crate::error::{Error, Result};
use crate::registry::ErasedSession;
use crate::state::{MAX_PAYLOAD_LEN, Ran, SessionCookie, Stored};
use crate::store::{BoxFuture, OwnerId};

/// How many times a save meets a newer version before it gives up: each
/// attempt that loses does so because another save of the session won.
const MAX_SAVE_ATTEMPTS: u32 = 64;

impl<T: Default + Serialize + DeserializeOwned + Send + Sync + 'static> Handle<T> {
    /// Saves this session alone into `res`, if it changed.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{CookieStore, Handle, Key, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Visits { count: u32 }
    /// # impl SessionData for Visits { const CONFIG: SessionConfig = SessionConfig::new("visits"); }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(CookieStore::new(Key::generate()));
    /// # let mut req = http::Request::new(());
    /// # sessions.attach(&mut req);
    /// let visits = Handle::<Visits>::load(&req).await?;
    /// visits.update(|v| v.count += 1);
    /// let mut res = http::Response::new(());
    /// visits.save(&mut res).await?;
    /// assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("visits="));
    ///
    /// // Saved: a second save has nothing to write.
    /// let mut again = http::Response::new(());
    /// visits.save(&mut again).await?;
    /// assert!(!again.headers().contains_key("set-cookie"));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn save<B>(&self, res: &mut Response<B>) -> Result<()> {
        let cookie = self.save_now().await?;
        let line = cookie.as_ref().map(crate::http::set_cookie).transpose()?;
        crate::http::append_cookies(res.headers_mut(), line);
        Ok(())
    }

    /// Saves the session if it changed. When another request saved it
    /// first, applies this request's changes to that version and tries
    /// again, a bounded number of times.
    pub(super) async fn save_now(&self) -> Result<Option<SessionCookie>> {
        let shared = &*self.shared;
        let (planned, login) = {
            let mut state = self.state();
            let owner = self.owner_of(&state.data);
            // A save that gives the session its owner: the cap applies.
            let before = state.loaded.as_ref().and_then(|loaded| loaded.owner);
            let login = owner.filter(|owner| before != Some(*owner));
            let planned = state
                .plan(&shared.config, UnixTime::now())?
                .map(|mut plan| {
                    plan.owner = owner;
                    plan
                })
                .ok_or_else(|| state.take_pending());
            (planned, login)
        };
        let mut plan = match planned {
            Ok(plan) => plan,
            // Nothing to write; an early save may have set a cookie.
            Err(pending) => {
                return Ok(pending.map(|update| SessionCookie {
                    config: shared.config,
                    update,
                }));
            }
        };
        let mut merged = None;
        for _ in 0..MAX_SAVE_ATTEMPTS {
            match plan.run(&*shared.store, &shared.config).await? {
                Ran::Done(done) => {
                    let id = done.loaded.as_ref().and_then(|loaded| loaded.id.clone());
                    {
                        let mut state = self.state();
                        if let Some(stored) = merged {
                            state.adopt(plan.generation, stored);
                        }
                        state.saved(plan.generation, done.loaded);
                    }
                    let login = login.filter(|owner| plan.owner == Some(*owner));
                    if let (Some(owner), Some(id)) = (login, id)
                        && let Err(error) = self.enforce_cap(&owner, &id).await
                    {
                        // The session is saved (a login's renew may have
                        // retired its old id): its cookie must still go
                        // out. The next login enforces the cap again.
                        let session = shared.config.name();
                        tracing::warn!(session, %error, "the cap of sessions per owner was not enforced");
                    }
                    return Ok(Some(SessionCookie {
                        config: shared.config,
                        update: done.update,
                    }));
                }
                Ran::Conflict(newer) => {
                    let bytes = plan.rebase(newer, &shared.merge, &shared.config)?;
                    // What saves must load: decoded before it is written.
                    let stored = codec::decode_cbor::<Stored<T>>(&bytes, MAX_PAYLOAD_LEN)?;
                    // The other request may have logged someone in.
                    plan.owner = self.owner_of(&stored.1);
                    merged = Some(stored);
                }
            }
        }
        Err(Error::Contended {
            session: shared.config.name(),
            attempts: MAX_SAVE_ATTEMPTS,
        })
    }
}

impl<T> Handle<T> {
    /// The owner of a session holding `data`, as its store indexes it.
    pub(super) fn owner_of(&self, data: &T) -> Option<OwnerId> {
        let text = (self.shared.owner)(data)?;
        Some(OwnerId::new(self.shared.config.name(), &text))
    }
}

impl<T: Default + Serialize + DeserializeOwned + Send + Sync + 'static> ErasedSession
    for Handle<T>
{
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn save(&self) -> BoxFuture<'_, Result<Option<SessionCookie>>> {
        Box::pin(self.save_now())
    }
}
