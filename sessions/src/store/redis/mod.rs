//! `RedisStore`: sessions in Redis, shared by every app server.

use std::fmt;

use redis::FromRedisValue;

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::record::{VERSION_AT, corrupt};
use crate::store::{Backend, OwnerId, Record, ServerStore, Update};

mod connection;
mod options;
mod owners;
mod script;
#[cfg(feature = "redis-sentinel")]
mod sentinel;

use connection::{Connection, NotReplicated, Request, backend, bounded};
pub use options::{DEFAULT_REDIS_PREFIX, MAX_REDIS_PREFIX_LEN, RedisOptions};
use owners::millis;
use script::{Invoke, UPDATE, is_unknown_script};

/// Sessions in Redis: many app servers, one session state (feature `redis`).
///
/// One round trip per load (`GETRANGE`, bounded by the record size limit)
/// and per save (`SET ... NX PXAT` to create; to update, a Lua script
/// that compares the stored record's version and sets the new one in one
/// atomic step, [`EVALSHA`](#updates-compare-and-set)); Redis expires each
/// key with its session, so no cleanup is needed. Values are records in
/// the one byte format of every store
/// ([`Record::encode`]), bound to their id: a value copied or renamed to
/// another key, or over the limit, fails the load ([`Error::Decode`],
/// [`Error::RecordTooLarge`]) instead of giving someone a session. The
/// connection reconnects by itself; while Redis is down, frozen or failing
/// over, loads and saves fail with [`Error::Backend`] within
/// [`RedisOptions::bound`] (2 s by default) and the request fails closed.
///
/// One server, a Cluster (feature `redis-cluster`) and Sentinel (feature
/// `redis-sentinel`) take the same [`RedisOptions`]; `rediss://` URLs
/// connect over TLS (feature `redis-tls`).
///
/// # Updates: compare-and-set
///
/// An update runs this script by its SHA-1 with `EVALSHA` (one key, so a
/// Cluster routes it to the key's node like any other command), in the
/// round trip of every write, `WAIT` included when saves are durable. When
/// the server does not have the script (after a restart, a failover or
/// `SCRIPT FLUSH`) it answers `NOSCRIPT` without running it, and the
/// update is sent again once with the script's text (`EVAL`), within the
/// same [`RedisOptions::bound`]. The update of a session with an owner
/// goes by text (see [owners](#owners-one-sorted-set-per-owner)):
///
/// ```lua
#[doc = include_str!("update.lua")]
/// ```
///
/// The version bytes are compared as strings: Lua's numbers are doubles,
/// which would round versions past 2^53. A value whose first 40 bytes are
/// not those of the new record (not a record of this format, or written
/// under another id) fails the update with [`Error::Decode`], as a load
/// of it fails.
///
/// An update that the client sends again (after a dropped connection or a
/// failover, within the retries of [`RedisOptions`]) may find its own
/// first attempt applied. The answer is then `Stale`, as for any other
/// newer version: the session reloads its own write and saves again,
/// which costs a write and loses nothing. Answering `Written` because the
/// stored bytes equal the new record would be wrong: two requests that
/// take the same flash write the same bytes, and both would be told they
/// won. A flash whose take was resent this way is shown by no request
/// rather than by two.
///
/// # Owners: one sorted set per owner
///
/// A session with an owner ([`Record::owner`]) is also listed in its
/// owner's sorted set, under `<prefix>owner:<hex>` where `<hex>` is the
/// [`OwnerId`] digest (never the owner's text): members are session ids,
/// scores their expiry in ms. A save adds the id with this script, on the
/// owner's key alone:
///
/// ```lua
#[doc = include_str!("index.lua")]
/// ```
///
/// On one server and through Sentinel the save and the script are one
/// transaction (`MULTI`/`EXEC`, then `WAIT` when durable) in the save's
/// one round trip. On a Cluster the two keys are in different slots:
/// they are two requests sent at once (each with its `WAIT`), so a save
/// still takes one round trip's time, within [`RedisOptions::bound`].
/// Both scripts go by text here: the index raises its entry on every run,
/// and a transaction sent again after a `NOSCRIPT` would run it twice.
/// A delete takes the id out of its owner's set: a second round trip, for
/// a session with an owner only. [`Backend::owned`] reads the set
/// (dropping the expired members) and then every member's record, in one
/// pipeline (concurrent requests on a Cluster): two round trips for all
/// of an owner's sessions, within the bound.
///
/// The record, not the set, says who owns a session: `owned` lists a
/// member only if its record is live and has that owner. So an entry left
/// behind (an update that changed the owner, or that turned out `Stale`
/// or `Missing` after indexing its id, a delete whose second request
/// failed) never lists a session; it leaves the set at its expiry, and on
/// one server `owned` prunes it at once.
///
/// This example needs a Redis server, so it is only compiled (`no_run`):
///
/// ```no_run
/// use sessions::{CookieStore, Key, RedisStore, SessionLayer};
/// use sessions::store::Store;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let key = Key::generate(); // the same key on every app server
/// let store = RedisStore::connect("redis://127.0.0.1:6379/0", key.clone()).await?;
/// assert_eq!(store.kind(), "redis");
/// let layer = SessionLayer::new(CookieStore::new(key)).with_store("redis", store);
/// assert!(layer.sessions().has_store("redis"));
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub type RedisStore = ServerStore<RedisBackend>;

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://127.0.0.1:6379/0`).
    ///
    /// Use it as in [`RedisStore`]'s example. Without a reachable server
    /// there is no store, and the error keeps the cause:
    ///
    /// ```
    /// use std::error::Error as _;
    /// use sessions::{Error, Key, RedisStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // Nothing listens on port 1.
    /// let err = RedisStore::connect("redis://127.0.0.1:1/", Key::generate()).await.unwrap_err();
    /// assert!(matches!(err, Error::Backend(_)));
    /// assert!(err.source().is_some());
    /// # });
    /// ```
    pub async fn connect(url: &str, keys: impl Into<KeyRing>) -> Result<Self> {
        Ok(Self::from_backend(RedisBackend::connect(url).await?, keys))
    }

    /// Connects to a Redis Cluster through any of its nodes (feature
    /// `redis-cluster`).
    ///
    /// This example needs a Redis Cluster, so it is only compiled
    /// (`no_run`):
    ///
    /// ```no_run
    /// use sessions::{Key, RedisStore};
    /// use sessions::store::Store;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let nodes = ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"];
    /// let store = RedisStore::connect_cluster(&nodes, Key::generate()).await?;
    /// assert_eq!(store.kind(), "redis"); // the same cookies as a single server
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[cfg(feature = "redis-cluster")]
    pub async fn connect_cluster(urls: &[&str], keys: impl Into<KeyRing>) -> Result<Self> {
        Ok(Self::from_backend(
            RedisBackend::connect_cluster(urls).await?,
            keys,
        ))
    }

    /// Connects to the primary named `primary` through the Redis Sentinels
    /// at `sentinels` (feature `redis-sentinel`), and finds the new primary
    /// by itself after a failover.
    ///
    /// This example needs Redis Sentinel, so it is only compiled
    /// (`no_run`):
    ///
    /// ```no_run
    /// use sessions::{Key, RedisStore};
    /// use sessions::store::Store;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"];
    /// let store = RedisStore::connect_sentinel(&sentinels, "sessions", Key::generate()).await?;
    /// assert_eq!(store.kind(), "redis");
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub async fn connect_sentinel(
        sentinels: &[&str],
        primary: &str,
        keys: impl Into<KeyRing>,
    ) -> Result<Self> {
        let backend = RedisBackend::connect_sentinel(sentinels, primary).await?;
        Ok(Self::from_backend(backend, keys))
    }
}

