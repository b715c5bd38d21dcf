//! One statement on a pooled connection, within the store's time bound.
//!
//! The bound covers everything a request waits for: a free connection (or
//! a new one), preparing the statement the first time that connection
//! runs it, and the answer. A connection whose statement ran out of time
//! is closed instead of going back to the pool: its answer may still be on
//! the way, and the next request on it would wait behind it.

use std::time::Duration;

use deadpool_postgres::{Client, Object, Pool};
use tokio::time::{Instant, timeout_at};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::error::{Error, Result};
use crate::store::timed_out::TimedOut;

/// The parameters of one statement, in order.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs `sql` with `params`; the rows it returned.
pub(super) async fn query(
    pool: &Pool,
    bound: Duration,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>> {
    within(pool, bound, sql, async |client, statement| {
        client.query(statement, params).await
    })
    .await
}

/// Runs `sql` with `params`; how many rows it changed.
pub(super) async fn execute(
    pool: &Pool,
    bound: Duration,
    sql: &str,
    params: Params<'_>,
) -> Result<u64> {
    within(pool, bound, sql, async |client, statement| {
        client.execute(statement, params).await
    })
    .await
}

/// Takes a connection, prepares `sql` on it (once per connection: the
/// pool caches statements) and runs `work`, all before `bound` has passed.
async fn within<T>(
    pool: &Pool,
    bound: Duration,
    sql: &str,
    work: impl AsyncFnOnce(&Client, &Statement) -> std::result::Result<T, tokio_postgres::Error>,
) -> Result<T> {
    let deadline = Instant::now() + bound;
    let client = timeout_at(deadline, pool.get())
        .await
        .map_err(|_| timed_out(bound))?
        .map_err(backend_error)?;
    let answer = timeout_at(deadline, async {
        let statement = client.prepare_cached(sql).await?;
        work(&client, &statement).await
    })
    .await;
    if let Ok(answer) = answer {
        answer.map_err(backend_error)
    } else {
        drop(Object::take(client));
        Err(timed_out(bound))
    }
}

/// A failure of the driver or the pool, kept as the source.
pub(super) fn backend_error(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Backend(Box::new(error))
}

fn timed_out(bound: Duration) -> Error {
    TimedOut::error("PostgreSQL", bound)
}
