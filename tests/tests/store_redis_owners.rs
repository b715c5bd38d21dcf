//! `RedisBackend`'s owner index against a real `redis-server`: exact
//! listings through creates, updates, owner changes, deletes and expiry;
//! stale entries pruned; the owner's set expiring with its last session;
//! keys that never hold an owner's text; durable saves; Sentinel; an owned
//! session saved through the registry; and a hundred sessions of one owner
//! listed and revoked (timings printed, never asserted).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sessions::store::{
    Backend, DEFAULT_REDIS_PREFIX, OwnerId, Record, RedisBackend, RedisOptions, ServerStore,
    SessionId, Times, UnixTime, Update,
};
use sessions::{Error, Handle, Key, SessionConfig, SessionData, SessionOwner, Sessions};
use sessions_tests::redis_sentinel::RedisSentinelSet;
use sessions_tests::redis_server::RedisServer;
use sessions_tests::wait::wait_until;

const MAX: usize = 1 << 16;

async fn connect(redis: &RedisServer) -> RedisBackend {
    RedisBackend::connect(&redis.url()).await.unwrap()
}

fn user(name: &str) -> OwnerId {
    OwnerId::new("user", name)
}

/// A record of `owner` that expires `secs` seconds from now.
fn record(owner: Option<OwnerId>, secs: u64) -> Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_secs(secs));
    Record::new(b"payload".to_vec(), times).with_owner(owner)
}

fn owner_key(owner: &OwnerId) -> String {
    format!("{DEFAULT_REDIS_PREFIX}owner:{}", owner.to_hex())
}

fn session_key(id: &SessionId) -> String {
    format!("{DEFAULT_REDIS_PREFIX}{id}")
}

/// The integer Redis answers to `command`.
fn int(redis: &RedisServer, command: &str) -> i64 {
    let wire = redis.raw(command);
    let digits = wire.strip_prefix(':').and_then(|w| w.strip_suffix("\r\n"));
    digits
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("{command}: {wire:?}"))
}

/// The ids `backend` lists for `owner` now.
async fn listed(backend: &RedisBackend, owner: &OwnerId) -> HashSet<SessionId> {
    let found = backend.owned(owner, UnixTime::now(), MAX).await.unwrap();
    found.into_iter().map(|(id, _)| id).collect()
}

#[tokio::test]
async fn owned_lists_exactly_the_live_sessions_of_an_owner() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, bob, now) = (user("ada"), user("bob"), UnixTime::now());
    let ids: Vec<SessionId> = (0..4).map(|_| SessionId::generate()).collect();
    for id in &ids[..3] {
        assert!(
            backend
                .create(id, &record(Some(ada), 600), now)
                .await
                .unwrap()
        );
    }
    assert!(
        backend
            .create(&ids[3], &record(None, 600), now)
            .await
            .unwrap()
    );
    assert_eq!(
        listed(&backend, &ada).await,
        ids[..3].iter().cloned().collect()
    );

    // The listing gives the records as stored.
    let next = record(Some(ada), 900).with_version(2);
    let written = backend.update(&ids[0], 1, &next, now).await.unwrap();
    assert_eq!(written, Update::Written);
    let owned = backend.owned(&ada, now, MAX).await.unwrap();
    let first = owned.iter().find(|(id, _)| *id == ids[0]).unwrap();
    assert_eq!(first.1, next);

    // Handed to bob, logged out, deleted, and an unowned session logs in.
    let to_bob = record(Some(bob), 600).with_version(2);
    assert!(
        backend
            .update(&ids[1], 1, &to_bob, now)
            .await
            .unwrap()
            .is_written()
    );
    let cleared = record(None, 600).with_version(2);
    assert!(
        backend
            .update(&ids[2], 1, &cleared, now)
            .await
            .unwrap()
            .is_written()
    );
    let logged_in = record(Some(ada), 600).with_version(2);
    assert!(
        backend
            .update(&ids[3], 1, &logged_in, now)
            .await
            .unwrap()
            .is_written()
    );
    assert!(backend.delete(&ids[0]).await.unwrap());
    assert_eq!(
        listed(&backend, &ada).await,
        HashSet::from([ids[3].clone()])
    );
    assert_eq!(
        listed(&backend, &bob).await,
        HashSet::from([ids[1].clone()])
    );
    assert!(listed(&backend, &user("nobody")).await.is_empty());
}

