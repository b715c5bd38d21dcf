//! The suite on the reference backend, where every case must pass, and on
//! backends that break one promise each, where the case for that promise
//! must fail: a suite that passes everything checks nothing.

use sessions::store::{
    Backend, MemoryBackend, OwnerId, Record, ServerStore, SessionId, UnixTime, Update,
};
use sessions::{Key, Result};
use sessions_conformance::cases;

sessions_conformance::store_tests!(memory, |key| ServerStore::from_backend(
    MemoryBackend::new(10_000),
    key
));

/// What a broken backend gets wrong.
#[derive(Clone, Copy)]
enum Flaw {
    /// `create` overwrites a live record.
    CreateOverwrites,
    /// `load` ignores the size limit.
    LoadIgnoresLimit,
    /// `update` writes when there is no live record.
    UpdateInserts,
    /// `update` writes over any live record, whatever its version: last
    /// write wins.
    UpdateIgnoresVersion,
    /// `load` reports every record as version 1.
    LoadForgetsVersion,
}

/// A memory backend with one flaw.
struct Broken(MemoryBackend, Flaw);

impl Backend for Broken {
    fn kind(&self) -> &'static str {
        "broken"
    }

    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        if matches!(self.1, Flaw::CreateOverwrites) {
            self.0.delete(id).await?;
        }
        self.0.create(id, record, now).await
    }

    async fn load(&self, id: &SessionId, now: UnixTime, max_len: usize) -> Result<Option<Record>> {
        let max_len = match self.1 {
            Flaw::LoadIgnoresLimit => usize::MAX,
            _ => max_len,
        };
        let record = self.0.load(id, now, max_len).await?;
        Ok(match self.1 {
            Flaw::LoadForgetsVersion => record.map(|record| record.with_version(1)),
            _ => record,
        })
    }

    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        let live = self.0.load(id, now, usize::MAX).await?;
        match (self.1, live) {
            (Flaw::UpdateInserts, None) => {
                self.0.create(id, record, now).await?;
                Ok(Update::Written)
            }
            (Flaw::UpdateIgnoresVersion, Some(live)) => {
                self.0.update(id, live.version, record, now).await
            }
            _ => self.0.update(id, expected, record, now).await,
        }
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.0.delete(id).await
    }

    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        self.0.cleanup_expired(now).await
    }

    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.0.owned(owner, now, max_len).await
    }
}

fn broken(flaw: Flaw) -> (Key, ServerStore<Broken>) {
    let key = Key::generate();
    let backend = Broken(MemoryBackend::new(100), flaw);
    (key.clone(), ServerStore::from_backend(backend, key))
}

#[tokio::test]
#[should_panic(expected = "create on a live id must return false")]
async fn a_create_that_overwrites_is_caught() {
    let (key, store) = broken(Flaw::CreateOverwrites);
    cases::backend_create_on_live_id_changes_nothing(key, store).await;
}

#[tokio::test]
#[should_panic(expected = "a record over the limit must not load")]
async fn a_load_that_ignores_the_limit_is_caught() {
    let (key, store) = broken(Flaw::LoadIgnoresLimit);
    cases::backend_load_applies_the_size_limit(key, store).await;
}

#[tokio::test]
#[should_panic(expected = "update of a missing id must return Missing")]
async fn an_update_that_inserts_is_caught() {
    let (key, store) = broken(Flaw::UpdateInserts);
    cases::backend_update_on_missing_id_writes_nothing(key, store).await;
}

#[tokio::test]
#[should_panic(expected = "an update over an old version must return Stale")]
async fn an_update_that_ignores_the_version_is_caught() {
    let (key, store) = broken(Flaw::UpdateIgnoresVersion);
    cases::backend_update_with_stale_version_writes_nothing(key, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "update must be compare-and-set: exactly one winner per version")]
async fn concurrent_updates_that_ignore_the_version_are_caught() {
    let (key, store) = broken(Flaw::UpdateIgnoresVersion);
    cases::backend_concurrent_updates_have_one_winner(key, store).await;
}

#[tokio::test]
#[should_panic(expected = "load returns the version update stored")]
async fn a_load_that_forgets_the_version_is_caught() {
    let (key, store) = broken(Flaw::LoadForgetsVersion);
    cases::backend_versions_only_go_up(key, store).await;
}

#[tokio::test]
#[should_panic(expected = "each save writes the next version")]
async fn a_store_over_a_load_that_forgets_the_version_is_caught() {
    let (key, store) = broken(Flaw::LoadForgetsVersion);
    cases::store_versions_increase_with_each_save(key, store).await;
}
