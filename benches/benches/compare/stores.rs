//! Item 4 of issue 6: `FileStore` and `RedisStore` load + save (a request
//! that changes a field, through the registry), against the raw operations
//! on bytes of the same size: a file read + write (temp file, fsync, rename)
//! and a Redis `GET` + `SET`; and the same request with durable saves
//! (`WAIT 1` for a replica), or on a session with an owner (indexed in the
//! same round trip), against the plain one; and listing and revoking the
//! 100 sessions of one owner.
//!
//! Issue 16: `FileStore` load against `MemoryStore` load (the same request
//! path, the same crypto), and 32 requests at once, each loading and
//! saving its own session, against 32 raw saves at once that each pay
//! their own temp-file fsync, rename and directory fsync (the store's
//! protocol without its group commit).

use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sessions::store::{
    Backend, DEFAULT_MAX_RECORD_LEN, Loaded, OwnerId, Record, RedisBackend, RedisOptions,
    ServerStore, SessionId, Store, Times, UnixTime,
};
use sessions::{
    FileStore, Handle, Key, MemoryStore, RedisStore, SessionConfig, SessionData, Sessions,
};
use sessions_benches::fixture::{
    COOKIE_NAME, Profile, ProfileSession, WEEK, cookie_value, request, stored_payload,
};
use sessions_benches::run::slow_group_settings;
use sessions_tests::redis_server::RedisServer;
use sessions_tests::wait::wait_until;
use tokio::runtime::Runtime;

/// Bytes before the payload in a `FileStore` record file.
const FILE_HEADER_LEN: usize = 112;
/// Requests at once in the concurrent save benches: the 32 connections
/// of issue 16's loopback figures.
const CONCURRENT: usize = 32;

/// Loads the session behind `cookie`, changes a field and saves it (an
/// update in place), as a request handler would.
pub(crate) async fn load_and_save(sessions: &Sessions, cookie: &str) {
    let req = request(sessions, Some(cookie));
    let user = ProfileSession::load(&req).await.expect("the store answers");
    assert!(!user.is_new(), "the session is live");
    user.set_updated_at(user.updated_at() + 1);
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res)
        .await
        .expect("the session saves");
    black_box(res);
}

/// The representative session owned by its user, as `#[session(owner)]`
/// on `user_id` makes it: the same payload bytes, indexed under the owner.
#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
struct OwnedProfile(Profile);

impl SessionData for OwnedProfile {
    const CONFIG: SessionConfig = <Profile as SessionData>::CONFIG;

    fn owner(&self) -> Option<String> {
        Some(self.0.user_id.to_string())
    }
}

/// [`load_and_save`] of an [`OwnedProfile`]: every save also indexes it.
async fn load_and_save_owned(sessions: &Sessions, cookie: &str) {
    let req = request(sessions, Some(cookie));
    let user = Handle::<OwnedProfile>::load(&req)
        .await
        .expect("the store answers");
    assert!(!user.is_new(), "the session is live");
    user.update(|p| p.0.updated_at += 1);
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res)
        .await
        .expect("the session saves");
    black_box(res);
}

/// Saves a new owned representative session; returns its cookie value.
fn create_owned(rt: &Runtime, sessions: &Sessions) -> String {
    let req = request(sessions, None);
    let mut res = http::Response::new(());
    rt.block_on(async {
        let user = Handle::<OwnedProfile>::load(&req)
            .await
            .expect("the store answers");
        user.replace(OwnedProfile(Profile::representative()));
        sessions::save(&req, &mut res)
            .await
            .expect("a new session is saved");
    });
    cookie_value(&res)
}

/// The live session under `cookie` in `store`: what each group's
/// `load/ours` measures.
pub(crate) fn load(rt: &Runtime, store: &dyn Store, cookie: &str) -> Loaded {
    rt.block_on(store.load(COOKIE_NAME, cookie, UnixTime::now()))
        .expect("the store answers")
        .expect("the session is live")
}

