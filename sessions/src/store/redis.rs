//! `RedisStore`: sessions in Redis, shared by every app server.

use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::{Backend, Record, ServerStore};

/// Prefix of every key [`RedisStore`] writes, unless changed.
///
/// A session lives under the prefix followed by its id's text form:
///
/// ```
/// use sessions::store::{DEFAULT_REDIS_PREFIX, ID_TEXT_LEN, SessionId};
///
/// assert_eq!(DEFAULT_REDIS_PREFIX, "session:");
/// let key = format!("{DEFAULT_REDIS_PREFIX}{}", SessionId::generate());
/// assert_eq!(key.len(), "session:".len() + ID_TEXT_LEN);
/// ```
pub const DEFAULT_REDIS_PREFIX: &str = "session:";

/// How long a command may take before the request fails closed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sessions in Redis: many app servers, one session state (feature `redis`).
///
/// One round trip per load (`GETRANGE`, bounded by the record size limit)
/// and per save (`SET ... NX PXAT` to create, `SET ... XX PXAT` to
/// update); Redis expires each key with its session, so no cleanup is
/// needed. Values are records in the one byte format of every store
/// ([`Record::encode`]), bound to their id: a value copied or renamed to
/// another key, or over the limit, fails the load ([`Error::Decode`],
/// [`Error::RecordTooLarge`]) instead of giving someone a session. The
/// connection reconnects by itself; while Redis is down, loads and saves
/// fail with [`Error::Backend`] and the request fails closed.
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
}

/// The [`Backend`] of [`RedisStore`].
///
/// Build it yourself to change its options before wrapping it in a
/// [`ServerStore`]. This example needs a Redis server, so it is only
/// compiled (`no_run`):
///
/// ```no_run
/// use sessions::Key;
/// use sessions::store::{Backend, RedisBackend, ServerStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let backend = RedisBackend::connect("redis://127.0.0.1:6379/0").await?.with_prefix("shop:");
/// assert_eq!(backend.kind(), "redis");
/// let store = ServerStore::from_backend(backend, Key::generate());
/// assert!(format!("{:?}", store.backend()).contains(r#"prefix: "shop:""#));
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    connection: Connection,
    prefix: String,
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl RedisBackend {
    /// Connects to one Redis server.
    ///
    /// Use it as in [`RedisBackend`]'s example. A URL that is not a Redis
    /// URL fails before any network traffic:
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
        let client = redis::Client::open(url).map_err(backend)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1);
        let manager = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(backend)?;
        Ok(Self::with_connection(Connection::Single(manager)))
    }

    /// Connects to a Redis Cluster.
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
        let client = redis::cluster::ClusterClient::new(urls.to_vec()).map_err(backend)?;
        let connection = client.get_async_connection().await.map_err(backend)?;
        Ok(Self::with_connection(Connection::Cluster(connection)))
    }

    fn with_connection(connection: Connection) -> Self {
        Self {
            connection,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
        }
    }

    /// Puts every key under `prefix` instead of [`DEFAULT_REDIS_PREFIX`],
    /// so several apps can share one Redis.
    ///
    /// This example needs a Redis server, so it is only compiled
    /// (`no_run`):
    ///
    /// ```no_run
    /// use sessions::store::RedisBackend;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let url = "redis://127.0.0.1:6379/0";
    /// let shop = RedisBackend::connect(url).await?.with_prefix("shop:session:");
    /// let blog = RedisBackend::connect(url).await?.with_prefix("blog:session:");
    /// assert!(format!("{shop:?}").contains(r#"prefix: "shop:session:""#));
    /// assert!(format!("{blog:?}").contains(r#"prefix: "blog:session:""#));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The prefix of every key this backend writes.
    ///
    /// ```no_run
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // Needs a Redis on 127.0.0.1:6379, so only compiled here.
    /// let backend = sessions::store::RedisBackend::connect("redis://127.0.0.1:6379/").await?;
    /// assert_eq!(backend.prefix(), sessions::store::DEFAULT_REDIS_PREFIX);
    /// assert_eq!(backend.with_prefix("app:").prefix(), "app:");
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key of a session. Ids are validated base64url, so a key never
    /// holds anything a client chose.
    fn key(&self, id: &SessionId) -> String {
        format!("{}{id}", self.prefix)
    }

    async fn query<T: FromRedisValue>(&self, cmd: Cmd) -> Result<T> {
        match &self.connection {
            Connection::Single(manager) => cmd.query_async(&mut manager.clone()).await,
            #[cfg(feature = "redis-cluster")]
            Connection::Cluster(cluster) => cmd.query_async(&mut cluster.clone()).await,
        }
        .map_err(backend)
    }

    /// `SET key value <condition> PXAT expiry`: `true` when written.
    async fn set(&self, id: &SessionId, record: &Record, condition: &str) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(id))
            .arg(record.encode(id))
            .arg(condition)
            .arg("PXAT")
            .arg(record.times.expires_at.as_secs().saturating_mul(1000));
        let reply: Option<String> = self.query(cmd).await?;
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
        let bytes: Vec<u8> = self.query(cmd).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let record = Record::decode(&bytes, id, max_len)?;
        Ok(Some(record).filter(|r| !r.is_expired(now)))
    }

    async fn del(&self, id: &SessionId) -> Result<bool> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(id));
        Ok(self.query::<i64>(cmd).await? > 0)
    }
}

fn backend(error: redis::RedisError) -> Error {
    Error::Backend(Box::new(error))
}

impl Backend for RedisBackend {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn create(&self, id: &SessionId, record: &Record, _now: UnixTime) -> Result<bool> {
        // Redis judges liveness by its own clock: a key lives until its PXAT.
        self.set(id, record, "NX").await
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        self.get(id, now, max_len).await
    }

    async fn update(&self, id: &SessionId, record: &Record, _now: UnixTime) -> Result<bool> {
        self.set(id, record, "XX").await
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.del(id).await
    }

    async fn cleanup_expired(&self, _now: UnixTime) -> Result<usize> {
        // Redis expires every key at its session's expiry (PXAT).
        Ok(0)
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.connection {
            Connection::Single(_) => "single",
            #[cfg(feature = "redis-cluster")]
            Connection::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisBackend")
            .field("connection", &kind)
            .field("prefix", &self.prefix)
            .finish()
    }
}
