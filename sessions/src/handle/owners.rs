//! An owner's sessions, seen from one of them: list them, revoke one, log
//! out everywhere else, log out everywhere; and the cap per owner.
//!
//! The owner is the current session's ([`SessionData::owner`]), so a
//! handler can only reach the sessions of whoever is logged in. A session
//! with no owner has none to list or revoke.

use std::fmt;
use std::time::SystemTime;

use super::Handle;
use crate::codec::{self, UnixTime};
use crate::data::SessionData;
use crate::error::Result;
use crate::id::SessionId;
use crate::state::{MAX_PAYLOAD_LEN, Stored};
use crate::store::OwnerId;

/// One live session of an owner, as [`Handle::owner_sessions`] lists it
/// (whose example reads one).
///
/// `data` is the session's own data, so what an app chose to record in
/// it (a user agent, a login time, a city) is there to show.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OwnedSession<T> {
    /// Revokes this session ([`Handle::revoke`]); reveals nothing.
    pub handle: SessionHandle,
    /// When the session was created.
    pub created_at: SystemTime,
    /// When it was last saved.
    pub last_seen: SystemTime,
    /// When it expires unless it is saved again.
    pub expires_at: SystemTime,
    /// Whether it is the session of the request that listed it.
    pub current: bool,
    /// Its data.
    pub data: T,
}

/// An opaque token that names one session of an owner, for
/// [`Handle::revoke`]: the session's id sealed under the store's keys for
/// this purpose only. It neither reveals the id nor works as a cookie, it
/// expires with the session, and it revokes nothing of another owner.
/// Its text (`as_str`, `Display`) goes into a page and comes back from a
/// form.
///
/// ```
/// use sessions::SessionHandle;
///
/// let handle = SessionHandle::from("text from a form".to_owned());
/// assert_eq!(handle.as_str(), "text from a form");
/// assert_eq!(handle.to_string(), "text from a form");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionHandle(String);

impl SessionHandle {
    /// The handle's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for SessionHandle {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SessionHandle {
    /// Not the token: it revokes a session.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionHandle(..)")
    }
}

