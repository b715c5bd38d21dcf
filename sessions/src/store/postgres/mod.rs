//! `PostgresStore`: sessions in a PostgreSQL table, shared by every app
//! server.

use std::fmt;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::Result;
use crate::key::KeyRing;
use crate::store::ServerStore;

mod backend;
mod options;
mod reaper;
mod sql;
mod statement;

pub use options::{DEFAULT_POSTGRES_TABLE, MAX_POSTGRES_TABLE_LEN, PostgresOptions};
use sql::Sql;
use statement::backend_error;

/// Sessions in PostgreSQL: many app servers, one session state (feature
/// `postgres`).
///
/// One row per session, in a table that [`PostgresBackend::migrate`]
/// creates:
///
/// ```sql
/// CREATE TABLE sessions (id TEXT PRIMARY KEY, record BYTEA NOT NULL,
///     expires BIGINT NOT NULL, version BIGINT NOT NULL, owner BYTEA,
///     reap_at BIGINT NOT NULL) WITH (fillfactor = 90);
/// CREATE INDEX sessions_reap_at ON sessions (reap_at);
/// CREATE INDEX sessions_owner ON sessions (owner) WHERE owner IS NOT NULL;
/// ```
///
/// `record` is [`Record::encode`](crate::store::Record::encode), the byte
/// format every store shares, bound to its id: a row copied or moved under
/// another id, or altered by hand, fails to load
/// ([`Error::Decode`](crate::Error::Decode)) instead of giving someone a
/// session, and a load reads no more of a row than the record size limit
/// needs ([`Error::RecordTooLarge`](crate::Error::RecordTooLarge)).
/// `expires` (seconds since the epoch), `version` and `owner` repeat what
/// the record holds, for the `WHERE` clauses and the indexes; the one
/// statement that writes a row writes them all, so the owner index is
/// exact by construction. `reap_at` is `expires` rounded up to five
/// minutes, and it is the indexed one: a session saved again within the
/// same five minutes changes no indexed column, so PostgreSQL updates it
/// in place (a HOT update, which touches no index).
///
/// One statement per load and per save, each atomic on its own:
///
/// - create is `INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE` the row
///   there has expired;
/// - update is an `UPDATE ... WHERE id = $1 AND version = $expected AND
///   expires > $now`, the compare-and-set; only when it changed nothing,
///   a second `SELECT` says whether a live row was there, to tell
///   [`Update::Stale`](crate::store::Update::Stale) from
///   [`Update::Missing`](crate::store::Update::Missing). It writes
///   nothing either way.
///
/// Expired rows stay until
/// [`cleanup_expired`](crate::store::Backend::cleanup_expired) (an indexed
/// `DELETE`; [`spawn_reaper`](Self::spawn_reaper) runs it periodically),
/// and are never loaded nor listed meanwhile.
/// Versions are stored as the same 64 bits in a `BIGINT` and compared for
/// equality only; times past `i64::MAX` seconds are stored as
/// `i64::MAX`, still the far future.
///
/// Connections come from a deadpool-postgres pool, without TLS; each
/// prepares the statements once ([`PostgresOptions`] sets the table, the
/// pool's size and its timeout). Every call fails closed within the
/// timeout, whatever the server does (down, frozen, a row locked by
/// someone else): waiting for a connection, preparing and answering
/// included. Errors of the database or the pool, and running out of time,
/// are [`Error::Backend`](crate::Error::Backend), with the driver's error
/// as the source; a load that fails never turns into a new session.
///
/// This example needs a PostgreSQL server, so it is only compiled
/// (`no_run`):
///
/// ```no_run
/// use sessions::{CookieStore, Key, PostgresStore, SessionLayer};
/// use sessions::store::Store;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let key = Key::generate(); // the same key on every app server
/// let store = PostgresStore::connect("postgres://app@127.0.0.1/app", key.clone()).await?;
/// store.backend().migrate().await?; // idempotent: at every start
/// assert_eq!(store.kind(), "postgres");
/// let layer = SessionLayer::new(CookieStore::new(key)).with_store("postgres", store);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub type PostgresStore = ServerStore<PostgresBackend>;

impl PostgresStore {
    /// Connects to the PostgreSQL at `url` with the default
    /// [`PostgresOptions`]; see [`PostgresStore`]'s example. It does not
    /// create the table: call [`PostgresBackend::migrate`].
    pub async fn connect(url: &str, keys: impl Into<KeyRing>) -> Result<Self> {
        let backend = PostgresBackend::connect(url, PostgresOptions::new()).await?;
        Ok(Self::from_backend(backend, keys))
    }
}

/// The [`Backend`](crate::store::Backend) of [`PostgresStore`].
///
/// This example needs a PostgreSQL server, so it is only compiled
/// (`no_run`):
///
/// ```no_run
/// use sessions::Key;
/// use sessions::store::{Backend, PostgresBackend, PostgresOptions, ServerStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let options = PostgresOptions::new().table("shop_sessions");
/// let backend = PostgresBackend::connect("postgres://app@127.0.0.1/app", options).await?;
/// backend.migrate().await?;
/// assert_eq!(backend.kind(), "postgres");
/// let store = ServerStore::from_backend(backend, Key::generate());
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct PostgresBackend {
    pool: Pool,
    options: PostgresOptions,
    sql: std::sync::Arc<Sql>,
}

impl PostgresBackend {
    /// Checks `options`, builds a pool for `url` (a `postgres://` URL or a
    /// `key=value` connection string) and opens its first connection, so
    /// that a wrong URL or an unreachable server fails here.
    ///
    /// ```
    /// use sessions::Error;
    /// use sessions::store::{PostgresBackend, PostgresOptions};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let options = PostgresOptions::new().table("no spaces");
    /// let err = PostgresBackend::connect("postgres://127.0.0.1/", options).await.unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "table", .. }));
    ///
    /// // Nothing listens on port 1.
    /// let err = PostgresBackend::connect("postgres://127.0.0.1:1/", PostgresOptions::new());
    /// assert!(matches!(err.await.unwrap_err(), Error::Backend(_)));
    /// # });
    /// ```
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self> {
        options.check()?;
        let mut config: tokio_postgres::Config = url.parse().map_err(backend_error)?;
        config.connect_timeout(options.timeout);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .build()
            .map_err(backend_error)?;
        drop(pool.get().await.map_err(backend_error)?);
        Self::from_pool(pool, options)
    }

    /// A backend on a pool of your own, with `options` (whose pool size
    /// and timeout are then the pool's business, not this backend's).
    pub fn from_pool(pool: Pool, options: PostgresOptions) -> Result<Self> {
        options.check()?;
        let sql = std::sync::Arc::new(Sql::new(&options.table));
        Ok(Self { pool, options, sql })
    }

    /// Creates the table and its indexes if they are missing, and changes
    /// nothing otherwise: call it at every start. App servers that start
    /// together take turns (an advisory lock), so none fails on another's
    /// half-made table.
    pub async fn migrate(&self) -> Result<()> {
        let client = self.pool.get().await.map_err(backend_error)?;
        client
            .batch_execute(&self.sql.migrate)
            .await
            .map_err(backend_error)
    }

    /// The options it was made with.
    pub fn options(&self) -> &PostgresOptions {
        &self.options
    }

    /// The pool its connections come from.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl fmt::Debug for PostgresBackend {
    /// The options and the pool's size; never the URL, which may hold a
    /// password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresBackend")
            .field("options", &self.options)
            .field("connections", &status.size)
            .finish_non_exhaustive()
    }
}