/// Saves a new representative session; returns its cookie value.
pub(crate) fn create(rt: &Runtime, sessions: &Sessions, store: &dyn Store) -> String {
    let req = request(sessions, None);
    let mut res = http::Response::new(());
    rt.block_on(async {
        let user = ProfileSession::load(&req).await.expect("the store answers");
        user.replace(Profile::representative());
        sessions::save(&req, &mut res)
            .await
            .expect("a new session is saved");
    });
    let value = cookie_value(&res);
    let loaded = load(rt, store, &value);
    assert_eq!(
        loaded.payload(),
        stored_payload(&Profile::representative()),
        "the store gives back the payload"
    );
    value
}

pub(crate) fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let payload = stored_payload(&Profile::representative());
    let times = Times::fresh(UnixTime::now(), WEEK);
    files(c, &rt, &payload);
    redis(c, &rt, &payload, times);
}

/// A temp directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        fs::remove_dir_all(&self.0).ok();
    }
}

fn raw_write(dir: &Path, target: &Path, bytes: &[u8]) {
    let temp = dir.join(".raw.tmp");
    let mut file = File::create(&temp).expect("the temp file is created");
    file.write_all(bytes).expect("the temp file is written");
    file.sync_all().expect("the temp file is synced");
    fs::rename(&temp, target).expect("the temp file is renamed");
}