#[tokio::test]
async fn stale_entries_are_pruned_and_deletes_leave_the_index() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, now) = (user("ada"), UnixTime::now());
    let (kept, handed, deleted) = (
        SessionId::generate(),
        SessionId::generate(),
        SessionId::generate(),
    );
    for id in [&kept, &handed, &deleted] {
        assert!(
            backend
                .create(id, &record(Some(ada), 600), now)
                .await
                .unwrap()
        );
    }
    let card = format!("ZCARD {}", owner_key(&ada));
    assert_eq!(int(&redis, &card), 3);

    // A delete takes its id out at once.
    assert!(backend.delete(&deleted).await.unwrap());
    assert_eq!(int(&redis, &card), 2);
    // An update that finds the session gone indexes it again, unlisted,
    // and so does a handed-over one's old owner keep it until a listing.
    let late = record(Some(ada), 600).with_version(2);
    let missing = backend.update(&deleted, 1, &late, now).await.unwrap();
    assert_eq!(missing, Update::Missing);
    let to_bob = record(Some(user("bob")), 600).with_version(2);
    assert!(
        backend
            .update(&handed, 1, &to_bob, now)
            .await
            .unwrap()
            .is_written()
    );
    assert_eq!(int(&redis, &card), 3);

    assert_eq!(listed(&backend, &ada).await, HashSet::from([kept.clone()]));
    assert_eq!(int(&redis, &card), 1, "the listing pruned both");
    let members = redis.raw(&format!("ZRANGE {} 0 -1", owner_key(&ada)));
    assert!(members.contains(&kept.to_string()), "{members}");
}

#[tokio::test]
async fn expired_sessions_leave_and_the_set_expires_with_its_last_session() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, now) = (user("ada"), UnixTime::now());
    let (short, long, killed) = (
        SessionId::generate(),
        SessionId::generate(),
        SessionId::generate(),
    );
    assert!(
        backend
            .create(&short, &record(Some(ada), 100), now)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&long, &record(Some(ada), 300), now)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&killed, &record(Some(ada), 200), now)
            .await
            .unwrap()
    );
    let pttl = int(&redis, &format!("PTTL {}", owner_key(&ada)));
    assert!(
        (290_000..=300_000).contains(&pttl),
        "expires with the last: {pttl}"
    );

    // Redis expires a session's key; the listing drops its entry.
    assert_eq!(
        int(&redis, &format!("PEXPIRE {} 1", session_key(&killed))),
        1
    );
    wait_until(Duration::from_secs(5), "the key expiring", || {
        match int(&redis, &format!("EXISTS {}", session_key(&killed))) {
            0 => Ok(()),
            n => Err(format!("EXISTS answered {n}")),
        }
    });
    let card = format!("ZCARD {}", owner_key(&ada));
    let both = HashSet::from([short.clone(), long.clone()]);
    assert_eq!(listed(&backend, &ada).await, both);
    assert_eq!(int(&redis, &card), 2);

    // Later, the shorter one has expired: not listed, not kept.
    let later = UnixTime::from_secs(now.as_secs() + 150);
    let owned = backend.owned(&ada, later, MAX).await.unwrap();
    let ids: Vec<&SessionId> = owned.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, [&long]);
    assert_eq!(int(&redis, &card), 1);

    // The last session goes, and the set with it.
    assert!(backend.delete(&long).await.unwrap());
    assert_eq!(int(&redis, &format!("EXISTS {}", owner_key(&ada))), 0);
}

#[tokio::test]
async fn every_save_raises_the_entry_so_a_racing_prune_keeps_it() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, id, now) = (user("ada"), SessionId::generate(), UnixTime::now());
    let first = record(Some(ada), 600);
    assert!(backend.create(&id, &first, now).await.unwrap());
    let score = |redis: &RedisServer| {
        let wire = redis.raw(&format!("ZSCORE {} {id}", owner_key(&ada)));
        let text = wire.lines().nth(1).unwrap().to_owned();
        text.parse::<u64>().unwrap()
    };
    let expires_ms = first.times.expires_at.as_secs() * 1000;
    assert_eq!(score(&redis), expires_ms);
    // The same expiry saved again: the score still moves, so a listing
    // that read the old score and found the record stale keeps it.
    let again = first.clone().with_version(2);
    assert!(
        backend
            .update(&id, 1, &again, now)
            .await
            .unwrap()
            .is_written()
    );
    assert_eq!(score(&redis), expires_ms + 1);
    let later = record(Some(ada), 900).with_version(3);
    assert!(
        backend
            .update(&id, 2, &later, now)
            .await
            .unwrap()
            .is_written()
    );
    assert_eq!(score(&redis), later.times.expires_at.as_secs() * 1000);
}

#[tokio::test]
async fn keys_hold_the_owner_digest_never_its_text() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let owner = OwnerId::new("user", "ada.lovelace@example.com");
    let (id, now) = (SessionId::generate(), UnixTime::now());
    assert!(
        backend
            .create(&id, &record(Some(owner), 600), now)
            .await
            .unwrap()
    );
    let keys = redis.raw("KEYS *");
    assert!(!keys.contains("ada") && !keys.contains("example"), "{keys}");
    assert!(keys.contains(&owner_key(&owner)), "{keys}");
    assert!(keys.contains(&session_key(&id)), "{keys}");
    assert_eq!(
        keys.lines().filter(|l| !l.starts_with(['*', '$'])).count(),
        2
    );
}

