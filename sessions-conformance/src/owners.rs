//! Owners: the backend's index lists exactly an owner's live records, and
//! through the store an owner's sessions are listed, revoked one by one,
//! all but the current one, or all, and capped; a revoked session never
//! comes back, not even through a save already under way.

use std::num::NonZeroU32;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sessions::store::{Backend, OwnerId, ServerStore, SessionId, UnixTime, Update};
use sessions::{Handle, Key, SessionConfig, SessionData, SessionHandle};

use tokio::sync::Barrier;

use super::harness::{Harness, expired, live, record, times};

/// A session that names its owner, as `#[session(owner)]` makes one.
#[derive(Default, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Account {
    user: Option<String>,
    agent: String,
    visits: u32,
}

impl SessionData for Account {
    const CONFIG: SessionConfig = SessionConfig::new("conformance-account");
    fn owner(&self) -> Option<String> {
        self.user.clone()
    }
}

/// The same, capped at two sessions per owner.
#[derive(Default, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Capped(Account);

impl SessionData for Capped {
    const CONFIG: SessionConfig = SessionConfig::new("conformance-capped")
        .with_max_per_owner(NonZeroU32::new(2).expect("two is not zero"));
    fn owner(&self) -> Option<String> {
        self.0.owner()
    }
}

/// A fresh owner's text: backends may be shared between cases.
fn someone(name: &str) -> String {
    format!("{name}-{}", SessionId::generate())
}

/// The ids `owned` lists, sorted.
async fn owned_ids<B: Backend>(h: &Harness<B>, owner: &OwnerId) -> Vec<SessionId> {
    let max = h.store.max_record_len();
    let listed = h.backend().owned(owner, UnixTime::now(), max).await;
    let mut ids: Vec<_> = listed
        .expect("Backend::owned failed")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort_by_key(ToString::to_string);
    ids
}

/// The id behind the live `T` cookie `cookie`.
async fn id_of<T: SessionData, B: Backend>(h: &Harness<B>, cookie: Option<&str>) -> SessionId {
    let cookie = cookie.expect("the browser holds a cookie");
    let loaded = h
        .load(T::CONFIG.name(), cookie)
        .await
        .expect("the cookie loads");
    loaded.id().cloned().expect("a server-side store has ids")
}

fn sorted(mut ids: Vec<SessionId>) -> Vec<SessionId> {
    ids.sort_by_key(ToString::to_string);
    ids
}

/// Backend alone: `owned` lists the live records of one owner, with the
/// records as stored, and follows every write: an update that moves or
/// clears the owner, a delete, an expiry, a cleanup.
pub async fn backend_owned_lists_exactly_the_live_records_of_an_owner<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let (ada, bob) = (
        OwnerId::new("t", &someone("ada")),
        OwnerId::new("t", &someone("bob")),
    );
    let now = UnixTime::now();
    let ids: Vec<_> = (0..5).map(|_| SessionId::generate()).collect();
    let writes = [
        (Some(ada), live()),
        (Some(ada), live()),
        (Some(ada), expired()),
        (Some(bob), live()),
        (None, live()),
    ];
    for (id, (owner, times)) in ids.iter().zip(writes) {
        let written = record(1, 8, times).with_owner(owner);
        assert!(h.backend().create(id, &written, now).await.expect("create"));
    }
    assert_eq!(
        owned_ids(&h, &ada).await,
        sorted(ids[..2].to_vec()),
        "owned must list exactly the owner's live records"
    );
    let listed = h.backend().owned(&bob, now, h.store.max_record_len()).await;
    let listed = listed.expect("Backend::owned failed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1, record(1, 8, writes[3].1).with_owner(Some(bob)));

    // ids[1] moves from ada to bob, ids[0] loses its owner.
    let moved = record(2, 8, live()).with_owner(Some(bob)).with_version(2);
    assert_eq!(
        h.backend().update(&ids[1], 1, &moved, now).await.ok(),
        Some(Update::Written)
    );
    let cleared = record(2, 8, live()).with_version(2);
    assert_eq!(
        h.backend().update(&ids[0], 1, &cleared, now).await.ok(),
        Some(Update::Written)
    );
    assert!(
        owned_ids(&h, &ada).await.is_empty(),
        "an update that moves or clears the owner leaves its index"
    );
    assert_eq!(
        owned_ids(&h, &bob).await,
        sorted(vec![ids[1].clone(), ids[3].clone()])
    );

    assert!(h.backend().delete(&ids[3]).await.expect("delete"));
    h.backend().cleanup_expired(now).await.expect("cleanup");
    assert_eq!(
        owned_ids(&h, &bob).await,
        [ids[1].clone()],
        "a deleted record leaves its index"
    );
}

