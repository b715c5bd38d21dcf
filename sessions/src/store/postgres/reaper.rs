//! The periodic cleanup of a [`PostgresStore`].

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{PostgresBackend, PostgresStore};
use crate::codec::UnixTime;
use crate::store::Backend;
use crate::store::reaper::spawn_reaper;

impl PostgresStore {
    /// Runs [`cleanup_expired`](Backend::cleanup_expired) every `every`
    /// (at least a millisecond) in a tokio task, until the store and all
    /// its clones are dropped: the task holds a weak reference to the
    /// pool. Failures are logged (`warn`) and retried at the next tick;
    /// expired rows are never loaded anyway, so a late cleanup only costs
    /// space.
    ///
    /// Several app servers may each run one: a `DELETE` of rows that
    /// another server removed first removes nothing.
    ///
    /// Outside a tokio runtime, as [`tokio::spawn`] does; the runtime needs
    /// its time driver.
    ///
    /// This example needs a PostgreSQL server, so it is only compiled
    /// (`no_run`):
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use sessions::{Key, PostgresStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let store = PostgresStore::connect("postgres://app@127.0.0.1/app", Key::generate()).await?;
    /// let reaper = store.spawn_reaper(Duration::from_mins(10));
    /// drop(store);
    /// tokio::time::timeout(Duration::from_mins(12), reaper).await.unwrap().unwrap();
    /// # Ok::<(), sessions::Error>(()) }).unwrap();
    /// ```
    pub fn spawn_reaper(&self, every: Duration) -> JoinHandle<()> {
        let backend = self.backend();
        let pool = backend.pool.weak();
        let (options, sql) = (backend.options.clone(), Arc::clone(&backend.sql));
        spawn_reaper(every, move || {
            let backend = PostgresBackend {
                pool: pool.upgrade()?,
                options: options.clone(),
                sql: Arc::clone(&sql),
            };
            Some(async move { backend.cleanup_expired(UnixTime::now()).await })
        })
    }
}