impl<T: SessionData> Handle<T> {
    /// The live sessions of this session's owner (its own included, marked
    /// `current`), oldest first; none when the session has no owner or
    /// lives in a cookie.
    ///
    /// # Errors
    ///
    /// When the store fails, or a listed session does not decode as `T`.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Account { user: Option<u64>, agent: String }
    /// # impl SessionData for Account {
    /// #     const CONFIG: SessionConfig = SessionConfig::new("account");
    /// #     fn owner(&self) -> Option<String> { self.user.map(|u| u.to_string()) }
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// // Logs user 7 in from `agent`; the cookie of the new session.
    /// # let log_in = async |agent: &str| {
    /// #     let mut req = http::Request::new(());
    /// #     sessions.attach(&mut req);
    /// #     let account = Handle::<Account>::load(&req).await.unwrap();
    /// #     account.update(|a| { a.user = Some(7); a.agent = agent.to_owned(); });
    /// #     let mut res = http::Response::new(());
    /// #     sessions::save(&req, &mut res).await.unwrap();
    /// #     res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    /// # };
    /// # let request = |cookie: &str| {
    /// #     let mut req = http::Request::builder().header("cookie", cookie).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # };
    /// let (phone, laptop) = (log_in("phone").await, log_in("laptop").await);
    /// let req = request(&laptop);
    /// let account = Handle::<Account>::load(&req).await?;
    /// let listed = account.owner_sessions().await?;
    /// let agents: Vec<_> = listed.iter().map(|s| (s.data.agent.as_str(), s.current)).collect();
    /// assert_eq!(agents.len(), 2);
    /// assert!(agents.contains(&("phone", false)) && agents.contains(&("laptop", true)));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn owner_sessions(&self) -> Result<Vec<OwnedSession<T>>> {
        let Some((owner, current)) = self.owner_and_id() else {
            return Ok(Vec::new());
        };
        let name = self.shared.config.name();
        let listed = self
            .shared
            .store
            .owned(name, &owner, UnixTime::now())
            .await?;
        let mut sessions = listed
            .into_iter()
            .map(|record| {
                let (_, data) =
                    codec::decode_cbor::<Stored<T>>(&record.loaded.payload, MAX_PAYLOAD_LEN)?;
                let times = record.loaded.times;
                Ok(OwnedSession {
                    handle: SessionHandle(record.handle),
                    created_at: times.created_at.to_system_time(),
                    last_seen: times.issued_at.to_system_time(),
                    expires_at: times.expires_at.to_system_time(),
                    current: current.is_some() && record.loaded.id == current,
                    data,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    /// Ends the session `handle` names, if it is a live session of this
    /// session's owner; whether it ended one. Revoking the current session
    /// ends it too: this request's save then removes its cookie.
    ///
    /// # Errors
    ///
    /// When the store fails. A handle that is forged, expired, of another
    /// owner or already revoked is `Ok(false)`.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Account { user: Option<u64>, agent: String }
    /// # impl SessionData for Account {
    /// #     const CONFIG: SessionConfig = SessionConfig::new("account");
    /// #     fn owner(&self) -> Option<String> { self.user.map(|u| u.to_string()) }
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// // Logs user 7 in from `agent`; the cookie of the new session.
    /// # let log_in = async |agent: &str| {
    /// #     let mut req = http::Request::new(());
    /// #     sessions.attach(&mut req);
    /// #     let account = Handle::<Account>::load(&req).await.unwrap();
    /// #     account.update(|a| { a.user = Some(7); a.agent = agent.to_owned(); });
    /// #     let mut res = http::Response::new(());
    /// #     sessions::save(&req, &mut res).await.unwrap();
    /// #     res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    /// # };
    /// # let request = |cookie: &str| {
    /// #     let mut req = http::Request::builder().header("cookie", cookie).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # };
    /// let (phone, laptop) = (log_in("phone").await, log_in("laptop").await);
    /// let req = request(&laptop);
    /// let account = Handle::<Account>::load(&req).await?;
    /// let listed = account.owner_sessions().await?;
    /// let phones = listed.iter().find(|s| !s.current).unwrap();
    /// assert!(account.revoke(&phones.handle).await?);
    /// assert!(!account.revoke(&phones.handle).await?, "once");
    /// assert!(Handle::<Account>::load(&request(&phone)).await?.is_new(), "logged out");
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn revoke(&self, handle: &SessionHandle) -> Result<bool> {
        let Some((owner, _)) = self.owner_and_id() else {
            return Ok(false);
        };
        let name = self.shared.config.name();
        let now = UnixTime::now();
        self.shared
            .store
            .revoke(name, &owner, handle.as_str(), now)
            .await
    }

    /// Ends every other session of this session's owner: "log out
    /// everywhere else". Returns how many it ended. On a
    /// [`CookieStore`](crate::CookieStore) with
    /// [epochs](crate::CookieStore::with_epochs) it raises the owner's epoch
    /// and seals this session again under it; cookies are not counted (0).
    ///
    /// # Errors
    ///
    /// When the store fails.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Account { user: Option<u64>, agent: String }
    /// # impl SessionData for Account {
    /// #     const CONFIG: SessionConfig = SessionConfig::new("account");
    /// #     fn owner(&self) -> Option<String> { self.user.map(|u| u.to_string()) }
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// // Logs user 7 in from `agent`; the cookie of the new session.
    /// # let log_in = async |agent: &str| {
    /// #     let mut req = http::Request::new(());
    /// #     sessions.attach(&mut req);
    /// #     let account = Handle::<Account>::load(&req).await.unwrap();
    /// #     account.update(|a| { a.user = Some(7); a.agent = agent.to_owned(); });
    /// #     let mut res = http::Response::new(());
    /// #     sessions::save(&req, &mut res).await.unwrap();
    /// #     res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    /// # };
    /// # let request = |cookie: &str| {
    /// #     let mut req = http::Request::builder().header("cookie", cookie).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # };
    /// let (phone, laptop) = (log_in("phone").await, log_in("laptop").await);
    /// let req = request(&laptop);
    /// let account = Handle::<Account>::load(&req).await?;
    /// assert_eq!(account.revoke_others().await?, 1);
    /// assert!(Handle::<Account>::load(&request(&phone)).await?.is_new());
    /// assert!(!Handle::<Account>::load(&request(&laptop)).await?.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn revoke_others(&self) -> Result<usize> {
        let Some((owner, current)) = self.owner_and_id() else {
            return Ok(0);
        };
        let name = self.shared.config.name();
        let now = UnixTime::now();
        let store = &self.shared.store;
        let ended = store
            .revoke_all(name, &owner, current.as_ref(), now)
            .await?;
        if current.is_none() {
            // A cookie session: its owner's epoch went up, so this cookie
            // must be sealed again under the new one to stay valid.
            self.state().touch();
        }
        Ok(ended)
    }

    /// Ends every session of this session's owner, this one included:
    /// "log out everywhere". This session is destroyed, so the response
    /// removes its cookie. Returns how many stored sessions it ended (on a
    /// `CookieStore` with epochs, which it revokes by raising the owner's
    /// epoch, 0).
    ///
    /// # Errors
    ///
    /// When the store fails.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions};
    /// # #[derive(Default, Serialize, Deserialize)]
    /// # struct Account { user: Option<u64>, agent: String }
    /// # impl SessionData for Account {
    /// #     const CONFIG: SessionConfig = SessionConfig::new("account");
    /// #     fn owner(&self) -> Option<String> { self.user.map(|u| u.to_string()) }
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # let sessions = Sessions::new(MemoryStore::new(Key::generate()));
    /// // Logs user 7 in from `agent`; the cookie of the new session.
    /// # let log_in = async |agent: &str| {
    /// #     let mut req = http::Request::new(());
    /// #     sessions.attach(&mut req);
    /// #     let account = Handle::<Account>::load(&req).await.unwrap();
    /// #     account.update(|a| { a.user = Some(7); a.agent = agent.to_owned(); });
    /// #     let mut res = http::Response::new(());
    /// #     sessions::save(&req, &mut res).await.unwrap();
    /// #     res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    /// # };
    /// # let request = |cookie: &str| {
    /// #     let mut req = http::Request::builder().header("cookie", cookie).body(()).unwrap();
    /// #     sessions.attach(&mut req);
    /// #     req
    /// # };
    /// let (phone, laptop) = (log_in("phone").await, log_in("laptop").await);
    /// let req = request(&laptop);
    /// let account = Handle::<Account>::load(&req).await?;
    /// assert_eq!(account.revoke_all().await?, 2);
    /// let mut res = http::Response::new(());
    /// sessions::save(&req, &mut res).await?;
    /// assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    /// assert!(Handle::<Account>::load(&request(&phone)).await?.is_new());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub async fn revoke_all(&self) -> Result<usize> {
        let Some((owner, _)) = self.owner_and_id() else {
            self.destroy();
            return Ok(0);
        };
        let name = self.shared.config.name();
        let now = UnixTime::now();
        let ended = self
            .shared
            .store
            .revoke_all(name, &owner, None, now)
            .await?;
        self.destroy();
        Ok(ended)
    }

    /// The owner of the session as it is now, and its stored id if any.
    fn owner_and_id(&self) -> Option<(OwnerId, Option<SessionId>)> {
        let state = self.state();
        let owner = self.owner_of(&state.data)?;
        let id = state.loaded.as_ref().and_then(|loaded| loaded.id.clone());
        Some((owner, id))
    }
}

impl<T> Handle<T> {
    /// Revokes the oldest sessions of `owner` past the configured cap,
    /// never `keep` (the session just saved).
    pub(super) async fn enforce_cap(&self, owner: &OwnerId, keep: &SessionId) -> Result<()> {
        let Some(max) = self.shared.config.max_per_owner() else {
            return Ok(());
        };
        let name = self.shared.config.name();
        let now = UnixTime::now();
        let mut listed = self.shared.store.owned(name, owner, now).await?;
        let Some(excess) = listed.len().checked_sub(max.get() as usize) else {
            return Ok(());
        };
        listed.retain(|record| record.loaded.id.as_ref() != Some(keep));
        listed.sort_by_key(|record| record.loaded.times.created_at);
        for record in listed.iter().take(excess) {
            self.shared
                .store
                .revoke(name, owner, &record.handle, now)
                .await?;
        }
        Ok(())
    }
}