/// Backend alone: a record that expires leaves its owner's list at its
/// expiry, without a cleanup.
pub async fn backend_owned_honours_now<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let ada = OwnerId::new("t", &someone("ada"));
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let soon = times(now, now, UnixTime::from_secs(now.as_secs() + 2));
    let written = record(3, 8, soon).with_owner(Some(ada));
    assert!(
        h.backend()
            .create(&id, &written, now)
            .await
            .expect("create")
    );
    let max = h.store.max_record_len();
    let at = |secs: u64| UnixTime::from_secs(now.as_secs() + secs);
    let before = h.backend().owned(&ada, at(1), max).await.expect("owned");
    let after = h.backend().owned(&ada, at(2), max).await.expect("owned");
    assert_eq!(before.len(), 1, "live at its last second");
    assert!(
        after.is_empty(),
        "owned must not list a record expired at `now`"
    );
}

/// A browser: its own cookie jar of one `Account` session.
struct Browser<'h, B> {
    harness: &'h Harness<B>,
    cookie: Option<String>,
}

impl<'h, B: Backend> Browser<'h, B> {
    fn new(harness: &'h Harness<B>) -> Self {
        Self {
            harness,
            cookie: None,
        }
    }

    /// Runs one request on the `T` session and keeps the cookie it sets.
    async fn visit<T: SessionData, R>(&mut self, act: impl AsyncFnOnce(&Handle<T>) -> R) -> R {
        let name = T::CONFIG.name();
        let req = self
            .harness
            .request(self.cookie.as_deref().map(|c| (name, c)));
        let session = Handle::<T>::load(&req).await.expect("the session loads");
        let out = act(&session).await;
        let mut res = http::Response::new(());
        sessions::save(&req, &mut res)
            .await
            .expect("the response saves");
        if let Some(line) = res.headers().get(http::header::SET_COOKIE) {
            let pair = line
                .to_str()
                .expect("ASCII")
                .split(';')
                .next()
                .expect("a pair");
            let value = pair.split_once('=').expect("name=value").1;
            self.cookie = (!value.is_empty()).then(|| value.to_owned());
        }
        out
    }

    /// Logs in as `user` from `agent`: sets the owner and renews the id.
    async fn log_in(&mut self, user: &str, agent: &str) {
        let (user, agent) = (user.to_owned(), agent.to_owned());
        self.visit::<Account, _>(async move |s| {
            s.update(|a| {
                a.user = Some(user);
                a.agent = agent;
            });
            s.renew();
        })
        .await;
    }

    /// Whether the browser's next request finds its session logged in.
    async fn is_logged_in(&mut self) -> bool {
        self.visit::<Account, _>(async |s| !s.is_new() && s.with(|a| a.user.is_some()))
            .await
    }
}

/// Through the store: each login of an owner is listed once, with its
/// times, its data and which one is current; other owners and anonymous
/// sessions list nothing of it, and a handle is neither a cookie nor an id.
pub async fn store_owner_sessions_lists_each_login<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (ada, bob) = (someone("ada"), someone("bob"));
    let mut browsers: Vec<_> = (0..3).map(|_| Browser::new(&h)).collect();
    for (i, browser) in browsers.iter_mut().enumerate() {
        browser.log_in(&ada, &format!("agent {i}")).await;
    }
    let mut other = Browser::new(&h);
    other.log_in(&bob, "bob's agent").await;
    let listed = browsers[1]
        .visit::<Account, _>(async |s| s.owner_sessions().await.expect("lists"))
        .await;
    let mut agents: Vec<_> = listed.iter().map(|s| s.data.agent.clone()).collect();
    agents.sort();
    assert_eq!(
        agents,
        ["agent 0", "agent 1", "agent 2"],
        "each login listed once"
    );
    let current: Vec<_> = listed.iter().filter(|s| s.current).collect();
    assert_eq!(
        current.len(),
        1,
        "exactly one listed session is the current one"
    );
    assert_eq!(current[0].data.agent, "agent 1");
    let cookie = browsers[1].cookie.clone().expect("logged in");
    for session in &listed {
        assert!(session.created_at <= session.last_seen && session.last_seen < session.expires_at);
        assert_ne!(
            session.handle.as_str(),
            cookie,
            "a handle is not the cookie"
        );
        assert!(!format!("{:?}", session.handle).contains(session.handle.as_str()));
    }
    let anonymous = Browser::new(&h)
        .visit::<Account, _>(async |s| s.owner_sessions().await.expect("lists"))
        .await;
    assert!(
        anonymous.is_empty(),
        "a session without an owner lists nothing"
    );
    let bobs = other
        .visit::<Account, _>(async |s| s.owner_sessions().await.expect("lists"))
        .await;
    assert_eq!(bobs.len(), 1, "another owner's list holds only their own");
}

