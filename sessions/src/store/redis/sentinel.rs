//! A connection to the primary that Redis Sentinel names, found again after
//! a failover.
//!
//! The redis crate's `SentinelClient` finds the primary (and checks that it
//! says `ROLE master`) but keeps no connection; this keeps one, and drops it
//! when it fails or the node turns out to be a replica, so that the next
//! attempt asks the sentinels again.

use std::sync::{Arc, Mutex, PoisonError};

use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    AsyncConnectionConfig, ConnectionAddr, FromRedisValue, IntoConnectionInfo, RedisError,
    RedisResult, ServerErrorKind,
};

use super::connection::{MAX_RETRY_WAIT, MIN_RETRY_WAIT, Request, backend, within};
use super::options::RedisOptions;
use crate::error::{Error, Result};

/// A shared, self-healing connection to the current primary.
#[derive(Clone)]
pub(in crate::store) struct SentinelConnection(Arc<Inner>);

struct Inner {
    /// Asks the sentinels; `&mut` in the redis crate, so behind a lock
    /// that only a request looking for the primary takes.
    sentinels: tokio::sync::Mutex<SentinelClient>,
    /// The primary's connection while it works.
    primary: Mutex<Option<MultiplexedConnection>>,
    config: AsyncConnectionConfig,
    retries: u32,
}

impl SentinelConnection {
    /// Asks the sentinels at `urls` for `primary` and connects to it, so a
    /// wrong name or no sentinel fails here, not at the first request.
    pub(super) async fn connect(
        urls: &[&str],
        primary: &str,
        options: &RedisOptions,
    ) -> Result<Self> {
        let sentinels = sentinel_client(urls, primary, options)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.bound()));
        let connection = Self(Arc::new(Inner {
            sentinels: tokio::sync::Mutex::new(sentinels),
            primary: Mutex::new(None),
            config,
            retries: options.retries,
        }));
        within(options.bound(), connection.primary()).await?;
        Ok(connection)
    }

    /// Sends `request` to the primary, asking the sentinels again and
    /// retrying when the connection failed or the node is no primary now.
    pub(super) async fn send<T: FromRedisValue>(&self, request: &Request<'_>) -> RedisResult<T> {
        let mut attempt = 0;
        loop {
            let mut primary = self.primary().await?;
            match request.send(&mut primary).await {
                Err(error) if is_stale(&error) => {
                    self.forget();
                    if attempt >= self.0.retries {
                        return Err(error);
                    }
                    attempt += 1;
                    tokio::time::sleep(pause(attempt)).await;
                }
                result => return result,
            }
        }
    }

    /// The primary's connection, asking the sentinels when there is none.
    async fn primary(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(primary) = self.cached() {
            return Ok(primary);
        }
        let mut sentinels = self.0.sentinels.lock().await;
        // Another request may have found it while this one waited.
        if let Some(primary) = self.cached() {
            return Ok(primary);
        }
        let client = sentinels.async_get_client().await?;
        let primary = client
            .get_multiplexed_async_connection_with_config(&self.0.config)
            .await?;
        *self.slot() = Some(primary.clone());
        Ok(primary)
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.slot().clone()
    }

    fn forget(&self) {
        *self.slot() = None;
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        // The slot holds a connection or nothing; a panic elsewhere cannot
        // leave it half-written.
        self.0
            .primary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Errors after which the primary must be found again: the connection is
/// gone, or the node was demoted (`READONLY`) or lost its primary.
fn is_stale(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
        || matches!(
            error.kind(),
            redis::ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
        )
}

/// A short pause before a retry, longer each time.
fn pause(attempt: u32) -> std::time::Duration {
    MIN_RETRY_WAIT
        .saturating_mul(1 << attempt.min(8))
        .min(MAX_RETRY_WAIT)
}

/// The sentinels' addresses from their URLs; database, user and password
/// of the first URL apply to the primary.
fn sentinel_client(urls: &[&str], primary: &str, options: &RedisOptions) -> Result<SentinelClient> {
    let mut addrs = Vec::with_capacity(urls.len());
    let mut redis_settings = None;
    for url in urls {
        let info = url.into_connection_info().map_err(backend)?;
        addrs.push(info.addr().clone());
        redis_settings.get_or_insert_with(|| info.redis_settings().clone());
    }
    let Some(settings) = redis_settings else {
        return Err(Error::InvalidStoreOption {
            option: "sentinels",
            problem: "at least one sentinel URL is needed",
        });
    };
    let tls = addrs
        .iter()
        .any(|a| matches!(a, ConnectionAddr::TcpTls { .. }));
    let mut builder = SentinelClientBuilder::new(addrs, primary, SentinelServerType::Master)
        .map_err(backend)?
        .set_client_to_redis_db(settings.db());
    if let Some(user) = settings.username() {
        builder = builder.set_client_to_redis_username(user);
    }
    if let Some(password) = settings.password() {
        builder = builder.set_client_to_redis_password(password);
    }
    if tls {
        builder = tls_settings(builder, options);
    }
    builder.build().map_err(backend)
}

/// Primaries behind TLS sentinels speak TLS too.
#[cfg(feature = "redis-tls")]
fn tls_settings(builder: SentinelClientBuilder, options: &RedisOptions) -> SentinelClientBuilder {
    super::connection::install_crypto_provider();
    let builder = builder.set_client_to_redis_tls_mode(redis::TlsMode::Secure);
    match &options.root_certificate {
        Some(pem) => builder
            .set_client_to_redis_certificates(super::connection::certificates(pem))
            .set_client_to_sentinel_certificates(super::connection::certificates(pem)),
        None => builder,
    }
}

#[cfg(not(feature = "redis-tls"))]
fn tls_settings(builder: SentinelClientBuilder, _options: &RedisOptions) -> SentinelClientBuilder {
    builder
}
