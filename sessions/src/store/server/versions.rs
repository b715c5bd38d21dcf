//! How `ServerStore` versions records: each save writes the version after
//! the one its request loaded, a save that lost the race gets the newer
//! record to merge into, and one whose session was deleted gets `Deleted`.

use std::time::Duration;

use super::*;
use crate::Key;
use crate::codec::Times;
use crate::store::{MemoryBackend, OwnerId};

const NAME: &str = "user";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime builds")
}

fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_hours(1))
}

fn save<'a>(payload: &'a [u8], previous: Option<&'a Loaded>) -> Save<'a> {
    Save {
        name: NAME,
        payload,
        times: live(),
        previous,
        renew: false,
        owner: None,
    }
}

async fn outcome<B: Backend>(store: &ServerStore<B>, save: Save<'_>) -> SaveOutcome {
    store.save(save).await.expect("the save runs")
}

async fn landed<B: Backend>(store: &ServerStore<B>, save: Save<'_>) -> Saved {
    match outcome(store, save).await {
        SaveOutcome::Saved(saved) => saved,
        other => panic!("expected a saved session, got {other:?}"),
    }
}

async fn load<B: Backend>(store: &ServerStore<B>, cookie: &str) -> Option<Loaded> {
    let loaded = store.load(NAME, cookie, UnixTime::now()).await;
    loaded.expect("the load runs")
}

fn memory() -> ServerStore<MemoryBackend> {
    ServerStore::from_backend(MemoryBackend::new(100), Key::generate())
}

#[test]
fn every_save_writes_the_next_version() {
    runtime().block_on(async {
        let store = memory();
        let first = landed(&store, save(&[1], None)).await;
        assert_eq!(first.loaded.version, 1, "a new session is version 1");
        let loaded = load(&store, &first.value).await.expect("live");
        assert_eq!(loaded, first.loaded, "what the save says is what loads");

        let second = landed(&store, save(&[2], Some(&loaded))).await;
        assert_eq!((second.loaded.version, &second.loaded.id), (2, &loaded.id));
        // A second save in the same request builds on what the first gave.
        let third = landed(&store, save(&[3], Some(&second.loaded))).await;
        assert_eq!(third.loaded.version, 3);
        let id = third.loaded.id.clone().expect("an id");
        let record = store.backend().load(&id, UnixTime::now(), 10).await;
        assert_eq!(
            record.unwrap().map(|r| (r.version, r.payload)),
            Some((3, vec![3]))
        );
        assert_eq!(load(&store, &third.value).await, Some(third.loaded));
    });
}

#[test]
fn a_save_over_an_old_version_gets_the_newer_record() {
    runtime().block_on(async {
        let store = memory();
        let start = landed(&store, save(&[1], None)).await;
        let (a, b) = (start.loaded.clone(), start.loaded.clone());
        let won = landed(&store, save(&[2], Some(&a))).await;

        let SaveOutcome::Conflict(newer) = outcome(&store, save(&[3], Some(&b))).await else {
            panic!("a save over version 1 after version 2 must conflict");
        };
        assert_eq!(
            newer, won.loaded,
            "the conflict carries the winner's record"
        );
        assert_eq!(load(&store, &start.value).await, Some(newer.clone()));
        assert!(!newer.stale_key && newer.id == start.loaded.id);

        // Merged into the newer record, the save lands as version 3.
        let merged = landed(&store, save(&[2, 3], Some(&newer))).await;
        assert_eq!(merged.loaded.version, 3);
        assert_eq!(load(&store, &start.value).await.unwrap().payload, [2, 3]);
    });
}

#[test]
fn a_save_of_a_deleted_session_writes_nothing() {
    runtime().block_on(async {
        let store = memory();
        let start = landed(&store, save(&[1], None)).await;
        store.delete(NAME, &start.loaded).await.unwrap();
        let after = outcome(&store, save(&[2], Some(&start.loaded))).await;
        assert!(matches!(after, SaveOutcome::Deleted), "{after:?}");
        assert!(store.backend().is_empty());
    });
}

#[test]
fn a_renew_starts_a_new_record_at_version_1() {
    runtime().block_on(async {
        let store = memory();
        let start = landed(&store, save(&[1], None)).await;
        let second = landed(&store, save(&[2], Some(&start.loaded))).await;
        let renew = Save {
            renew: true,
            ..save(&[3], Some(&second.loaded))
        };
        let renewed = landed(&store, renew).await;
        assert_ne!(renewed.loaded.id, start.loaded.id);
        assert_eq!(renewed.loaded.version, 1);
        assert_eq!(load(&store, &renewed.value).await, Some(renewed.loaded));
        assert_eq!(load(&store, &start.value).await, None);
    });
}

/// A memory backend whose `update` answers `Stale` whatever it finds,
/// after deleting the record when `vanish`.
struct Liar {
    inner: MemoryBackend,
    vanish: bool,
}

impl Backend for Liar {
    fn kind(&self) -> &'static str {
        "liar"
    }
    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        self.inner.create(id, record, now).await
    }
    async fn load(&self, id: &SessionId, now: UnixTime, max: usize) -> Result<Option<Record>> {
        self.inner.load(id, now, max).await
    }
    async fn update(&self, id: &SessionId, _: u64, _: &Record, _: UnixTime) -> Result<Update> {
        if self.vanish {
            self.inner.delete(id).await?;
        }
        Ok(Update::Stale)
    }
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        self.inner.delete(id).await
    }
    async fn cleanup_expired(&self, now: UnixTime) -> Result<usize> {
        self.inner.cleanup_expired(now).await
    }
    async fn owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.inner.owned(owner, now, max).await
    }
}

#[test]
fn a_stale_answer_without_a_newer_record_never_loops() {
    runtime().block_on(async {
        for vanish in [false, true] {
            let inner = MemoryBackend::new(10);
            let store = ServerStore::from_backend(Liar { inner, vanish }, Key::generate());
            let start = landed(&store, save(&[1], None)).await;
            let after = store.save(save(&[2], Some(&start.loaded))).await;
            if vanish {
                // Deleted between the update and the load of the newer one.
                assert!(matches!(after, Ok(SaveOutcome::Deleted)), "{after:?}");
            } else {
                // Version 1 is still there: merging into it would loop.
                assert!(matches!(after, Err(Error::Backend(_))), "{after:?}");
            }
        }
    });
}
