//! `RedisStore` while Redis fails, on real servers on loopback: a Cluster
//! primary killed or frozen past the node timeout, a Sentinel primary
//! killed, and a lone server with `appendonly yes` killed and restarted.
//!
//! During each fault a loop of session requests (changes, renews, logouts
//! of many users) runs. Every request succeeds or fails closed with
//! `Error::Backend` within the store's bound; all succeed again after the
//! failover, with no restart of the app. With durable saves, no
//! acknowledged save is lost and no session comes back after a logout or a
//! renew. Each test prints its figures; none asserts a speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sessions::store::{RedisBackend, RedisOptions, ServerStore};
use sessions::{Key, Sessions};
use sessions_tests::redis_cluster::RedisCluster;
use sessions_tests::redis_sentinel::RedisSentinelSet;
use sessions_tests::redis_server::RedisServer;
use sessions_tests::workload::{Report, Workload};

/// How many browsers each loop drives.
const BROWSERS: usize = 24;

/// Successes in a row that show a store has recovered.
const STREAK: usize = 2 * BROWSERS;

/// How long recovering may take before a test fails.
const RECOVERY_LIMIT: Duration = Duration::from_mins(1);

/// What the fault tests use: short enough to keep the tests quick.
fn options() -> RedisOptions {
    RedisOptions::new().response_timeout(Duration::from_secs(1))
}

fn durable() -> RedisOptions {
    options().durable(1, Duration::from_millis(500))
}

fn url_refs(urls: &[String]) -> Vec<&str> {
    urls.iter().map(String::as_str).collect()
}

async fn cluster_workload(cluster: &RedisCluster, options: RedisOptions) -> Workload {
    let bound = options.bound();
    let urls = cluster.urls();
    let backend = RedisBackend::connect_cluster_with(&url_refs(&urls), options)
        .await
        .expect("connect to the test cluster");
    let sessions = Sessions::new(ServerStore::from_backend(backend, Key::generate()));
    let mut workload = Workload::new(sessions, BROWSERS, bound);
    workload.log_in_all().await;
    workload
}

/// Runs `fault` on another thread (it blocks until Redis has failed over)
/// while the workload loops; gives back what `fault` returned.
async fn during<T: Send + 'static>(
    workload: &mut Workload,
    fault: impl FnOnce() -> T + Send + 'static,
) -> T {
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let handle = std::thread::spawn(move || {
        let value = fault();
        flag.store(true, Ordering::SeqCst);
        value
    });
    workload.fault_now();
    workload
        .run_until(|| done.load(Ordering::SeqCst), STREAK, RECOVERY_LIMIT)
        .await;
    handle.join().expect("the fault thread")
}

fn print(what: &str, report: &Report, failover: Duration) {
    println!(
        "{what}: {} requests, {} failed closed, worst {:?} (worst failure {:?}), \
         failover {failover:?}, recovered after {:?}, {} lost saves, {} resurrections",
        report.requests,
        report.errors,
        report.worst,
        report.worst_failure,
        report.recovered_after,
        report.lost_saves,
        report.resurrections,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_primary_killed_durable_saves_lose_nothing() {
    let mut cluster = RedisCluster::start();
    let mut workload = cluster_workload(&cluster, durable()).await;
    let primary = cluster.masters()[0];
    let (cluster, failover) = during(&mut workload, move || {
        cluster.kill(primary);
        let failover = cluster.wait_for_failover_of(primary, RECOVERY_LIMIT);
        // Durable saves need a replica: the old primary comes back as one.
        cluster.restart(primary);
        (cluster, failover)
    })
    .await;
    let report = workload.verify().await;
    print("cluster, primary killed, durable", &report, failover);
    assert_eq!(report.lost_saves, 0, "{report:?}");
    assert_eq!(report.resurrections, 0, "{report:?}");
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_primary_killed_requests_fail_closed_then_recover() {
    let mut cluster = RedisCluster::start();
    let mut workload = cluster_workload(&cluster, options()).await;
    let primary = cluster.masters()[1];
    let (cluster, failover) = during(&mut workload, move || {
        cluster.kill(primary);
        let failover = cluster.wait_for_failover_of(primary, RECOVERY_LIMIT);
        (cluster, failover)
    })
    .await;
    // Without durable saves Redis may lose what it acknowledged just
    // before the kill; the figures say whether it did.
    let report = workload.verify().await;
    print("cluster, primary killed, not durable", &report, failover);
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_primary_frozen_past_the_node_timeout_durable_saves_lose_nothing() {
    let mut cluster = RedisCluster::start();
    let mut workload = cluster_workload(&cluster, durable()).await;
    let primary = cluster.masters()[2];
    let (cluster, failover) = during(&mut workload, move || {
        // Four node timeouts: the others fail it over, then it wakes up
        // and, outvoted, turns replica.
        cluster.freeze(primary, Duration::from_secs(4));
        let failover = cluster.wait_for_failover_of(primary, RECOVERY_LIMIT);
        cluster.wait_until_settled(RECOVERY_LIMIT);
        (cluster, failover)
    })
    .await;
    let report = workload.verify().await;
    print("cluster, primary frozen 4 s, durable", &report, failover);
    assert_eq!(report.lost_saves, 0, "{report:?}");
    assert_eq!(report.resurrections, 0, "{report:?}");
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_primary_killed_requests_fail_closed_then_recover() {
    let mut set = RedisSentinelSet::start();
    let options = options();
    let bound = options.bound();
    let urls = set.sentinel_urls();
    let backend = RedisBackend::connect_sentinel_with(&url_refs(&urls), set.master_name(), options)
        .await
        .expect("connect through the test sentinels");
    let sessions = Sessions::new(ServerStore::from_backend(backend, Key::generate()));
    let mut workload = Workload::new(sessions, BROWSERS, bound);
    workload.log_in_all().await;
    let before = set.master_port();
    let (set, failover) = during(&mut workload, move || {
        set.kill_master();
        let failover = set.wait_for_promotion(RECOVERY_LIMIT);
        (set, failover)
    })
    .await;
    assert_ne!(set.master_port(), before, "the replica was promoted");
    let report = workload.verify().await;
    print("sentinel, primary killed, not durable", &report, failover);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appendonly_server_killed_and_restarted_loses_no_acknowledged_save() {
    let mut server = RedisServer::builder().with_aof().start();
    let options = options();
    let bound = options.bound();
    let backend = RedisBackend::connect_with(&server.url(), options)
        .await
        .expect("connect to the test redis");
    let sessions = Sessions::new(ServerStore::from_backend(backend, Key::generate()));
    let mut workload = Workload::new(sessions, BROWSERS, bound);
    workload.log_in_all().await;
    let (server, restart) = during(&mut workload, move || {
        std::thread::sleep(Duration::from_millis(300));
        let started = std::time::Instant::now();
        server.stop();
        server.restart();
        (server, started.elapsed())
    })
    .await;
    let report = workload.verify().await;
    print(
        "one server, appendonly, killed and restarted",
        &report,
        restart,
    );
    assert_eq!(report.lost_saves, 0, "{report:?}");
    assert_eq!(report.resurrections, 0, "{report:?}");
    drop(server);
}
