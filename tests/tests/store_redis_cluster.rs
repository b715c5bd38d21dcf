//! `RedisStore` on a real Redis Cluster (six `redis-server` processes on
//! loopback, three primaries and three replicas): the whole conformance
//! suite, and two app servers sharing sessions through it.
//!
//! The cases share one cluster, each under a key prefix of its own; the
//! faults, which need a cluster each, are in `store_redis_failover.rs`.

use std::sync::OnceLock;

use sessions::store::{RedisBackend, RedisOptions, ServerStore, SessionId};
use sessions::{Key, RedisStore, Sessions};
use sessions_tests::reaper::kill_when_this_process_ends;
use sessions_tests::redis_cluster::{NODES, RedisCluster};
use sessions_tests::redis_workload::CounterSession;

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

/// A store on the shared cluster, under a prefix no other test uses.
async fn cluster_store(key: Key) -> ServerStore<RedisBackend> {
    let urls = urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let options = RedisOptions::new().prefix(format!("t{}:", SessionId::generate()));
    let backend = RedisBackend::connect_cluster_with(&urls, options)
        .await
        .expect("connect to the test cluster");
    ServerStore::from_backend(backend, key)
}

sessions_conformance::store_tests!(redis_cluster, cluster_store);

fn request_with(sessions: &Sessions, cookie: Option<&str>) -> http::Request<()> {
    let mut req = http::Request::new(());
    if let Some(cookie) = cookie {
        req.headers_mut()
            .insert(http::header::COOKIE, cookie.parse().unwrap());
    }
    sessions.attach(&mut req);
    req
}

/// Saves the session of `req`; the `Set-Cookie` pair, if any.
async fn save(req: &http::Request<()>) -> Option<String> {
    let mut res = http::Response::new(());
    sessions::save(req, &mut res).await.unwrap();
    let line = res.headers().get(http::header::SET_COOKIE)?;
    Some(line.to_str().unwrap().split(';').next().unwrap().to_owned())
}

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
        let req = request_with(&a, None);
        let session = CounterSession::load(&req).await.unwrap();
        session.set_user(Some(format!("user{i}")));
        cookies.push(save(&req).await.expect("a new session sets its cookie"));
    }
    for (i, cookie) in cookies.iter().enumerate() {
        let req = request_with(&b, Some(cookie));
        let session = CounterSession::load(&req).await.unwrap();
        assert_eq!(
            session.user(),
            Some(format!("user{i}")),
            "server B sees A's login"
        );
        session.destroy();
        save(&req).await;
    }
    for cookie in &cookies {
        let req = request_with(&a, Some(cookie));
        assert!(
            CounterSession::load(&req).await.unwrap().is_new(),
            "logged out on B, out on A"
        );
    }
}
