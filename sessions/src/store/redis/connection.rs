//! One connection to Redis, whatever the topology, with every request
//! bounded in time.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, Pipeline, RedisResult};

use super::options::RedisOptions;
use crate::error::{Error, Result};
use crate::store::BoxFuture;
use crate::store::timed_out::TimedOut;

/// What the store sends: one command, or a write and its `WAIT`.
pub(super) enum Request<'a> {
    Cmd(&'a Cmd),
    Pipeline(&'a Pipeline),
}

impl Request<'_> {
    /// Sends the request on `connection`.
    pub(super) async fn send<T, C>(&self, connection: &mut C) -> RedisResult<T>
    where
        T: FromRedisValue,
        C: ConnectionLike + Send,
    {
        match self {
            Self::Cmd(cmd) => cmd.query_async(connection).await,
            Self::Pipeline(pipeline) => pipeline.query_async(connection).await,
        }
    }
}

/// A live connection to one server, a Cluster, or the primary Sentinel
/// points at. Each one reconnects by itself.
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
    #[cfg(feature = "redis-sentinel")]
    Sentinel(super::sentinel::SentinelConnection),
}

impl Connection {
    /// Connects to one server.
    pub(super) async fn single(url: &str, options: &RedisOptions) -> Result<Self> {
        let client = client(url, options)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.bound()))
            .set_number_of_retries(retries(options))
            .set_min_delay(MIN_RETRY_WAIT)
            .set_max_delay(MAX_RETRY_WAIT);
        let connecting = ConnectionManager::new_with_config(client, config);
        let manager = within(options.connect_timeout, connecting).await?;
        Ok(Self::Single(manager))
    }

    /// Connects to a Cluster through any of its nodes.
    #[cfg(feature = "redis-cluster")]
    pub(super) async fn cluster(urls: &[&str], options: &RedisOptions) -> Result<Self> {
        let wait_ms = u64::try_from(MIN_RETRY_WAIT.as_millis()).unwrap_or(u64::MAX);
        let max_wait_ms = u64::try_from(MAX_RETRY_WAIT.as_millis()).unwrap_or(u64::MAX);
        let builder = redis::cluster::ClusterClientBuilder::new(urls.to_vec())
            .connection_timeout(options.connect_timeout)
            .response_timeout(options.bound())
            .overall_response_timeout(Some(options.bound()))
            .retries(options.retries)
            .min_retry_wait(wait_ms)
            .max_retry_wait(max_wait_ms)
            .retry_wait_formula(wait_ms, 2);
        #[cfg(feature = "redis-tls")]
        let builder = match &options.root_certificate {
            Some(pem) => builder.certs(certificates(pem)),
            None => builder,
        };
        let client = builder.build().map_err(backend)?;
        let connecting = client.get_async_connection();
        let connection = within(cluster_connect_bound(options), connecting).await?;
        Ok(Self::Cluster(connection))
    }

    /// Sends `request`, bounded by [`RedisOptions::bound`] whatever the
    /// client does underneath.
    pub(super) async fn send<T: FromRedisValue + Send>(
        &self,
        request: Request<'_>,
        bound: Duration,
    ) -> Result<T> {
        // Boxed: the redis crate's futures nest deep, and without the box
        // every caller's future type (a conformance suite's, say) carries
        // them all, past the compiler's default query depth.
        let sending: BoxFuture<'_, RedisResult<T>> = Box::pin(async move {
            match self {
                Self::Single(manager) => request.send(&mut manager.clone()).await,
                #[cfg(feature = "redis-cluster")]
                Self::Cluster(cluster) => request.send(&mut cluster.clone()).await,
                #[cfg(feature = "redis-sentinel")]
                Self::Sentinel(sentinel) => sentinel.send(&request).await,
            }
        });
        within(bound, sending).await
    }

    /// Sends `cmds`, each on one key, in the time of one round trip: one
    /// pipeline to one server, concurrent requests to a Cluster (whose
    /// client refuses a pipeline across slots). Each reply is a `T`; all
    /// of them come within `bound`, or the request fails.
    pub(super) async fn send_each<T: FromRedisValue + Send>(
        &self,
        cmds: Vec<Cmd>,
        bound: Duration,
    ) -> Result<Vec<T>> {
        #[cfg(feature = "redis-cluster")]
        if self.is_cluster() {
            // Started together and each bounded: all end within `bound`.
            let sends = cmds.iter().map(|cmd| self.send(Request::Cmd(cmd), bound));
            return futures_util::future::try_join_all(sends).await;
        }
        let mut pipeline = redis::pipe();
        for cmd in cmds {
            pipeline.add_command(cmd);
        }
        self.send(Request::Pipeline(&pipeline), bound).await
    }

    /// Whether this is a Cluster, where one request reaches one slot.
    #[cfg(feature = "redis-cluster")]
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// The topology, for `Debug`.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Single(_) => "single",
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(_) => "cluster",
            #[cfg(feature = "redis-sentinel")]
            Self::Sentinel(_) => "sentinel",
        }
    }
}