/// Through the store: revoking one handle logs that browser out on its
/// next request and nobody else; a handle of another owner, a used one,
/// a cookie or junk revoke nothing.
pub async fn store_revoke_one_logs_that_browser_out<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let (ada, bob) = (someone("ada"), someone("bob"));
    let (mut first, mut second, mut other) = (Browser::new(&h), Browser::new(&h), Browser::new(&h));
    first.log_in(&ada, "first").await;
    second.log_in(&ada, "second").await;
    other.log_in(&bob, "bob").await;
    let bobs_handle = other
        .visit::<Account, _>(async |s| s.owner_sessions().await.expect("lists")[0].handle.clone())
        .await;
    let cookie = SessionHandle::from(first.cookie.clone().expect("logged in"));
    let revoked = first
        .visit::<Account, _>(async |s| {
            let listed = s.owner_sessions().await.expect("lists");
            let theirs = listed
                .iter()
                .find(|l| !l.current)
                .expect("the second login");
            let junk = SessionHandle::from("junk".to_owned());
            for stranger in [&bobs_handle, &cookie, &junk] {
                assert!(
                    !s.revoke(stranger).await.expect("revoke runs"),
                    "{stranger:?} revokes nothing"
                );
            }
            let once = s.revoke(&theirs.handle).await.expect("revoke runs");
            let twice = s.revoke(&theirs.handle).await.expect("revoke runs");
            (once, twice)
        })
        .await;
    assert_eq!(revoked, (true, false), "a handle revokes its session once");
    assert!(
        !second.is_logged_in().await,
        "the revoked browser is logged out"
    );
    assert!(first.is_logged_in().await, "the revoking browser stays in");
    assert!(
        other.is_logged_in().await,
        "another owner's session is untouched"
    );
}

/// Through the store: "log out everywhere else" keeps the current
/// session only; "log out everywhere" ends it too and removes its cookie.
pub async fn store_revoke_others_then_all<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let ada = someone("ada");
    let mut browsers: Vec<_> = (0..4).map(|_| Browser::new(&h)).collect();
    for browser in &mut browsers {
        browser.log_in(&ada, "a").await;
    }
    let ended = browsers[0]
        .visit::<Account, _>(async |s| s.revoke_others().await.expect("revokes"))
        .await;
    assert_eq!(ended, 3);
    assert!(
        browsers[0].is_logged_in().await,
        "the current session stays"
    );
    for browser in &mut browsers[1..] {
        assert!(!browser.is_logged_in().await, "every other session is over");
    }
    browsers[1].log_in(&ada, "b").await;
    let ended = browsers[0]
        .visit::<Account, _>(async |s| s.revoke_all().await.expect("revokes"))
        .await;
    assert_eq!(ended, 2);
    assert_eq!(browsers[0].cookie, None, "the response removed the cookie");
    for browser in &mut browsers[..2] {
        assert!(
            !browser.is_logged_in().await,
            "log out everywhere ends every session"
        );
    }
}

