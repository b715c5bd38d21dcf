//! What every case needs: the store under test shared between the registry
//! and the case, session types with the expiry policies under test, requests
//! that carry cookies, and records and times made by hand.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::header::{COOKIE, SET_COOKIE};
use http::{Request, Response};
use serde::{Deserialize, Serialize};
use sessions::store::{
    Backend, Loaded, OwnerId, Record, ServerStore, SessionId, Store, Times, UnixTime, Update,
};
use sessions::{Handle, Key, Result, SessionConfig, SessionData, Sessions};

/// The expiry policy and cookie name of a [`Visit`] session.
pub(crate) trait Policy: Send + Sync + 'static {
    /// The session's configuration.
    const CONFIG: SessionConfig;
}

/// The plain session most cases use.
#[derive(Debug)]
pub(crate) enum Plain {}

/// The same data under another cookie name.
#[derive(Debug)]
pub(crate) enum Elsewhere {}

/// A session with an idle timeout of [`IDLE`].
#[derive(Debug)]
pub(crate) enum Idle {}

/// A session with an absolute timeout of [`ABSOLUTE`].
#[derive(Debug)]
pub(crate) enum Absolute {}

/// The idle timeout of [`Idle`].
pub(crate) const IDLE: Duration = Duration::from_mins(1);
/// The absolute timeout of [`Absolute`].
pub(crate) const ABSOLUTE: Duration = Duration::from_mins(10);

impl Policy for Plain {
    const CONFIG: SessionConfig = SessionConfig::new("conformance");
}

impl Policy for Elsewhere {
    const CONFIG: SessionConfig = SessionConfig::new("conformance-elsewhere");
}

impl Policy for Idle {
    const CONFIG: SessionConfig = SessionConfig::new("conformance-idle").with_idle_timeout(IDLE);
}

impl Policy for Absolute {
    const CONFIG: SessionConfig =
        SessionConfig::new("conformance-absolute").with_absolute_timeout(ABSOLUTE);
}

/// The data of every session in the suite. `count` and `note` are written
/// together, so a record mixing two saves shows as a mismatch.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct Visit<P> {
    pub(crate) count: u32,
    pub(crate) note: String,
    #[serde(skip)]
    policy: PhantomData<fn() -> P>,
}

impl<P> Visit<P> {
    pub(crate) fn new(count: u32, note: impl Into<String>) -> Self {
        Self {
            count,
            note: note.into(),
            policy: PhantomData,
        }
    }
}

impl<P> Default for Visit<P> {
    fn default() -> Self {
        Self::new(0, "")
    }
}

impl<P> Clone for Visit<P> {
    fn clone(&self) -> Self {
        Self::new(self.count, self.note.clone())
    }
}

impl<P> PartialEq for Visit<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.count, &self.note) == (other.count, &other.note)
    }
}

impl<P> fmt::Debug for Visit<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Visit")
            .field("count", &self.count)
            .field("note", &self.note)
            .finish()
    }
}

impl<P: Policy> SessionData for Visit<P> {
    const CONFIG: SessionConfig = P::CONFIG;
}

/// What a response did to the session cookie.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// No `Set-Cookie`.
    Untouched,
    /// A cookie with this value.
    Cookie(String),
    /// A removal cookie (`Max-Age=0`).
    Removal,
}

impl Reply {
    /// The cookie value; panics on anything else.
    pub(crate) fn cookie(self) -> String {
        match self {
            Self::Cookie(value) => value,
            other => panic!("expected a session cookie, got {other:?}"),
        }
    }
}

/// One request in flight: its registry and the session it loaded.
pub(crate) struct Exchange<P> {
    req: Request<()>,
    /// The session of the request.
    pub(crate) session: Handle<Visit<P>>,
}

impl<P: Policy> Exchange<P> {
    /// Saves the request's sessions and reads back the `Set-Cookie`.
    pub(crate) async fn finish(self) -> Result<Reply> {
        let mut res = Response::new(());
        sessions::save(&self.req, &mut res).await?;
        let mut lines = res.headers().get_all(SET_COOKIE).iter();
        let Some(line) = lines.next() else {
            return Ok(Reply::Untouched);
        };
        assert!(lines.next().is_none(), "one session, one Set-Cookie line");
        let line = line.to_str().expect("Set-Cookie is ASCII");
        let mut parts = line.split(';').map(str::trim);
        let pair = parts.next().unwrap_or_default();
        let (name, value) = pair
            .split_once('=')
            .expect("Set-Cookie starts with name=value");
        assert_eq!(name, P::CONFIG.name(), "Set-Cookie names the session");
        if parts.any(|attr| attr.eq_ignore_ascii_case("Max-Age=0")) {
            return Ok(Reply::Removal);
        }
        Ok(Reply::Cookie(value.to_owned()))
    }

    /// [`finish`](Self::finish), which must succeed.
    pub(crate) async fn reply(self) -> Reply {
        self.finish().await.expect("saving the session failed")
    }
}

/// The store under test, shared between the registry and the case, and
/// the key it seals with.
pub(crate) struct Harness<B> {
    pub(crate) key: Key,
    pub(crate) store: Arc<ServerStore<B>>,
    sessions: Sessions,
}

impl<B: Backend> Harness<B> {
    pub(crate) fn new(key: Key, store: ServerStore<B>) -> Self {
        let store = Arc::new(store);
        let sessions = Sessions::new(Arc::clone(&store));
        Self {
            key,
            store,
            sessions,
        }
    }

