//! `RedisStore`: sessions in Redis, shared by every app server.

use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::key::KeyRing;
use crate::store::{Backend, BoxFuture, Record, ServerStore};

/// Prefix of every key [`RedisStore`] writes, unless changed.
pub const DEFAULT_REDIS_PREFIX: &str = "session:";

/// How long a command may take before the request fails closed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sessions in Redis: many app servers, one session state (feature `redis`).
///
/// One round trip per load (`GET`) and per save (`SET ... NX PXAT` to
/// create, `SET ... XX PXAT` to update); Redis expires each key with its
/// session, so no cleanup is needed. The connection reconnects by itself;
/// while Redis is down, loads and saves fail with [`Error::Backend`] and the
/// request fails closed.
pub type RedisStore = ServerStore<RedisBackend>;

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://127.0.0.1:6379/0`).
    pub async fn connect(url: &str, keys: impl Into<KeyRing>) -> Result<Self> {
        Ok(Self::from_backend(RedisBackend::connect(url).await?, keys))
    }

    /// Connects to a Redis Cluster through any of its nodes (feature
    /// `redis-cluster`).
    #[cfg(feature = "redis-cluster")]
    pub async fn connect_cluster(urls: &[&str], keys: impl Into<KeyRing>) -> Result<Self> {
        Ok(Self::from_backend(
            RedisBackend::connect_cluster(urls).await?,
            keys,
        ))
    }
}

/// The [`Backend`] of [`RedisStore`].
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
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
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
            .arg(record.to_bytes())
            .arg(condition)
            .arg("PXAT")
            .arg(record.times.expires_at.as_secs().saturating_mul(1000));
        let reply: Option<String> = self.query(cmd).await?;
        Ok(reply.is_some())
    }

    async fn get(&self, id: &SessionId, now: UnixTime) -> Result<Option<Record>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(id));
        let bytes: Option<Vec<u8>> = self.query(cmd).await?;
        let Some(bytes) = bytes else { return Ok(None) };
        let record = Record::from_bytes(&bytes, usize::MAX)?;
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

    fn create<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.set(id, record, "NX"))
    }

    fn load<'a>(
        &'a self,
        id: &'a SessionId,
        now: UnixTime,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(self.get(id, now))
    }

    fn update<'a>(&'a self, id: &'a SessionId, record: &'a Record) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.set(id, record, "XX"))
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.del(id))
    }

    fn cleanup_expired(&self, _now: UnixTime) -> BoxFuture<'_, Result<usize>> {
        // Redis expires every key at its session's expiry (PXAT).
        Box::pin(async { Ok(0) })
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
