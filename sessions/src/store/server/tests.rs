//! What a client can forge against a `ServerStore` with the codec in hand:
//! ids sealed for another cookie name, store kind or key, expired
//! envelopes, and sealed values that are not live ids. These live here, not
//! in the conformance suite, because the codec is private and because none
//! of it reaches the backend: the store refuses it first.

use std::time::Duration;

use super::*;
use crate::Key;
use crate::codec::{Mode, Times};
use crate::id::ID_LEN;
use crate::store::{MemoryBackend, OwnerId};

const NAME: &str = "user";
const MODES: [Mode; 2] = [Mode::Encrypted, Mode::Signed];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime builds")
}

fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_hours(1))
}

fn store(key: &Key) -> ServerStore<MemoryBackend> {
    ServerStore::from_backend(MemoryBackend::new(100), key.clone())
}

/// A save of `payload` in place of `previous`.
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

/// What `save` saved; panics on any other outcome.
async fn landed<B: Backend>(store: &ServerStore<B>, save: Save<'_>) -> Saved {
    match store.save(save).await.expect("the save runs") {
        SaveOutcome::Saved(saved) => saved,
        other => panic!("expected a saved session, got {other:?}"),
    }
}

/// A new session saved in `store`: its cookie value and id.
async fn saved(store: &ServerStore<MemoryBackend>) -> (String, SessionId) {
    let saved = landed(store, save(&[0xa0], None)).await;
    (saved.value, saved.loaded.id.expect("a server-side id"))
}

fn seal(key: &Key, mode: Mode, binding: &Binding<'_>, times: Times, bytes: &[u8]) -> String {
    Codec::new(key.clone())
        .with_mode(mode)
        .seal_bytes(binding, times, bytes)
        .expect("a short value seals")
}

async fn loads(store: &ServerStore<MemoryBackend>, name: &str, cookie: &str) -> bool {
    let loaded = store.load(name, cookie, UnixTime::now()).await;
    loaded.expect("a forged cookie is not an error").is_some()
}

#[test]
fn a_live_id_sealed_for_another_name_kind_or_key_does_not_open() {
    runtime().block_on(async {
        let key = Key::generate();
        let store = store(&key);
        let (cookie, id) = saved(&store).await;
        assert!(loads(&store, NAME, &cookie).await, "control");
        let own = Binding::new(NAME, "memory");
        let control = seal(&key, Mode::Encrypted, &own, live(), id.as_bytes());
        assert!(
            loads(&store, NAME, &control).await,
            "control: a hand-sealed id"
        );

        let stranger = Key::generate();
        for mode in MODES {
            for kind in ["cookie", "files", "redis", "", "other"] {
                let other = Binding::new(NAME, kind);
                let forged = seal(&key, mode, &other, live(), id.as_bytes());
                assert!(
                    !loads(&store, NAME, &forged).await,
                    "kind {kind:?}, {mode:?}"
                );
            }
            let elsewhere = Binding::new("admin", "memory");
            let forged = seal(&key, mode, &elsewhere, live(), id.as_bytes());
            assert!(
                !loads(&store, NAME, &forged).await,
                "another name, {mode:?}"
            );
            assert!(
                !loads(&store, "admin", &cookie).await,
                "the real cookie, renamed"
            );
            let forged = seal(&stranger, mode, &own, live(), id.as_bytes());
            assert!(!loads(&store, NAME, &forged).await, "another key, {mode:?}");
        }
    });
}

#[test]
fn sealed_values_that_are_not_live_ids_give_no_session() {
    runtime().block_on(async {
        let key = Key::generate();
        let store = store(&key);
        let (_, id) = saved(&store).await;
        let own = Binding::new(NAME, "memory");
        let expired = Times::fresh(UnixTime::from_secs(1_000), Duration::from_mins(1));
        let stale = seal(&key, Mode::Encrypted, &own, expired, id.as_bytes());
        assert!(!loads(&store, NAME, &stale).await, "an expired envelope");

        let unknown = SessionId::generate();
        let mut values = vec![seal(
            &key,
            Mode::Encrypted,
            &own,
            live(),
            unknown.as_bytes(),
        )];
        for len in [0, 1, ID_LEN - 1, ID_LEN + 1, 2 * ID_LEN] {
            let bytes: Vec<u8> = id.as_bytes().iter().copied().cycle().take(len).collect();
            values.push(seal(&key, Mode::Encrypted, &own, live(), &bytes));
        }
        for value in &values {
            assert!(!loads(&store, NAME, value).await, "a sealed non-id");
        }
        assert_eq!(store.backend().len(), 1, "nothing was written");
    });
}

#[test]
fn a_record_over_the_limit_found_by_a_load_is_an_error() {
    runtime().block_on(async {
        let key = Key::generate();
        let store = store(&key).with_max_record_len(10);
        let (cookie, id) = saved(&store).await;
        let big = Record::new(vec![1; 11], live()).with_version(2);
        let written = store.backend().update(&id, 1, &big, UnixTime::now());
        assert_eq!(written.await.unwrap(), Update::Written);
        let err = store
            .load(NAME, &cookie, UnixTime::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::RecordTooLarge { len: 11, max: 10 }),
            "{err:?}"
        );
    });
}

/// A backend that ignores `max_len`: the store still refuses the record.
struct Careless(MemoryBackend);

impl Backend for Careless {
    fn kind(&self) -> &'static str {
        "careless"
    }
    async fn create(&self, id: &SessionId, record: &Record, now: UnixTime) -> Result<bool> {
        self.0.create(id, record, now).await
    }
    async fn load(&self, id: &SessionId, now: UnixTime, _: usize) -> Result<Option<Record>> {
        self.0.load(id, now, usize::MAX).await
    }
    async fn update(
        &self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Result<Update> {
        self.0.update(id, expected, record, now).await
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
        max: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        self.0.owned(owner, now, max).await
    }
}

#[test]
fn the_store_applies_the_limit_when_the_backend_does_not() {
    runtime().block_on(async {
        let store = ServerStore::from_backend(Careless(MemoryBackend::new(10)), Key::generate())
            .with_max_record_len(4);
        let saved = landed(&store, save(&[1, 2, 3, 4], None)).await;
        let id = saved.loaded.id.clone().expect("an id");
        let big = Record::new(vec![1; 5], live()).with_version(2);
        let written = store.backend().update(&id, 1, &big, UnixTime::now());
        assert_eq!(written.await.unwrap(), Update::Written);
        let err = store
            .load(NAME, &saved.value, UnixTime::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::RecordTooLarge { len: 5, max: 4 }),
            "{err:?}"
        );
    });
}