/// The script's replies.
const WRITTEN: i64 = 1;
const STALE: i64 = 2;
const MISSING: i64 = 0;
const NOT_A_RECORD: i64 = -1;
const _: () = assert!(
    VERSION_AT == 40,
    "update.lua reads the version at bytes 41 to 48 (Lua counts from 1)"
);

/// The [`Backend`] of [`RedisStore`].
///
/// Build it yourself to choose its [`RedisOptions`] before wrapping it in a
/// [`ServerStore`]. This example needs a Redis server, so it is only
/// compiled (`no_run`):
///
/// ```no_run
/// use std::time::Duration;
/// use sessions::Key;
/// use sessions::store::{Backend, RedisBackend, RedisOptions, ServerStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let options = RedisOptions::new()
///     .prefix("shop:session:")
///     .response_timeout(Duration::from_millis(500));
/// let backend = RedisBackend::connect_with("redis://127.0.0.1:6379/0", options).await?;
/// assert_eq!(backend.kind(), "redis");
/// assert_eq!(backend.options().key_prefix(), "shop:session:");
/// let store = ServerStore::from_backend(backend, Key::generate());
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    connection: Connection,
    options: RedisOptions,
}

impl RedisBackend {
    /// Connects to one Redis server with the default [`RedisOptions`].
    ///
    /// A URL that is not a Redis URL fails before any network traffic:
    ///
    /// ```
    /// use sessions::{Error, store::RedisBackend};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = RedisBackend::connect("http://127.0.0.1:6379").await.unwrap_err();
    /// assert!(matches!(err, Error::Backend(_)));
    /// # });
    /// ```
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, RedisOptions::new()).await
    }

    /// Connects to one Redis server with `options`, checked first.
    ///
    /// ```
    /// use sessions::Error;
    /// use sessions::store::{RedisBackend, RedisOptions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let options = RedisOptions::new().prefix("no spaces please");
    /// let err = RedisBackend::connect_with("redis://127.0.0.1:6379", options).await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "prefix", .. }));
    /// # });
    /// ```
    pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Self> {
        options.check()?;
        let connection = Connection::single(url, &options).await?;
        Ok(Self {
            connection,
            options,
        })
    }

    /// Connects to a Redis Cluster with the default [`RedisOptions`]
    /// (feature `redis-cluster`).
    ///
    /// Any node will do to find the others, but at least one is needed:
    ///
    /// ```
    /// use sessions::{Error, store::RedisBackend};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = RedisBackend::connect_cluster(&[]).await.unwrap_err();
    /// assert!(matches!(err, Error::Backend(_)));
    /// # });
    /// ```
    #[cfg(feature = "redis-cluster")]
    pub async fn connect_cluster(urls: &[&str]) -> Result<Self> {
        Self::connect_cluster_with(urls, RedisOptions::new()).await
    }

    /// Connects to a Redis Cluster with `options` (feature
    /// `redis-cluster`). Every command names one key, so sessions spread
    /// over every primary; redirections and failovers are followed within
    /// the options' retries and bound.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use sessions::{Error, store::{RedisBackend, RedisOptions}};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let options = RedisOptions::new().connect_timeout(Duration::from_millis(100));
    /// // Nothing listens on port 1: the failure is quick and typed.
    /// let started = Instant::now();
    /// let err = RedisBackend::connect_cluster_with(&["redis://127.0.0.1:1"], options).await;
    /// assert!(matches!(err, Err(Error::Backend(_))));
    /// assert!(started.elapsed() < Duration::from_secs(3));
    /// # });
    /// ```
    #[cfg(feature = "redis-cluster")]
    pub async fn connect_cluster_with(urls: &[&str], options: RedisOptions) -> Result<Self> {
        options.check()?;
        let connection = Connection::cluster(urls, &options).await?;
        Ok(Self {
            connection,
            options,
        })
    }

    /// Connects through Redis Sentinel with the default [`RedisOptions`]
    /// (feature `redis-sentinel`): see [`connect_sentinel_with`](Self::connect_sentinel_with).
    ///
    /// ```
    /// use sessions::{Error, store::RedisBackend};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let err = RedisBackend::connect_sentinel(&[], "sessions").await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "sentinels", .. }));
    /// # });
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub async fn connect_sentinel(sentinels: &[&str], primary: &str) -> Result<Self> {
        Self::connect_sentinel_with(sentinels, primary, RedisOptions::new()).await
    }

    /// Connects to the primary that the sentinels at `sentinels` name
    /// `primary`, with `options` (feature `redis-sentinel`).
    ///
    /// The connection is kept until it fails or the node says it is no
    /// longer a primary (`READONLY`); the next attempt asks the sentinels
    /// again, so requests succeed again once they have promoted a replica.
    /// The database, user and password of the first sentinel URL also
    /// apply to the primary.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::{Error, store::{RedisBackend, RedisOptions}};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let options = RedisOptions::new().response_timeout(Duration::from_millis(200));
    /// let err = RedisBackend::connect_sentinel_with(&["redis://127.0.0.1:1"], "sessions", options);
    /// assert!(matches!(err.await, Err(Error::Backend(_))));
    /// # });
    /// ```
    #[cfg(feature = "redis-sentinel")]
    pub async fn connect_sentinel_with(
        sentinels: &[&str],
        primary: &str,
        options: RedisOptions,
    ) -> Result<Self> {
        options.check()?;
        let sentinel = sentinel::SentinelConnection::connect(sentinels, primary, &options).await?;
        Ok(Self {
            connection: Connection::Sentinel(sentinel),
            options,
        })
    }

    /// The options this backend was connected with.
    ///
    /// ```no_run
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // Needs a Redis on 127.0.0.1:6379, so only compiled here.
    /// use sessions::store::{RedisBackend, RedisOptions};
    /// let backend = RedisBackend::connect("redis://127.0.0.1:6379/").await?;
    /// assert_eq!(backend.options(), &RedisOptions::default());
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// The key of a session. Ids are validated base64url and the prefix is
    /// checked, so a key never holds anything a client chose.
    fn key(&self, id: &SessionId) -> String {
        format!("{}{id}", self.options.prefix)
    }

    async fn read<T: FromRedisValue + Send>(&self, cmd: &redis::Cmd) -> Result<T> {
        let bound = self.options.bound();
        self.connection.send(Request::Cmd(cmd), bound).await
    }

    /// Sends a write; with durable saves, followed by `WAIT` in the same
    /// round trip, failing unless enough replicas confirmed it.
    async fn write<T: FromRedisValue + Send>(&self, cmd: redis::Cmd) -> Result<T> {
        if self.options.durability.is_none() {
            let bound = self.options.bound();
            return self.connection.send(Request::Cmd(&cmd), bound).await;
        }
        let mut pipeline = redis::pipe();
        pipeline.add_command(cmd);
        let (reply,): (T,) = self.send_durably(pipeline).await?;
        Ok(reply)
    }

    /// Sends `pipeline`; with durable saves, followed by `WAIT` in the same
    /// round trip, failing unless enough replicas confirmed it. `T` holds
    /// the replies of the pipeline's commands that are not ignored.
    async fn send_durably<T: FromRedisValue + Send>(
        &self,
        mut pipeline: redis::Pipeline,
    ) -> Result<T> {
        let bound = self.options.bound();
        let Some(durability) = self.options.durability else {
            return self
                .connection
                .send(Request::Pipeline(&pipeline), bound)
                .await;
        };
        let wait_ms = u64::try_from(durability.timeout.as_millis()).unwrap_or(u64::MAX);
        pipeline.cmd("WAIT").arg(durability.replicas).arg(wait_ms);
        let mut replies: Vec<redis::Value> = self
            .connection
            .send(Request::Pipeline(&pipeline), bound)
            .await?;
        let confirmed = replies.pop().map_or(Ok(0), redis::from_redis_value::<i64>);
        let confirmed = confirmed.map_err(|e| backend(e.into()))?;
        if confirmed < i64::from(durability.replicas) {
            return Err(Error::Backend(Box::new(NotReplicated {
                confirmed,
                wanted: durability.replicas,
                timeout: durability.timeout,
            })));
        }
        redis::from_redis_value(redis::Value::Array(replies)).map_err(|e| backend(e.into()))
    }

    /// `SET key value NX PXAT expiry`, and the owner's index: `true` when
    /// written.
    async fn set_new(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(id))
            .arg(record.encode(id))
            .arg("NX")
            .arg("PXAT")
            .arg(millis(record.times.expires_at));
        let index = self.index_cmd(id, record, now);
        let reply: Option<String> = self.write_indexed(cmd, index).await?;
        Ok(reply.is_some())
    }

    /// `GETRANGE key 0 end`: never more than a record of `max_len` needs,
    /// so a huge value under a session key is refused without being read.
    /// A missing key reads as empty, and so does an empty value, which no
    /// record is: both are no session.
    async fn get(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let end = Record::read_limit(max_len).saturating_sub(1);
        let mut cmd = redis::cmd("GETRANGE");
        cmd.arg(self.key(id))
            .arg(0)
            .arg(i64::try_from(end).unwrap_or(i64::MAX));
        let bytes: Vec<u8> = self.read(&cmd).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let record = Record::decode(&bytes, id, max_len)?;
        Ok(Some(record).filter(|r| !r.is_expired(now)))
    }

    /// Runs the update script (`update.lua`): compare-and-set on the
    /// version, with the owner's index in the same round trip. By digest
    /// first; by text, within what is left of the bound, when Redis does
    /// not have the script.
    async fn compare_and_set(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        let started = tokio::time::Instant::now();
        let encoded = record.encode(id);
        let update = |how| self.run_update(how, id, expected, record, &encoded, now);
        let reply = match update(Invoke::Digest).await {
            Err(error) if is_unknown_script(&error) => {
                let left = self.options.bound().saturating_sub(started.elapsed());
                bounded(left, update(Invoke::Text)).await?
            }
            reply => reply?,
        };
        match reply {
            WRITTEN => Ok(Update::Written),
            STALE => Ok(Update::Stale),
            MISSING => Ok(Update::Missing),
            NOT_A_RECORD => Err(corrupt("not a record of this id and format")),
            _ => Err(Error::Backend("unknown reply of the update script".into())),
        }
    }

    /// One attempt of the update script, named as `how` says: `KEYS[1]`
    /// the session's key; `ARGV[1]` the new record, `ARGV[2]` its expiry
    /// (ms since the epoch), `ARGV[3]` the expected version (8 bytes, big
    /// endian).
    async fn run_update(
        &self,
        how: Invoke,
        id: &SessionId,
        expected: u64,
        record: &Record,
        encoded: &[u8],
        now: UnixTime,
    ) -> Result<i64> {
        let index = self.index_cmd(id, record, now);
        // With an owner's index in the same transaction, by text: a
        // `NOSCRIPT` there would come after the index ran, and sending the
        // transaction again would raise the entry twice.
        let how = if index.is_some() { Invoke::Text } else { how };
        let mut cmd = UPDATE.cmd(how);
        cmd.arg(1)
            .arg(self.key(id))
            .arg(encoded)
            .arg(millis(record.times.expires_at))
            .arg(&expected.to_be_bytes()[..]);
        self.write_indexed(cmd, index).await
    }
}

impl Backend for RedisBackend {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        // Redis judges liveness by its own clock: a key lives until its
        // PXAT. `now` only drops the expired entries of the owner's index.
        self.set_new(id, record, now).await
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        self.get(id, now, max_len).await
    }

    /// Compare-and-set in one script ([`RedisStore`]'s docs show it).
    /// Liveness is Redis's own, as for `create`: a key lives until its
    /// `PXAT`.
    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        self.compare_and_set(id, expected, record, now).await
    }

    /// One round trip, a second for a session with an owner (its id
    /// leaves the owner's index).
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.delete_indexed(id).await
    }

    async fn cleanup_expired(&self, _now: UnixTime) -> Result<usize> {
        // Redis expires every key at its session's expiry (PXAT).
        Ok(0)
    }

    /// Two round trips (three when stale entries are pruned), within the
    /// bound: [`RedisStore`]'s docs describe the index.
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.list_owned(owner, now, max_len).await
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("connection", &self.connection.kind())
            .field("options", &self.options)
            .finish()
    }
}