    /// A harness on a second store over this one's backend, of kind
    /// `kind` and sealing with `key`: the ids in its cookies are live in
    /// the backend under test, so only the binding of the cookie to its
    /// store kind and key keeps them out of this store.
    pub(crate) fn twin(&self, kind: &'static str, key: Key) -> Harness<Twin<B>> {
        let backend = Twin {
            store: Arc::clone(&self.store),
            kind,
        };
        Harness::new(key.clone(), ServerStore::from_backend(backend, key))
    }

    pub(crate) fn backend(&self) -> &B {
        self.store.backend()
    }

    /// A request with a registry and, if given, `Cookie: name=value`.
    pub(crate) fn request(&self, cookie: Option<(&str, &str)>) -> Request<()> {
        let mut builder = Request::builder();
        if let Some((name, value)) = cookie {
            builder = builder.header(COOKIE, format!("{name}={value}"));
        }
        let mut req = builder.body(()).expect("a request with a cookie header");
        self.sessions.attach(&mut req);
        req
    }

    /// Starts a request carrying `cookie` and loads its `P` session.
    pub(crate) async fn visit<P: Policy>(&self, cookie: Option<&str>) -> Exchange<P> {
        let req = self.request(cookie.map(|value| (P::CONFIG.name(), value)));
        let session = Handle::load(&req).await.expect("loading a session failed");
        Exchange { req, session }
    }

    /// A new `P` session holding `data`, saved; returns its cookie value.
    pub(crate) async fn start<P: Policy>(&self, data: Visit<P>) -> String {
        let exchange = self.visit::<P>(None).await;
        assert!(exchange.session.is_new(), "no cookie, a new session");
        exchange.session.replace(data);
        exchange.reply().await.cookie()
    }

    /// The data behind `cookie`, or `None` when it gives a new session.
    pub(crate) async fn data<P: Policy>(&self, cookie: &str) -> Option<Visit<P>> {
        let session = self.visit::<P>(Some(cookie)).await.session;
        (!session.is_new()).then(|| session.get())
    }

    /// `Store::load` now.
    pub(crate) async fn load(&self, name: &str, cookie: &str) -> Option<Loaded> {
        self.load_at(name, cookie, UnixTime::now()).await
    }

    /// `Store::load` at `now`, which must not fail.
    pub(crate) async fn load_at(&self, name: &str, cookie: &str, now: UnixTime) -> Option<Loaded> {
        Store::load(&*self.store, name, cookie, now)
            .await
            .expect("Store::load failed")
    }

    /// The id behind a live `P` cookie.
    pub(crate) async fn id<P: Policy>(&self, cookie: &str) -> SessionId {
        let loaded = self.load(P::CONFIG.name(), cookie).await;
        let loaded = loaded.expect("a cookie the store just issued loads");
        loaded
            .id()
            .cloned()
            .expect("a server-side store reports the id it loaded")
    }

    /// `Backend::load` now, which must not fail.
    pub(crate) async fn record(&self, id: &SessionId) -> Option<Record> {
        self.record_at(id, UnixTime::now()).await
    }

    /// `Backend::load` at `now` with the store's size limit, which must
    /// not fail.
    pub(crate) async fn record_at(&self, id: &SessionId, now: UnixTime) -> Option<Record> {
        self.backend()
            .load(id, now, self.store.max_record_len())
            .await
            .expect("Backend::load failed")
    }

    /// Rewrites the record under `id` with other times, through
    /// `Backend::update`, as its next version.
    pub(crate) async fn retime(&self, id: &SessionId, times: Times) {
        let record = self.record(id).await.expect("the record to retime is live");
        let retimed = Record::new(record.payload, times).with_owner(record.owner);
        self.rewrite(id, record.version, &retimed).await;
    }

    /// Writes `record` over version `expected` of the live record under
    /// `id`, as version `expected + 1`, through `Backend::update`.
    pub(crate) async fn rewrite(&self, id: &SessionId, expected: u64, record: &Record) {
        let record = record.clone().with_version(expected + 1);
        let updated = self
            .backend()
            .update(id, expected, &record, UnixTime::now());
        assert_eq!(
            updated.await.expect("Backend::update failed"),
            Update::Written,
            "the record is live, at version {expected}"
        );
    }
}

/// The backend under test under another kind: see [`Harness::twin`].
pub(crate) struct Twin<B> {
    store: Arc<ServerStore<B>>,
    kind: &'static str,
}

impl<B: Backend> Backend for Twin<B> {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        self.store.backend().create(id, record, now).await
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        self.store.backend().load(id, now, max_len).await
    }

    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        self.store.backend().update(id, expected, record, now).await
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.store.backend().delete(id).await
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        self.store.backend().cleanup_expired(now).await
    }

    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.store.backend().owned(owner, now, max_len).await
    }
}

/// `secs` seconds before now.
pub(crate) fn ago(secs: u64) -> UnixTime {
    UnixTime::from_secs(UnixTime::now().as_secs() - secs)
}

/// `secs` seconds after now.
pub(crate) fn ahead(secs: u64) -> UnixTime {
    UnixTime::now() + Duration::from_secs(secs)
}

/// Times from their three parts.
pub(crate) fn times(created_at: UnixTime, issued_at: UnixTime, expires_at: UnixTime) -> Times {
    Times {
        created_at,
        issued_at,
        expires_at,
    }
}

/// Times of a record that is live for the next hour.
pub(crate) fn live() -> Times {
    times(ago(0), ago(0), ahead(3600))
}

/// Times of a record that expired an hour ago.
pub(crate) fn expired() -> Times {
    times(ago(7200), ago(7200), ago(3600))
}

/// A record of `len` bytes of `byte`.
pub(crate) fn record(byte: u8, len: usize, times: Times) -> Record {
    Record::new(vec![byte; len], times)
}
