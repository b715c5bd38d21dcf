//! A custom server-side store: sessions in an SQLite database.
//!
//! [`SqliteBackend`] implements [`Backend`], the six-method contract every
//! server-side store keeps, with plain `async fn`s;
//! [`ServerStore`](sessions::store::ServerStore) turns it into a store
//! (ids, sealing, renew, timeouts, the record size limit). One row per
//! session:
//!
//! ```sql
//! CREATE TABLE sessions (id TEXT PRIMARY KEY, record BLOB, expires INTEGER, version INTEGER,
//!     owner BLOB)
//! ```
//!
//! `record` is [`Record::encode`], the byte format every store shares: it
//! binds the row to its id, so a row copied or moved under another id
//! (`UPDATE sessions SET id = ...`) fails to load instead of showing one
//! user's session to another, and [`Record::decode`] applies the store's
//! size limit. `expires`, `version` and `owner` repeat the expiry, the
//! record's version and its owner in columns of their own, for the `WHERE`
//! clauses and the indexes of the cleanup and of the owner's sessions; all
//! four are written by the same statement, so the owner index is exact by
//! construction: a row is listed under its owner exactly while it exists
//! with that owner, and `owned` checks `expires` like `load`.
//!
//! Every write is one SQL statement, so each is atomic without an explicit
//! transaction, and the conditions of the contract sit in the statement
//! itself (`WHERE expires > now`, `AND version = expected` for the
//! compare-and-set of `update`), where no other writer can slip in between
//! a check and a write. Only an update that changed no row asks a second
//! question, whether a live row is there at all, to tell `Stale` from
//! `Missing`.
//!
//! The table gained `version` with the record format 3 of `sessions` and
//! `owner` with format 4; a database of an earlier version of this example
//! holds records that no longer decode: drop its `sessions` table.
//!
//! One connection behind a [`Mutex`], used on tokio's blocking pool: SQLite
//! runs one writer at a time anyway, an in-memory database lives exactly as
//! long as its connection, and the prepared statements are cached on it. A
//! busy site would put a pool of connections here (reads then run in
//! parallel in WAL mode); the SQL would not change.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};
use sessions::store::{Backend, OwnerId, Record, SessionId, UnixTime, Update};
use sessions::{Error, Result};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY NOT NULL,
    record BLOB NOT NULL,
    expires INTEGER NOT NULL,
    version INTEGER NOT NULL,
    owner BLOB
);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (owner) WHERE owner IS NOT NULL;";