/// Through the store: logout, renew and expiry keep the list exact: a
/// renewed session is listed once under its new id, an ended or expired
/// one not at all.
pub async fn store_logout_renew_and_expiry_keep_the_list_exact<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Harness::new(key, store);
    let ada = someone("ada");
    let owner = OwnerId::new(Account::CONFIG.name(), &ada);
    let (mut kept, mut renewed, mut left, mut aged) = (
        Browser::new(&h),
        Browser::new(&h),
        Browser::new(&h),
        Browser::new(&h),
    );
    for browser in [&mut kept, &mut renewed, &mut left, &mut aged] {
        browser.log_in(&ada, "x").await;
    }
    assert_eq!(owned_ids(&h, &owner).await.len(), 4);
    renewed.visit::<Account, _>(async |s| s.renew()).await;
    left.visit::<Account, _>(async |s| s.destroy()).await;
    let aged_id = id_of::<Account, _>(&h, aged.cookie.as_deref()).await;
    h.retime(&aged_id, expired_but_created(&h, &aged_id).await)
        .await;
    let renewed_id = id_of::<Account, _>(&h, renewed.cookie.as_deref()).await;
    let kept_id = id_of::<Account, _>(&h, kept.cookie.as_deref()).await;
    assert_eq!(
        owned_ids(&h, &owner).await,
        sorted(vec![kept_id, renewed_id]),
        "the index follows logout, renew and expiry"
    );
    h.backend()
        .cleanup_expired(UnixTime::now())
        .await
        .expect("cleanup");
    assert_eq!(owned_ids(&h, &owner).await.len(), 2);
}

/// Times that ended a second ago, for the record under `id`.
async fn expired_but_created<B: Backend>(h: &Harness<B>, id: &SessionId) -> sessions::store::Times {
    let record = h.record(id).await.expect("live");
    let now = UnixTime::now().as_secs();
    times(
        record.times.created_at,
        UnixTime::from_secs(now - 2),
        UnixTime::from_secs(now - 1),
    )
}

/// Through the store: a login past the cap revokes the owner's oldest
/// session, never the new one.
pub async fn store_cap_revokes_the_oldest_session<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let ada = someone("ada");
    let mut browsers: Vec<_> = (0..3).map(|_| Browser::new(&h)).collect();
    for (age, browser) in [300, 200].into_iter().zip(&mut browsers) {
        let user = ada.clone();
        browser
            .visit::<Capped, _>(async move |s| s.update(|c| c.0.user = Some(user)))
            .await;
        // Created earlier, so the order of age is certain.
        let id = id_of::<Capped, _>(&h, browser.cookie.as_deref()).await;
        let record = h.record(&id).await.expect("live");
        let now = UnixTime::now().as_secs();
        let older = times(
            UnixTime::from_secs(now - age),
            record.times.issued_at,
            record.times.expires_at,
        );
        h.retime(&id, older).await;
    }
    let user = ada.clone();
    browsers[2]
        .visit::<Capped, _>(async move |s| s.update(|c| c.0.user = Some(user)))
        .await;
    let alive = async |browser: &mut Browser<'_, B>| {
        browser.visit::<Capped, _>(async |s| !s.is_new()).await
    };
    assert!(
        !alive(&mut browsers[0]).await,
        "the oldest session was revoked"
    );
    assert!(alive(&mut browsers[1]).await && alive(&mut browsers[2]).await);
}

/// Races: a request loads a logged-in session and changes it, and before
/// it saves, another browser logs the owner out everywhere: the save must
/// not bring the session back, nor may any later save through its cookie.
pub async fn store_revoke_racing_a_save_never_resurrects<B: Backend>(
    key: Key,
    store: ServerStore<B>,
) {
    let h = Arc::new(Harness::new(key, store));
    let ada = someone("ada");
    let owner = OwnerId::new(Account::CONFIG.name(), &ada);
    let mut busy = Browser::new(&h);
    busy.log_in(&ada, "busy").await;
    let cookie = busy.cookie.clone().expect("logged in");
    let (loaded, done) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let saver = {
        let (h, loaded, done) = (Arc::clone(&h), Arc::clone(&loaded), Arc::clone(&done));
        tokio::spawn(async move {
            for round in 0..20 {
                let req = h.request(Some((Account::CONFIG.name(), &cookie)));
                let session = Handle::<Account>::load(&req).await.expect("loads");
                session.update(|a| a.visits += 1);
                if round == 5 {
                    // Loaded before the revoke, saved after it.
                    loaded.wait().await;
                    done.wait().await;
                }
                let mut res = http::Response::new(());
                sessions::save(&req, &mut res)
                    .await
                    .expect("a save that meets a revoked session follows it");
            }
        })
    };
    loaded.wait().await;
    let mut revoker = Browser::new(&h);
    revoker.log_in(&ada, "revoker").await;
    revoker
        .visit::<Account, _>(async |s| s.revoke_all().await.expect("revokes"))
        .await;
    done.wait().await;
    saver.await.expect("the saving browser panicked");
    assert!(
        owned_ids(&h, &owner).await.is_empty(),
        "a revoked session must never come back"
    );
    assert!(!busy.is_logged_in().await, "the busy browser is logged out");
}
