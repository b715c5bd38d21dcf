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

/// How coarse `reap_at` is, in seconds: the expiry rounded up to it.
///
/// Only `reap_at` is indexed for cleanup, not `expires`. An `UPDATE` that
/// changes no indexed column is a HOT update (the new row version stays
/// on its page and no index is touched), and a session saved again
/// within the same five minutes keeps its `reap_at`: measured with
/// pgbench, an update that also changed an indexed expiry cost 95–104 µs
/// against 61–87 µs without. A cleanup then reads, through the index,
/// the rows that expire within one bucket of now, and removes those that
/// have expired.
const REAP_BUCKET: i64 = 300;

/// `expires` rounded up to the next [`REAP_BUCKET`], saturating.
fn reap_at(expires: i64) -> i64 {
    expires
        .checked_add(REAP_BUCKET - 1)
        .map_or(i64::MAX, |end| end - end.rem_euclid(REAP_BUCKET))
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
    reap_at: i64,
}

impl Row {
    fn new(id: &SessionId, record: &Record) -> Self {
        let expires = secs(record.times.expires_at);
        Self {
            id: id.to_string(),
            record: record.encode(id),
            expires,
            version: version(record.version),
            owner: record.owner.map(|owner| owner.as_bytes().to_vec()),
            reap_at: reap_at(expires),
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
        let params: [&(dyn ToSql + Sync); 7] = [
            &row.id,
            &row.record,
            &row.expires,
            &row.version,
            &row.owner,
            &now,
            &row.reap_at,
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
        let params: [&(dyn ToSql + Sync); 8] = [
            &row.id,
            &row.record,
            &row.expires,
            &row.version,
            &row.owner,
            &now,
            &expected,
            &row.reap_at,
        ];
        if self.execute(&self.sql.update, &params).await? == 1 {
            return Ok(Update::Written);
        }
        // Nothing written: only on this rare path, a second statement
        // says why.
        let live = self.query(&self.sql.live, &[&row.id, &now]).await?;
        Ok(if live.is_empty() {
            Update::Missing
        } else {
            Update::Stale
        })
    }

    /// `true` when a row was there, expired or not (as `MemoryBackend`).
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        let key = id.to_string();
        Ok(self.execute(&self.sql.delete, &[&key]).await? == 1)
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        let now = secs(now);
        let latest = reap_at(now.saturating_add(REAP_BUCKET));
        let removed = self.execute(&self.sql.cleanup, &[&now, &latest]).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reap_at_rounds_up_to_the_bucket_and_saturates() {
        assert_eq!(reap_at(0), 0);
        assert_eq!(reap_at(1), REAP_BUCKET);
        assert_eq!(reap_at(REAP_BUCKET), REAP_BUCKET);
        assert_eq!(reap_at(REAP_BUCKET + 1), 2 * REAP_BUCKET);
        assert_eq!(reap_at(i64::MAX - 1), i64::MAX);
        assert_eq!(reap_at(i64::MAX), i64::MAX);
    }

    #[test]
    fn every_expired_record_is_within_reach_of_cleanup() {
        // A record is expired at `now` when `expires <= now`; cleanup
        // reads `reap_at <= reap_at(now + bucket)`.
        for now in [0, 1, 299, 300, 301, 1_700_000_123] {
            let latest = reap_at(now + REAP_BUCKET);
            for expires in [now - 1000, now - 1, now] {
                assert!(reap_at(expires) <= latest, "{expires} at {now}");
            }
        }
    }
}
