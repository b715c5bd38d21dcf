//! `RedisStore` on a real Redis Cluster (six `redis-server` processes on
//! loopback, three primaries and three replicas): the whole conformance
//! suite, two app servers sharing sessions through it, and the owner index
//! with an owner's sessions on every primary.
//!
//! The cases share one cluster, each under a key prefix of its own; the
//! faults, which need a cluster each, are in `store_redis_failover.rs`.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sessions::store::{
    Backend, OwnerId, Record, RedisBackend, RedisOptions, ServerStore, SessionId, Times, UnixTime,
};
use sessions::{Key, RedisStore, Sessions};
use sessions_tests::reaper::kill_when_this_process_ends;
use sessions_tests::redis_cluster::{NODES, RedisCluster};
use sessions_tests::workload::{CounterSession, request, save};

/// The cluster every test of this binary uses, started by the first one.
fn cluster() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let cluster = RedisCluster::start();
        kill_when_this_process_ends((0..NODES).filter_map(|i| cluster.node(i).pid()));
        cluster
    })
}

fn urls() -> Vec<String> {
    cluster().urls()
}

/// A backend on the shared cluster with `options`, under a prefix no
/// other test uses.
async fn cluster_backend(options: RedisOptions) -> RedisBackend {
    let urls = urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let options = options.prefix(format!("t{}:", SessionId::generate()));
    RedisBackend::connect_cluster_with(&urls, options)
        .await
        .expect("connect to the test cluster")
}

/// A store on the shared cluster, under a prefix no other test uses.
async fn cluster_store(key: Key) -> ServerStore<RedisBackend> {
    ServerStore::from_backend(cluster_backend(RedisOptions::new()).await, key)
}

sessions_conformance::store_tests!(redis_cluster, cluster_store);

#[tokio::test]
async fn two_app_servers_share_sessions_through_the_cluster() {
    let key = Key::generate();
    let urls = urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let a = Sessions::new(
        RedisStore::connect_cluster(&urls, key.clone())
            .await
            .unwrap(),
    );
    let b = Sessions::new(RedisStore::connect_cluster(&urls, key).await.unwrap());

    // Many users, so that their sessions land on every primary.
    let mut cookies = Vec::new();
    for i in 0..30 {
        let req = request(&a, None);
        let session = CounterSession::load(&req).await.unwrap();
        session.set_user(Some(format!("user{i}")));
        cookies.push(
            save(&req)
                .await
                .unwrap()
                .expect("a new session sets its cookie"),
        );
    }
    for (i, cookie) in cookies.iter().enumerate() {
        let req = request(&b, Some(cookie));
        let session = CounterSession::load(&req).await.unwrap();
        assert_eq!(
            session.user(),
            Some(format!("user{i}")),
            "server B sees A's login"
        );
        session.destroy();
        save(&req).await.unwrap();
    }
    for cookie in &cookies {
        let req = request(&a, Some(cookie));
        assert!(
            CounterSession::load(&req).await.unwrap().is_new(),
            "logged out on B, out on A"
        );
    }
}

/// A record of `owner` that expires `secs` seconds from now.
fn owned_record(owner: OwnerId, secs: u64) -> Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_secs(secs));
    Record::new(b"payload".to_vec(), times).with_owner(Some(owner))
}

fn owner_key(backend: &RedisBackend, owner: &OwnerId) -> String {
    format!("{}owner:{}", backend.options().key_prefix(), owner.to_hex())
}

async fn listed(backend: &RedisBackend, owner: &OwnerId) -> HashSet<SessionId> {
    let found = backend
        .owned(owner, UnixTime::now(), 1 << 16)
        .await
        .unwrap();
    found.into_iter().map(|(id, _)| id).collect()
}

#[tokio::test]
async fn owned_sessions_spread_over_every_primary_are_all_listed() {
    let backend = cluster_backend(RedisOptions::new()).await;
    let (ada, now) = (OwnerId::new("user", "ada"), UnixTime::now());
    let mut ids = HashSet::new();
    for _ in 0..100 {
        let id = SessionId::generate();
        assert!(
            backend
                .create(&id, &owned_record(ada, 600), now)
                .await
                .unwrap()
        );
        ids.insert(id);
    }
    let prefix = backend.options().key_prefix();
    let masters: HashSet<usize> = ids
        .iter()
        .map(|id| cluster().master_for_key(&format!("{prefix}{id}")))
        .collect();
    assert_eq!(masters.len(), cluster().masters().len(), "on every primary");

    let started = Instant::now();
    let owned = backend.owned(&ada, now, 1 << 16).await.unwrap();
    let listing = started.elapsed();
    assert_eq!(
        owned.into_iter().map(|(id, _)| id).collect::<HashSet<_>>(),
        ids
    );
    let started = Instant::now();
    let mut deletes = tokio::task::JoinSet::new();
    for id in &ids {
        let (backend, id) = (backend.clone(), id.clone());
        deletes.spawn(async move { backend.delete(&id).await });
    }
    assert!(deletes.join_all().await.into_iter().all(|d| d.unwrap()));
    let revoking = started.elapsed();
    println!("cluster: listed 100 sessions in {listing:?}, revoked them in {revoking:?}");
    assert!(listed(&backend, &ada).await.is_empty());
    let key = owner_key(&backend, &ada);
    assert_eq!(
        cluster().cli(["EXISTS", &key]),
        "0",
        "the set went with them"
    );
}

#[tokio::test]
async fn the_cluster_index_follows_durable_saves_owner_changes_and_deletes() {
    let options = RedisOptions::new().durable(1, Duration::from_secs(2));
    let backend = cluster_backend(options).await;
    let (ada, bob, now) = (
        OwnerId::new("user", "ada"),
        OwnerId::new("user", "bob"),
        UnixTime::now(),
    );
    let (kept, handed) = (SessionId::generate(), SessionId::generate());
    assert!(
        backend
            .create(&kept, &owned_record(ada, 300), now)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&handed, &owned_record(ada, 600), now)
            .await
            .unwrap()
    );
    let key = owner_key(&backend, &ada);
    let pttl: u64 = cluster().cli(["PTTL", &key]).parse().unwrap();
    assert!(
        (590_000..=600_000).contains(&pttl),
        "expires with the last: {pttl}"
    );

    let to_bob = owned_record(bob, 600).with_version(2);
    let written = backend.update(&handed, 1, &to_bob, now).await.unwrap();
    assert!(written.is_written());
    assert_eq!(listed(&backend, &ada).await, HashSet::from([kept.clone()]));
    assert_eq!(
        listed(&backend, &bob).await,
        HashSet::from([handed.clone()])
    );
    // On a Cluster a stale entry waits for its expiry: never listed.
    assert_eq!(cluster().cli(["ZCARD", &key]), "2");

    assert!(backend.delete(&kept).await.unwrap());
    assert!(listed(&backend, &ada).await.is_empty());
    assert_eq!(
        cluster().cli(["ZCARD", &key]),
        "1",
        "the delete took its own"
    );
}