#[tokio::test]
async fn a_value_that_is_no_record_fails_the_listing_as_a_load_does() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, id, now) = (user("ada"), SessionId::generate(), UnixTime::now());
    assert!(
        backend
            .create(&id, &record(Some(ada), 600), now)
            .await
            .unwrap()
    );
    assert!(
        redis
            .raw(&format!("SET {} garbage", session_key(&id)))
            .starts_with('+')
    );
    let err = backend.owned(&ada, now, MAX).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    // A record over the limit is refused as a load refuses it.
    assert!(backend.delete(&id).await.unwrap());
    assert!(
        backend
            .create(&id, &record(Some(ada), 600), now)
            .await
            .unwrap()
    );
    let err = backend.owned(&ada, now, 3).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordTooLarge { len: 7, max: 3 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hundred_sessions_of_one_owner_are_listed_and_revoked() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (ada, now) = (user("ada"), UnixTime::now());
    let mut ids = HashSet::new();
    for _ in 0..100 {
        let id = SessionId::generate();
        assert!(
            backend
                .create(&id, &record(Some(ada), 600), now)
                .await
                .unwrap()
        );
        ids.insert(id);
    }
    let started = Instant::now();
    let owned = backend.owned(&ada, now, MAX).await.unwrap();
    let listing = started.elapsed();
    assert_eq!(
        owned.into_iter().map(|(id, _)| id).collect::<HashSet<_>>(),
        ids
    );

    // Revoking: every id deleted at once, as an app would.
    let started = Instant::now();
    let mut deletes = tokio::task::JoinSet::new();
    for id in &ids {
        let (backend, id) = (backend.clone(), id.clone());
        deletes.spawn(async move { backend.delete(&id).await });
    }
    let results = deletes.join_all().await;
    let revoking = started.elapsed();
    assert!(results.into_iter().all(|r| r.unwrap()));
    println!("one server: listed 100 sessions in {listing:?}, revoked them in {revoking:?}");
    assert!(listed(&backend, &ada).await.is_empty());
    assert_eq!(int(&redis, &format!("EXISTS {}", owner_key(&ada))), 0);
}

#[tokio::test]
async fn durable_saves_index_in_the_same_round_trip() {
    let redis = RedisServer::start();
    let replica = RedisServer::builder().with_replica_of(redis.port()).start();
    wait_until(Duration::from_secs(10), "the replica connecting", || {
        let info = redis.raw("INFO replication");
        if info.contains("connected_slaves:1") {
            Ok(())
        } else {
            Err(info)
        }
    });
    let options = RedisOptions::new().durable(1, Duration::from_secs(1));
    let backend = RedisBackend::connect_with(&redis.url(), options)
        .await
        .unwrap();
    let (ada, id, now) = (user("ada"), SessionId::generate(), UnixTime::now());
    assert!(
        backend
            .create(&id, &record(Some(ada), 600), now)
            .await
            .unwrap()
    );
    let next = record(Some(ada), 600).with_version(2);
    assert!(
        backend
            .update(&id, 1, &next, now)
            .await
            .unwrap()
            .is_written()
    );
    assert_eq!(listed(&backend, &ada).await, HashSet::from([id.clone()]));
    // The replica has the entry too.
    assert_eq!(int(&replica, &format!("ZCARD {}", owner_key(&ada))), 1);
    assert!(backend.delete(&id).await.unwrap());
    assert!(listed(&backend, &ada).await.is_empty());
}

/// An account session whose owner is its user id.
#[derive(Default, Serialize, Deserialize)]
struct Account {
    user_id: Option<u64>,
}

impl SessionData for Account {
    const CONFIG: SessionConfig = SessionConfig::new("account");

    fn owner(&self) -> Option<String> {
        self.user_id.owner_text()
    }
}

#[tokio::test]
async fn a_session_saved_through_the_registry_is_listed_under_its_owner() {
    let redis = RedisServer::start();
    let store = std::sync::Arc::new(ServerStore::from_backend(
        connect(&redis).await,
        Key::generate(),
    ));
    let sessions = Sessions::new(std::sync::Arc::clone(&store));
    let owner = OwnerId::new("account", "42");
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let account = Handle::<Account>::load(&req).await.unwrap();
    account.update(|a| a.user_id = Some(42));
    sessions::save(&req, &mut http::Response::new(()))
        .await
        .unwrap();
    assert_eq!(listed(store.backend(), &owner).await.len(), 1);

    // Logging out (the owner cleared) takes it out of the listing.
    account.update(|a| a.user_id = None);
    sessions::save(&req, &mut http::Response::new(()))
        .await
        .unwrap();
    assert!(listed(store.backend(), &owner).await.is_empty());
}

#[tokio::test]
async fn through_sentinel_the_index_rides_with_the_save() {
    let set = RedisSentinelSet::start();
    let urls = set.sentinel_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let options = RedisOptions::new().durable(1, Duration::from_secs(1));
    let backend = RedisBackend::connect_sentinel_with(&urls, set.master_name(), options)
        .await
        .unwrap();
    let (ada, id, now) = (user("ada"), SessionId::generate(), UnixTime::now());
    assert!(
        backend
            .create(&id, &record(Some(ada), 600), now)
            .await
            .unwrap()
    );
    assert_eq!(listed(&backend, &ada).await, HashSet::from([id.clone()]));
    let replica = set.data_node(1);
    assert_eq!(int(replica, &format!("ZCARD {}", owner_key(&ada))), 1);
    assert!(backend.delete(&id).await.unwrap());
    assert!(listed(&backend, &ada).await.is_empty());
}