fn files(c: &mut Criterion, rt: &Runtime, payload: &[u8]) {
    let root = TempDir(std::env::temp_dir().join(format!(
        "sessions-bench-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    )));
    let store = std::sync::Arc::new(
        FileStore::open(root.0.join("store"), Key::generate()).expect("the store opens"),
    );
    let sessions = Sessions::new(std::sync::Arc::clone(&store));
    let cookie = create(rt, &sessions, &store);
    let raw_dir = root.0.join("raw");
    fs::create_dir_all(&raw_dir).expect("the raw directory is created");
    let raw_dir_handle = File::open(&raw_dir).expect("the raw directory opens");
    let target = raw_dir.join("record");
    let bytes = [&[0u8; FILE_HEADER_LEN][..], payload].concat();
    raw_write(&raw_dir, &target, &bytes);

    let memory = std::sync::Arc::new(MemoryStore::new(Key::generate()));
    let memory_cookie = create(rt, &Sessions::new(std::sync::Arc::clone(&memory)), &memory);

    let mut group = c.benchmark_group("files");
    group.bench_function("load/ours", |b| b.iter(|| load(rt, &*store, &cookie)));
    // The yardstick of issue 16: a file load at most twice this.
    group.bench_function("load/memory", |b| {
        b.iter(|| {
            rt.block_on(memory.load(COOKIE_NAME, &memory_cookie, UnixTime::now()))
                .expect("the store answers")
                .expect("the session is live")
        });
    });
    group.bench_function("load/raw-read", |b| {
        b.iter(|| fs::read(&target).expect("the file reads"));
    });
    slow_group_settings(&mut group);
    group.bench_function("load+save/ours", |b| {
        b.iter(|| rt.block_on(load_and_save(&sessions, &cookie)));
    });
    group.bench_function("load+save/raw", |b| {
        b.iter(|| {
            black_box(fs::read(&target).expect("the file reads"));
            raw_write(&raw_dir, &target, &bytes);
        });
    });
    // What the store adds for durability: the rename is synced too.
    group.bench_function("load+save/raw-dirsync", |b| {
        b.iter(|| {
            black_box(fs::read(&target).expect("the file reads"));
            raw_write(&raw_dir, &target, &bytes);
            raw_dir_handle.sync_all().expect("the directory syncs");
        });
    });
    concurrent_saves(&mut group, &store, &raw_dir, &bytes);
    group.finish();
}

/// [`CONCURRENT`] requests at once on a multi-threaded runtime, each
/// loading and saving its own session, against [`CONCURRENT`] raw saves
/// at once, each with its own fsyncs (file and directory) as the store
/// did before its group commit.
fn concurrent_saves(
    group: &mut BenchmarkGroup<'_, WallTime>,
    store: &std::sync::Arc<FileStore>,
    raw_dir: &Path,
    bytes: &[u8],
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let sessions = Sessions::new(std::sync::Arc::clone(store));
    let cookies: Vec<String> = (0..CONCURRENT)
        .map(|_| create(&rt, &sessions, store))
        .collect();
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    group.bench_function("save-x32/ours", |b| {
        b.iter(|| rt.block_on(save_all(&sessions, &cookies)));
    });
    let raw_dir = std::sync::Arc::new(raw_dir.to_owned());
    let bytes = std::sync::Arc::new(bytes.to_vec());
    group.bench_function("save-x32/raw-dirsync", |b| {
        b.iter(|| rt.block_on(raw_save_all(&raw_dir, &bytes)));
    });
}

/// One [`load_and_save`] per cookie, all at once.
async fn save_all(sessions: &Sessions, cookies: &[String]) {
    let mut requests = tokio::task::JoinSet::new();
    for cookie in cookies {
        let (sessions, cookie) = (sessions.clone(), cookie.clone());
        requests.spawn(async move { load_and_save(&sessions, &cookie).await });
    }
    requests.join_all().await;
}

/// [`CONCURRENT`] raw reads + saves at once, each of its own file, each
/// with its own temp-file fsync and directory fsync.
async fn raw_save_all(dir: &std::sync::Arc<PathBuf>, bytes: &std::sync::Arc<Vec<u8>>) {
    let mut saves = tokio::task::JoinSet::new();
    for n in 0..CONCURRENT {
        let (dir, bytes) = (std::sync::Arc::clone(dir), std::sync::Arc::clone(bytes));
        saves.spawn_blocking(move || {
            let target = dir.join(format!("record-{n}"));
            if target.exists() {
                black_box(fs::read(&target).expect("the file reads"));
            }
            let temp = dir.join(format!(".raw-{n}.tmp"));
            let mut file = File::create(&temp).expect("the temp file is created");
            file.write_all(&bytes).expect("the temp file is written");
            file.sync_all().expect("the temp file is synced");
            fs::rename(&temp, &target).expect("the temp file is renamed");
            File::open(&*dir)
                .and_then(|dir| dir.sync_all())
                .expect("the directory syncs");
        });
    }
    saves.join_all().await;
}

fn redis(c: &mut Criterion, rt: &Runtime, payload: &[u8], times: Times) {
    let server = RedisServer::start();
    // A replica, so that durable saves have one to wait for; the plain
    // store replicates to it too, so both pay for the replication stream.
    let replica = RedisServer::builder()
        .with_replica_of(server.port())
        .start();
    wait_for_replica(&server);
    let store = std::sync::Arc::new(
        rt.block_on(RedisStore::connect(&server.url(), Key::generate()))
            .expect("the store connects"),
    );
    let sessions = Sessions::new(std::sync::Arc::clone(&store));
    let cookie = create(rt, &sessions, &store);
    let durable = RedisOptions::new().durable(1, Duration::from_secs(1));
    let durable_store = std::sync::Arc::new(ServerStore::from_backend(
        rt.block_on(RedisBackend::connect_with(&server.url(), durable))
            .expect("the durable store connects"),
        Key::generate(),
    ));
    let durable_sessions = Sessions::new(std::sync::Arc::clone(&durable_store));
    let durable_cookie = create(rt, &durable_sessions, &durable_store);
    let client = redis::Client::open(server.url()).expect("a valid URL");
    let mut raw = rt
        .block_on(ConnectionManager::new(client))
        .expect("the raw connection opens");
    // The bytes RedisStore writes, under a key of the same length.
    let bytes = Record::new(payload.to_vec(), times).encode(&SessionId::generate());
    let key = format!("session:{}", "r".repeat(43));
    let set = |raw: &mut ConnectionManager| {
        rt.block_on(
            redis::cmd("SET")
                .arg(&key)
                .arg(&bytes)
                .query_async::<()>(raw),
        )
        .expect("SET succeeds");
    };
    set(&mut raw);

    let mut group = c.benchmark_group("redis");
    slow_group_settings(&mut group);
    group.bench_function("load/ours", |b| b.iter(|| load(rt, &*store, &cookie)));
    group.bench_function("load/raw-get", |b| {
        b.iter(|| get(rt, &mut raw, &key));
    });
    group.bench_function("load+save/ours", |b| {
        b.iter(|| rt.block_on(load_and_save(&sessions, &cookie)));
    });
    group.bench_function("load+save/raw", |b| {
        b.iter(|| {
            black_box(get(rt, &mut raw, &key));
            set(&mut raw);
        });
    });
    // The same request with every write waiting for the replica (`WAIT 1`).
    group.bench_function("load+save/ours-durable", |b| {
        b.iter(|| rt.block_on(load_and_save(&durable_sessions, &durable_cookie)));
    });
    owned(&mut group, rt, &store, payload, times);
    group.finish();
    drop(replica);
    drop(server);
}

/// Waits until the primary sees its replica online, so that `WAIT 1` has
/// one to count.
fn wait_for_replica(primary: &RedisServer) {
    wait_until(Duration::from_secs(10), "the replica connecting", || {
        let info = primary.raw("INFO replication");
        if info.contains("connected_slaves:1") {
            Ok(())
        } else {
            Err(info)
        }
    });
}

fn get(rt: &Runtime, raw: &mut ConnectionManager, key: &str) -> Vec<u8> {
    rt.block_on(
        redis::cmd("GET")
            .arg(key)
            .query_async::<Option<Vec<u8>>>(raw),
    )
    .expect("GET succeeds")
    .expect("the key is there")
}

/// An owner's sessions on the plain store: a request on an owned session,
/// and listing and revoking 100 sessions of one owner through
/// [`Backend::owned`] and [`Backend::delete`].
fn owned(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    store: &std::sync::Arc<RedisStore>,
    payload: &[u8],
    times: Times,
) {
    let sessions = Sessions::new(std::sync::Arc::clone(store));
    let cookie = create_owned(rt, &sessions);
    group.bench_function("load+save/ours-owned", |b| {
        b.iter(|| rt.block_on(load_and_save_owned(&sessions, &cookie)));
    });
    let backend = store.backend();
    let listed = OwnerId::new(COOKIE_NAME, "listed");
    let record = Record::new(payload.to_vec(), times).with_owner(Some(listed));
    rt.block_on(log_in(backend, &record, 100));
    group.bench_function("owned/list-100", |b| {
        b.iter(|| {
            let owned =
                rt.block_on(backend.owned(&listed, UnixTime::now(), DEFAULT_MAX_RECORD_LEN));
            assert_eq!(owned.expect("the store answers").len(), 100);
        });
    });
    let revoked = OwnerId::new(COOKIE_NAME, "revoked");
    let record = record.with_owner(Some(revoked));
    group.bench_function("owned/revoke-100", |b| {
        b.iter_batched(
            || rt.block_on(log_in(backend, &record, 100)),
            |()| assert_eq!(rt.block_on(revoke_all(backend, &revoked)), 100),
            BatchSize::PerIteration,
        );
    });
}

/// Creates `n` sessions holding `record` at once, as `n` logins would.
async fn log_in(backend: &RedisBackend, record: &Record, n: usize) {
    let mut creates = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (backend, record) = (backend.clone(), record.clone());
        creates.spawn(async move {
            let id = SessionId::generate();
            backend.create(&id, &record, UnixTime::now()).await
        });
    }
    for created in creates.join_all().await {
        assert!(created.expect("the store answers"), "a new id is free");
    }
}

/// What revoking all of an owner's sessions costs: list them, then delete
/// every one at once. Returns how many went.
async fn revoke_all(backend: &RedisBackend, owner: &OwnerId) -> usize {
    let sessions = backend
        .owned(owner, UnixTime::now(), DEFAULT_MAX_RECORD_LEN)
        .await
        .expect("the store answers");
    let mut revokes = tokio::task::JoinSet::new();
    for (id, _) in sessions {
        let backend = backend.clone();
        revokes.spawn(async move { backend.delete(&id).await });
    }
    let results = revokes.join_all().await.into_iter();
    results
        .filter(|r| *r.as_ref().expect("the store answers"))
        .count()
}