/// Sessions in an SQLite table. Cheap to clone: clones share the connection.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Backend, Record, SessionId, Times, UnixTime, Update};
/// use sessions_examples::sqlite::SqliteBackend;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let backend = SqliteBackend::open_in_memory()?;
/// let (id, now) = (SessionId::generate(), UnixTime::now());
/// let record = Record::new(vec![1, 2, 3], Times::fresh(now, Duration::from_mins(1)));
///
/// assert!(backend.create(&id, &record, now).await?);
/// assert!(!backend.create(&id, &record, now).await?, "insert-if-absent");
/// assert_eq!(backend.load(&id, now, 1024).await?, Some(record.clone()));
///
/// let next = record.with_version(2);
/// assert_eq!(backend.update(&id, 1, &next, now).await?, Update::Written);
/// assert_eq!(backend.update(&id, 1, &next, now).await?, Update::Stale, "compare-and-set");
/// assert_eq!(backend.load(&id, now, 1024).await?, Some(next));
/// assert_eq!(backend.load(&id, now + Duration::from_mins(1), 1024).await?, None);
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct SqliteBackend {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteBackend {
    /// Opens (or creates) the database file at `path` and its `sessions`
    /// table. Several processes may share the file: SQLite locks it, and a
    /// writer waits up to five seconds for another.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::store::{Backend, Record, SessionId, Times, UnixTime};
    /// use sessions_examples::sqlite::SqliteBackend;
    ///
    /// let path = std::env::temp_dir().join(format!("sessions-{}.db", SessionId::generate()));
    /// let (id, now) = (SessionId::generate(), UnixTime::now());
    /// let record = Record::new(vec![42], Times::fresh(now, Duration::from_hours(1)));
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// assert!(SqliteBackend::open(&path)?.create(&id, &record, now).await?);
    /// // Another connection (another process, a restart) sees the row.
    /// assert_eq!(SqliteBackend::open(&path)?.load(&id, now, 1024).await?, Some(record));
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = Connection::open(path).map_err(backend_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(backend_error)?;
        Self::with_connection(conn)
    }

    /// A private database in memory, gone when the last clone is dropped:
    /// for tests.
    ///
    /// ```
    /// use sessions::Key;
    /// use sessions::store::{ServerStore, Store};
    /// use sessions_examples::sqlite::SqliteBackend;
    ///
    /// let store = ServerStore::from_backend(SqliteBackend::open_in_memory()?, Key::generate());
    /// assert_eq!(store.kind(), "sqlite");
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn open_in_memory() -> Result<Self> {
        Self::with_connection(Connection::open_in_memory().map_err(backend_error)?)
    }

    fn with_connection(conn: Connection) -> Result<Self> {
        conn.execute_batch(SCHEMA).map_err(backend_error)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `query` on the connection, off the async worker threads.
    async fn run<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        let task = tokio::task::spawn_blocking(move || {
            // Each query is one statement, atomic in SQLite: a panic cannot
            // leave a half-written row behind the poisoned lock.
            query(&conn.lock().unwrap_or_else(PoisonError::into_inner))
        });
        task.await.map_err(backend_error)?.map_err(backend_error)
    }
}

fn backend_error(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Backend(Box::new(error))
}

/// SQLite integers are `i64`: a time past its range (the saturated "end of
/// time") is stored as the largest one, still in the far future.
fn secs(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

/// A version as an SQLite integer: the same 64 bits, so that versions
/// past `i64::MAX` still compare equal to themselves and to nothing else.
fn version(version: u64) -> i64 {
    version.cast_signed()
}

/// The id, encoded record, expiry, version and owner of `record`, as the
/// statements' parameters.
fn row(id: &SessionId, record: &Record) -> Row {
    Row {
        id: id.to_string(),
        record: record.encode(id),
        expires: secs(record.times.expires_at),
        version: version(record.version),
        owner: record.owner.map(|owner| owner.as_bytes().to_vec()),
    }
}

/// One row's columns.
struct Row {
    id: String,
    record: Vec<u8>,
    expires: i64,
    version: i64,
    owner: Option<Vec<u8>>,
}

impl Backend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    /// Insert, or take over a row that has expired: an expired row is absent.
    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        let Row {
            id,
            record,
            expires,
            version,
            owner,
        } = row(id, record);
        let now = secs(now);
        self.run(move |conn| {
            let sql = "INSERT INTO sessions (id, record, expires, version, owner)
                VALUES (?1, ?2, ?3, ?4, ?6)
                ON CONFLICT (id) DO UPDATE SET record = excluded.record,
                    expires = excluded.expires, version = excluded.version,
                    owner = excluded.owner
                WHERE sessions.expires <= ?5";
            let changed = conn
                .prepare_cached(sql)?
                .execute(params![id, record, expires, version, now, owner])?;
            Ok(changed == 1)
        })
        .await
    }

    /// Reads no more of the row than a record of `max_len` needs, so an
    /// oversized one is refused without being read whole.
    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let (key, now) = (id.to_string(), secs(now));
        let limit = i64::try_from(Record::read_limit(max_len)).unwrap_or(i64::MAX);
        let bytes: Option<Vec<u8>> = self
            .run(move |conn| {
                let sql = "SELECT substr(record, 1, ?3) FROM sessions
                    WHERE id = ?1 AND expires > ?2";
                let mut statement = conn.prepare_cached(sql)?;
                statement
                    .query_row(params![key, now, limit], |row| row.get(0))
                    .optional()
            })
            .await?;
        bytes
            .map(|bytes| Record::decode(&bytes, id, max_len))
            .transpose()
    }

    /// Replace a live row at version `expected`; any other row stays as it
    /// is. When none changed, a second query tells a live row of another
    /// version (`Stale`) from no live row (`Missing`).
    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        let Row {
            id,
            record,
            expires,
            version: new_version,
            owner,
        } = row(id, record);
        let (expected, now) = (version(expected), secs(now));
        self.run(move |conn| {
            let sql = "UPDATE sessions SET record = ?2, expires = ?3, version = ?4, owner = ?7
                WHERE id = ?1 AND version = ?5 AND expires > ?6";
            let changed = conn.prepare_cached(sql)?.execute(params![
                id,
                record,
                expires,
                new_version,
                expected,
                now,
                owner
            ])?;
            if changed == 1 {
                return Ok(Update::Written);
            }
            let sql = "SELECT 1 FROM sessions WHERE id = ?1 AND expires > ?2";
            let live = conn
                .prepare_cached(sql)?
                .query_row(params![id, now], |_| Ok(()))
                .optional()?;
            Ok(if live.is_some() {
                Update::Stale
            } else {
                Update::Missing
            })
        })
        .await
    }

    /// `true` when a row was there, expired or not (as `MemoryBackend`).
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        let id = id.to_string();
        self.run(move |conn| {
            let sql = "DELETE FROM sessions WHERE id = ?1";
            Ok(conn.prepare_cached(sql)?.execute([id])? == 1)
        })
        .await
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        let now = secs(now);
        self.run(move |conn| {
            let sql = "DELETE FROM sessions WHERE expires <= ?1";
            conn.prepare_cached(sql)?.execute([now])
        })
        .await
    }

    /// One indexed query; like `load`, reads no more of each row than a
    /// record of `max_len` needs.
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let (owner, now) = (owner.as_bytes().to_vec(), secs(now));
        let limit = i64::try_from(Record::read_limit(max_len)).unwrap_or(i64::MAX);
        let rows: Vec<(String, Vec<u8>)> = self
            .run(move |conn| {
                let sql = "SELECT id, substr(record, 1, ?3) FROM sessions
                    WHERE owner = ?1 AND expires > ?2";
                let mut statement = conn.prepare_cached(sql)?;
                let rows = statement.query_map(params![owner, now, limit], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?;
                rows.collect()
            })
            .await?;
        rows.into_iter()
            .map(|(id, bytes)| {
                let id: SessionId = id
                    .parse()
                    .map_err(|_| Error::Backend("a row's id is not a session id".into()))?;
                let record = Record::decode(&bytes, &id, max_len)?;
                Ok((id, record))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use sessions::store::Times;

    use super::*;

    fn live() -> Times {
        Times::fresh(UnixTime::now(), Duration::from_mins(1))
    }

    /// Runs `sql` with `params` on the backend's connection, as an
    /// operator (or an attacker with write access) would.
    fn execute(backend: &SqliteBackend, sql: &str, params: impl rusqlite::Params) -> usize {
        let conn = backend.conn.lock().unwrap();
        conn.execute(sql, params).unwrap()
    }

    #[tokio::test]
    async fn times_past_i64_are_kept_and_stay_live() {
        let backend = SqliteBackend::open_in_memory().unwrap();
        let (id, now) = (SessionId::generate(), UnixTime::now());
        let times = Times::fresh(now, Duration::MAX);
        assert_eq!(times.expires_at.as_secs(), u64::MAX);
        let record = Record::new(vec![], times);
        assert!(backend.create(&id, &record, now).await.unwrap());
        let loaded = backend.load(&id, now, 10).await.unwrap();
        assert_eq!(loaded, Some(record), "the record keeps the exact time");
    }

    #[tokio::test]
    async fn versions_past_i64_compare_as_themselves() {
        let backend = SqliteBackend::open_in_memory().unwrap();
        let (id, now) = (SessionId::generate(), UnixTime::now());
        let high = Record::new(vec![1], live()).with_version(u64::MAX - 1);
        assert!(backend.create(&id, &high, now).await.unwrap());
        let top = Record::new(vec![2], live()).with_version(u64::MAX);
        let stale = backend.update(&id, u64::MAX / 2, &top, now).await;
        assert_eq!(stale.unwrap(), Update::Stale);
        let written = backend.update(&id, u64::MAX - 1, &top, now).await;
        assert_eq!(written.unwrap(), Update::Written);
        assert_eq!(backend.load(&id, now, 10).await.unwrap(), Some(top));
        let gone = SessionId::generate();
        let missing = backend.update(&gone, 1, &high, now).await;
        assert_eq!(missing.unwrap(), Update::Missing);
    }

    #[tokio::test]
    async fn cleanup_counts_expired_rows_only() {
        let backend = SqliteBackend::open_in_memory().unwrap();
        let now = UnixTime::now();
        let old = Times::fresh(UnixTime::from_secs(1), Duration::from_secs(1));
        for times in [old, old, live()] {
            let record = Record::new(vec![7], times);
            let id = SessionId::generate();
            assert!(backend.create(&id, &record, now).await.unwrap());
        }
        assert_eq!(backend.cleanup_expired(now).await.unwrap(), 2);
        assert_eq!(backend.cleanup_expired(now).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_row_copied_or_moved_to_another_id_does_not_load() {
        let backend = SqliteBackend::open_in_memory().unwrap();
        let (alice, bob, now) = (
            SessionId::generate(),
            SessionId::generate(),
            UnixTime::now(),
        );
        assert!(
            backend
                .create(&alice, &Record::new(vec![1], live()), now)
                .await
                .unwrap()
        );
        assert!(
            backend
                .create(&bob, &Record::new(vec![2], live()), now)
                .await
                .unwrap()
        );

        let copy = "UPDATE sessions SET record = (SELECT record FROM sessions WHERE id = ?1)
            WHERE id = ?2";
        assert_eq!(
            execute(&backend, copy, [alice.to_string(), bob.to_string()]),
            1
        );
        let loaded = backend.load(&bob, now, 10).await;
        assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");
        assert!(backend.load(&alice, now, 10).await.unwrap().is_some());

        execute(
            &backend,
            "DELETE FROM sessions WHERE id = ?1",
            [bob.to_string()],
        );
        let moved = "UPDATE sessions SET id = ?2 WHERE id = ?1";
        assert_eq!(
            execute(&backend, moved, [alice.to_string(), bob.to_string()]),
            1
        );
        let loaded = backend.load(&bob, now, 10).await;
        assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");
        assert_eq!(backend.load(&alice, now, 10).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_row_over_the_limit_is_refused_from_its_first_bytes() {
        let backend = SqliteBackend::open_in_memory().unwrap();
        let (id, now) = (SessionId::generate(), UnixTime::now());
        let big = Record::new(vec![0; 1 << 20], live());
        assert!(backend.create(&id, &big, now).await.unwrap());
        let loaded = backend.load(&id, now, 1024).await;
        assert!(
            matches!(
                loaded,
                Err(Error::RecordTooLarge {
                    len: 1_048_576,
                    max: 1024
                })
            ),
            "{loaded:?}"
        );
        assert_eq!(backend.load(&id, now, 1 << 20).await.unwrap(), Some(big));
    }
}