/// The shortest pause between two retries.
pub(super) const MIN_RETRY_WAIT: Duration = Duration::from_millis(10);

/// The longest pause between two retries: a retry that waited longer would
/// rarely fit in a request's bound.
pub(super) const MAX_RETRY_WAIT: Duration = Duration::from_millis(200);

/// The redis crate counts retries as `usize` for one server.
fn retries(options: &RedisOptions) -> usize {
    usize::try_from(options.retries).unwrap_or(usize::MAX)
}

/// Connecting to a Cluster opens one connection per node, and asks for the
/// slots, so it may take a few connect timeouts.
#[cfg(feature = "redis-cluster")]
fn cluster_connect_bound(options: &RedisOptions) -> Duration {
    options
        .connect_timeout
        .saturating_mul(2)
        .saturating_add(options.bound())
}

/// A client for one server, trusting the configured root certificate for
/// `rediss://` URLs.
pub(super) fn client(url: &str, options: &RedisOptions) -> Result<redis::Client> {
    #[cfg(feature = "redis-tls")]
    {
        install_crypto_provider();
        if let Some(pem) = &options.root_certificate {
            return redis::Client::build_with_tls(url, certificates(pem)).map_err(backend);
        }
    }
    let _ = options;
    redis::Client::open(url).map_err(backend)
}

#[cfg(feature = "redis-tls")]
pub(super) fn certificates(pem: &[u8]) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem.to_vec()),
    }
}

/// rustls needs a process-wide crypto provider. An application that chose
/// one keeps it; otherwise this installs ring's, the one this feature
/// builds.
#[cfg(feature = "redis-tls")]
pub(super) fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Runs `work`, failing with a [`TimedOut`] error once `bound` has passed.
pub(super) async fn within<T>(
    bound: Duration,
    work: impl Future<Output = RedisResult<T>>,
) -> Result<T> {
    match tokio::time::timeout(bound, work).await {
        Ok(result) => result.map_err(backend),
        Err(_) => Err(TimedOut::error(SERVER, bound)),
    }
}

/// Runs `work`, several requests, failing with a [`TimedOut`] error once
/// `bound` has passed, however many requests it made.
pub(super) async fn bounded<T>(
    bound: Duration,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(bound, work)
        .await
        .unwrap_or_else(|_| Err(TimedOut::error(SERVER, bound)))
}

pub(super) fn backend(error: redis::RedisError) -> Error {
    Error::Backend(Box::new(error))
}

/// The server's name in a [`TimedOut`] error.
const SERVER: &str = "Redis";

/// Fewer replicas than asked confirmed a durable write in time.
#[derive(Debug)]
pub(super) struct NotReplicated {
    pub(super) confirmed: i64,
    pub(super) wanted: u32,
    pub(super) timeout: Duration,
}

impl fmt::Display for NotReplicated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} replicas confirmed the write within {:?}",
            self.confirmed, self.wanted, self.timeout
        )
    }
}

impl std::error::Error for NotReplicated {}
