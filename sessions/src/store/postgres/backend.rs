//! [`PostgresBackend`]'s side of the [`Backend`] contract: a row per
//! record, one statement per call.

use tokio_postgres::types::ToSql;

use super::PostgresBackend;
use super::statement::{self, Params, backend_error};
use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::store::{Backend, OwnerId, Record, Update};

impl PostgresBackend {
    /// Runs `sql` with `params` within the store's bound; the rows it
    /// returned.
    async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<tokio_postgres::Row>> {
        statement::query(&self.pool, self.options.timeout, sql, params).await
    }

    /// Runs `sql` with `params` within the store's bound; how many rows it
    /// changed.
    async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64> {
        statement::execute(&self.pool, self.options.timeout, sql, params).await
    }
}

/// A time as a `BIGINT`: one past its range (the saturated "end of time")
/// is stored as the largest, still in the far future.
fn secs(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

/// A version as a `BIGINT`: the same 64 bits, so that versions past
/// `i64::MAX` still compare equal to themselves and to nothing else.
fn version(version: u64) -> i64 {
    version.cast_signed()
}

/// How many bytes of a row to read for a record of at most `max_len`
/// bytes, as the `INTEGER` that `substring` takes.
fn read_limit(max_len: usize) -> i32 {
    i32::try_from(Record::read_limit(max_len)).unwrap_or(i32::MAX)
}

/// The columns of one row.
struct Row {
    id: String,
    record: Vec<u8>,
    expires: i64,
    version: i64,
    owner: Option<Vec<u8>>,
}

impl Row {
    fn new(id: &SessionId, record: &Record) -> Self {
        Self {
            id: id.to_string(),
            record: record.encode(id),
            expires: secs(record.times.expires_at),
            version: version(record.version),
            owner: record.owner.map(|owner| owner.as_bytes().to_vec()),
        }
    }
}

impl Backend for PostgresBackend {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        let row = Row::new(id, record);
        let now = secs(now);
        let params: [&(dyn ToSql + Sync); 6] = [
            &row.id,
            &row.record,
            &row.expires,
            &row.version,
            &row.owner,
            &now,
        ];
        Ok(self.execute(&self.sql.create, &params).await? == 1)
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let (key, now, limit) = (id.to_string(), secs(now), read_limit(max_len));
        let rows = self.query(&self.sql.load, &[&key, &now, &limit]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let bytes: &[u8] = row.try_get(0).map_err(backend_error)?;
        Record::decode(bytes, id, max_len).map(Some)
    }

    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        let row = Row::new(id, record);
        let (now, expected) = (secs(now), version(expected));
        let params: [&(dyn ToSql + Sync); 7] = [
            &row.id,
            &row.record,
            &row.expires,
            &row.version,
            &row.owner,
            &now,
            &expected,
        ];
        let rows = self.query(&self.sql.update, &params).await?;
        let row = rows
            .first()
            .ok_or_else(|| Error::Backend("the update returned no row".into()))?;
        let written: bool = row.try_get(0).map_err(backend_error)?;
        let live: bool = row.try_get(1).map_err(backend_error)?;
        Ok(match (written, live) {
            (true, _) => Update::Written,
            (false, true) => Update::Stale,
            (false, false) => Update::Missing,
        })
    }

    /// `true` when a row was there, expired or not (as `MemoryBackend`).
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        let key = id.to_string();
        Ok(self.execute(&self.sql.delete, &[&key]).await? == 1)
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        let removed = self.execute(&self.sql.cleanup, &[&secs(now)]).await?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }

    /// One indexed query; like `load`, reads no more of each row than a
    /// record of `max_len` needs.
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let (owner, now, limit) = (owner.as_bytes().as_slice(), secs(now), read_limit(max_len));
        let rows = self.query(&self.sql.owned, &[&owner, &now, &limit]).await?;
        rows.iter()
            .map(|row| {
                let id: &str = row.try_get(0).map_err(backend_error)?;
                let id: SessionId = id
                    .parse()
                    .map_err(|_| Error::Decode("a row's id is not a session id".into()))?;
                let bytes: &[u8] = row.try_get(1).map_err(backend_error)?;
                let record = Record::decode(bytes, &id, max_len)?;
                Ok((id, record))
            })
            .collect()
    }
}
