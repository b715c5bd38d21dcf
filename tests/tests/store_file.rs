//! `FileStore` beyond the generic conformance suite: file modes, hostile ids
//! and record files, crash leftovers, cleanup, the reaper, and several real
//! processes (this test binary, re-executed as workers) writing at once or
//! killed in the middle of a write.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sessions::store::{
    Backend, FileBackend, Record, ServerStore, SessionId, Store, Times, UnixTime,
};
use sessions::{Error, FileStore, Key, MapSession, SessionConfig, Sessions};
use sessions_conformance::Guarded;

const CONFIG: SessionConfig = SessionConfig::new("sid");
/// Bytes before the payload in a record file.
const HEADER_LEN: usize = 72;
/// The size limit the backend-level checks load with.
const MAX: usize = 64 * 1024;

// The generic suite, each test on a file store in its own temp dir that
// is removed with the store.
sessions_conformance::store_tests!(files, |key| {
    let dir = TempDir::new();
    let backend = FileBackend::open(dir.store()).expect("open a file store in a temp dir");
    ServerStore::from_backend(Guarded::new(backend, dir), key)
});

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("sessions-file-{}", SessionId::generate()));
        fs::create_dir(&path).expect("the temp dir is writable");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn store(&self) -> PathBuf {
        self.0.join("store")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_hours(1))
}

fn expired() -> Times {
    Times::fresh(UnixTime::from_secs(1_000_000), Duration::from_mins(1))
}

fn names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| keep(name))
        .collect();
    names.sort();
    names
}

fn record_names(dir: &Path) -> Vec<String> {
    names(dir, |name| name.parse::<SessionId>().is_ok())
}

fn temp_names(dir: &Path) -> Vec<String> {
    names(dir, |name| {
        name.starts_with('.') && Path::new(name).extension().is_some_and(|ext| ext == "tmp")
    })
}

fn backdate(path: &Path) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_hours(1))
        .unwrap();
}

/// Saves a new session through the whole stack and returns its cookie value.
async fn saved_cookie(store: &FileStore) -> String {
    let sessions = Sessions::new(store.clone());
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let session = MapSession::load(&req, CONFIG).await.unwrap();
    session.insert("n", &1).unwrap();
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.unwrap();
    let header = res.headers()[http::header::SET_COOKIE].to_str().unwrap();
    let pair = header.split(';').next().unwrap();
    pair.strip_prefix("sid=").unwrap().to_owned()
}

/// Whether a request carrying `cookie` gets a fresh session.
async fn is_fresh(store: &FileStore, cookie: &str) -> sessions::Result<bool> {
    let sessions = Sessions::new(store.clone());
    let mut req = http::Request::new(());
    let value = format!("sid={cookie}").parse().unwrap();
    req.headers_mut().insert(http::header::COOKIE, value);
    sessions.attach(&mut req);
    Ok(MapSession::load(&req, CONFIG).await?.is_new())
}

#[tokio::test]
async fn directory_is_0700_and_files_are_0600() {
    let tmp = TempDir::new();
    let dir = tmp.path().join("a/b/store");
    let backend = FileBackend::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    let locks = dir.join(".locks");
    assert_eq!(mode(&locks), 0o700);
    let lock_files = names(&locks, |_| true);
    assert_eq!(lock_files.len(), 64);
    assert!(
        lock_files
            .iter()
            .all(|name| mode(&locks.join(name)) == 0o600)
    );

    let id = SessionId::generate();
    assert!(
        backend
            .create(&id, &Record::new(vec![1], live()), UnixTime::now())
            .await
            .unwrap()
    );
    assert_eq!(mode(&dir.join(id.to_string())), 0o600);

    let wide = tmp.path().join("wide");
    fs::create_dir(&wide).unwrap();
    fs::set_permissions(&wide, fs::Permissions::from_mode(0o755)).unwrap();
    FileBackend::open(&wide).unwrap();
    assert_eq!(mode(&wide), 0o700, "an existing directory is narrowed");

    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    let err = FileBackend::open(&file).unwrap_err();
    assert!(
        matches!(&err, Error::Io(io) if io.kind() == std::io::ErrorKind::NotADirectory),
        "{err:?}"
    );
}

#[test]
fn hostile_ids_cannot_be_constructed() {
    let good = SessionId::generate().to_string();
    let traversal = "../".repeat(13) + "etc";
    assert_eq!(traversal.len(), 42);
    let hostile = [
        String::new(),
        traversal.clone() + "/",
        traversal + "x",
        format!("/{}", &good[1..]),
        format!("..{}", &good[2..]),
        format!("{}/..", &good[..40]),
        format!("{}\0", &good[..42]),
        format!("\0{}", &good[1..]),
        format!("{good}A"),
        good.repeat(100),
        good[..42].to_owned(),
        format!("{}+", &good[..42]),
        format!("{}=", &good[..42]),
        format!("{}.", &good[..42]),
        format!("{}\\", &good[..42]),
        format!("{} ", &good[..42]),
        format!("{}é", &good[..41]),
    ];
    for text in &hostile {
        assert!(
            matches!(text.parse::<SessionId>(), Err(Error::InvalidId)),
            "{text:?}"
        );
    }
    for len in [0, 31, 33, 43] {
        assert!(SessionId::from_bytes(&vec![b'.'; len]).is_none());
    }
}

#[tokio::test]
async fn hostile_cookie_values_build_no_path_and_give_a_fresh_session() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let real = saved_cookie(&store).await;
    assert!(
        !is_fresh(&store, &real).await.unwrap(),
        "control: a real cookie loads"
    );
    let files_before = names(&tmp.store(), |_| true);
    let [id] = &record_names(&tmp.store())[..] else {
        panic!("one session, one file")
    };
    let bogus = [
        "../../../../etc/passwd".to_owned(),
        "/etc/passwd".to_owned(),
        "..".to_owned(),
        id.clone(),
        SessionId::generate().to_string(),
        format!("{real}A"),
    ];
    for value in &bogus {
        let loaded = store.load("sid", value, UnixTime::now()).await.unwrap();
        assert_eq!(loaded, None, "{value:?}");
        assert!(is_fresh(&store, value).await.unwrap());
    }
    assert_eq!(
        names(&tmp.store(), |_| true),
        files_before,
        "no path was built from a cookie value"
    );
}

#[tokio::test]
async fn record_files_hold_the_one_record_format() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = SessionId::generate();
    let times = Times {
        created_at: UnixTime::from_secs(0x0102_0304),
        issued_at: UnixTime::from_secs(0x0506_0708),
        expires_at: UnixTime::from_secs(u64::MAX),
    };
    let record = Record::new(b"payload".to_vec(), times);
    assert!(backend.create(&id, &record, UnixTime::now()).await.unwrap());
    let bytes = fs::read(tmp.store().join(id.to_string())).unwrap();
    assert_eq!(bytes, record.encode(&id));
    assert_eq!(&bytes[..8], b"SESS\x02\0\0\0");
    assert_eq!(bytes[40..48], 0x0102_0304_u64.to_be_bytes());
    assert_eq!(bytes[64..HEADER_LEN], 7_u64.to_be_bytes());
    assert_eq!(&bytes[HEADER_LEN..], b"payload");
    let loaded = backend.load(&id, UnixTime::now(), 7).await.unwrap();
    assert_eq!(loaded, Some(record));
}

/// Damaged copies of a good record file.
fn damaged(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let with = |at: usize, bytes: &[u8]| {
        let mut damaged = good.to_vec();
        damaged[at..at + bytes.len()].copy_from_slice(bytes);
        damaged
    };
    let declared = u64::try_from(good.len() - HEADER_LEN).unwrap();
    vec![
        ("empty", Vec::new()),
        ("truncated header", good[..10].to_vec()),
        ("header only", good[..HEADER_LEN].to_vec()),
        ("truncated payload", good[..good.len() - 1].to_vec()),
        ("trailing byte", [good, &[0]].concat()),
        ("wrong magic", with(0, b"XXXX")),
        ("the format before ids were bound", with(4, &[1])),
        ("future version", with(4, &[3])),
        ("reserved bytes", with(5, &[1])),
        ("another id's digest", with(8, &[!good[8]])),
        ("huge length", with(64, &u64::MAX.to_be_bytes())),
        ("length one more", with(64, &(declared + 1).to_be_bytes())),
        (
            "foreign file",
            b"#!/bin/sh\necho this is not a session record at all\n".to_vec(),
        ),
    ]
}

/// The session file of a store with one session.
fn only_file(tmp: &TempDir) -> (SessionId, PathBuf) {
    let [name] = &record_names(&tmp.store())[..] else {
        panic!("one session, one file")
    };
    (name.parse().unwrap(), tmp.store().join(name))
}

/// Asserts that `cookie` fails to load from `store` with a decode error
/// that names no id, and that its request fails closed.
async fn assert_refused(store: &FileStore, cookie: &str, what: &str) {
    let loaded = store.load("sid", cookie, UnixTime::now()).await;
    let Err(Error::Decode(source)) = &loaded else {
        panic!("{what}: {loaded:?}")
    };
    let message = source.to_string();
    assert!(
        message.contains("not a valid session record"),
        "{what}: {message}"
    );
    for name in record_names(store.backend().dir()) {
        assert!(!message.contains(&name), "{what}: errors never name an id");
    }
    assert!(
        is_fresh(store, cookie).await.is_err(),
        "{what}: the request fails closed"
    );
}

#[tokio::test]
async fn corrupt_record_files_fail_closed_and_never_panic() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let cookie = saved_cookie(&store).await;
    let (id, path) = only_file(&tmp);
    let good = fs::read(&path).unwrap();
    let record = Record::new(vec![1, 2, 3], live());

    for (what, bytes) in damaged(&good) {
        fs::write(&path, &bytes).unwrap();
        assert_refused(&store, &cookie, what).await;
        let updated = store.backend().update(&id, &record, UnixTime::now()).await;
        assert!(
            updated.is_err(),
            "{what}: update overwrote an unreadable file"
        );
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}: file untouched");
        let removed = store.backend().cleanup_expired(UnixTime::now()).await;
        assert_eq!(removed.unwrap(), 0, "{what}: cleanup leaves it");
    }
    store.backend().delete(&id).await.unwrap();
    assert!(!path.exists(), "delete removes an unreadable file");
    assert!(is_fresh(&store, &cookie).await.unwrap());
}

#[tokio::test]
async fn a_record_copied_or_moved_to_another_id_does_not_load() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let alice = saved_cookie(&store).await;
    let (alice_id, alice_path) = only_file(&tmp);
    let bob = saved_cookie(&store).await;
    let loaded = store.load("sid", &bob, UnixTime::now()).await.unwrap();
    let bob_id = loaded.unwrap().id().cloned().unwrap();
    let bob_path = tmp.store().join(bob_id.to_string());
    assert_ne!(alice_id, bob_id);

    fs::copy(&alice_path, &bob_path).unwrap();
    assert_refused(&store, &bob, "a copy").await;
    assert!(
        !is_fresh(&store, &alice).await.unwrap(),
        "the original loads"
    );
    let record = Record::new(vec![1], live());
    let updated = store
        .backend()
        .update(&bob_id, &record, UnixTime::now())
        .await;
    assert!(updated.is_err(), "a foreign record is not overwritten");
    let removed = store.backend().cleanup_expired(UnixTime::now()).await;
    assert_eq!(removed.unwrap(), 0);
    assert!(bob_path.exists(), "cleanup leaves it for an operator");

    fs::rename(&alice_path, &bob_path).unwrap();
    assert_refused(&store, &bob, "a move").await;
    assert!(is_fresh(&store, &alice).await.unwrap(), "moved away");
}

/// Saves a session holding `len` bytes of notes through `store`.
async fn save_notes(store: &FileStore, len: usize) -> sessions::Result<String> {
    let sessions = Sessions::new(store.clone());
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let session = MapSession::load(&req, CONFIG).await?;
    session.insert("notes", &"n".repeat(len))?;
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await?;
    let header = res.headers()[http::header::SET_COOKIE].to_str().unwrap();
    let pair = header.split(';').next().unwrap();
    Ok(pair.strip_prefix("sid=").unwrap().to_owned())
}

#[tokio::test]
async fn the_store_limit_applies_to_saves_and_to_the_files_loads_find() {
    let (tmp, key) = (TempDir::new(), Key::generate());
    let small = FileStore::open(tmp.store(), key.clone())
        .unwrap()
        .with_max_record_len(1024);
    let roomy = FileStore::open(tmp.store(), key).unwrap();

    let err = save_notes(&small, 2000).await.unwrap_err();
    let Error::Save(errors) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(
        errors.failures(),
        [("sid", Error::RecordTooLarge { max: 1024, .. })]
    ));
    assert!(record_names(&tmp.store()).is_empty(), "nothing written");

    // The same directory written by a store with a larger limit.
    let cookie = save_notes(&roomy, 2000).await.unwrap();
    assert!(!is_fresh(&roomy, &cookie).await.unwrap());
    let loaded = small.load("sid", &cookie, UnixTime::now()).await;
    assert!(
        matches!(loaded, Err(Error::RecordTooLarge { max: 1024, .. })),
        "{loaded:?}"
    );
    assert!(is_fresh(&small, &cookie).await.is_err(), "fails closed");
}

#[tokio::test]
async fn the_backend_refuses_a_payload_over_the_limit_before_reading_it() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let big = Record::new(vec![7; 1 << 20], live());
    let id = SessionId::generate();
    assert!(backend.create(&id, &big, UnixTime::now()).await.unwrap());
    let err = backend.load(&id, UnixTime::now(), 1024).await.unwrap_err();
    assert!(matches!(
        err,
        Error::RecordTooLarge {
            len: 1_048_576,
            max: 1024
        }
    ));
    let loaded = backend.load(&id, UnixTime::now(), 1 << 20).await.unwrap();
    assert_eq!(loaded, Some(big));
    assert_eq!(names(&tmp.store(), |name| !name.starts_with('.')).len(), 1);
}

#[tokio::test]
async fn crash_leftovers_are_swept_by_open_and_cleanup() {
    let tmp = TempDir::new();
    let dir = tmp.store();
    drop(FileBackend::open(&dir).unwrap());
    let at = |name: &str| dir.join(name);
    // What a killed writer leaves: a half-written file nobody has locked.
    fs::write(at(".4242-0-00000000deadbeef.tmp"), b"SESS\x01half a rec").unwrap();
    // Empty and young: possibly a writer between creating and locking it.
    fs::write(at(".4242-1-00000000deadbeef.tmp"), b"").unwrap();
    // Locked: a live writer in another process.
    fs::write(at(".4242-2-00000000deadbeef.tmp"), b"SESS").unwrap();
    let writer = fs::File::open(at(".4242-2-00000000deadbeef.tmp")).unwrap();
    writer.lock().unwrap();
    // Not temp files at all.
    fs::write(at("notes.tmp"), b"keep").unwrap();
    fs::write(at(".hidden"), b"keep").unwrap();

    let backend = FileBackend::open(&dir).unwrap();
    assert_eq!(
        temp_names(&dir),
        [
            ".4242-1-00000000deadbeef.tmp",
            ".4242-2-00000000deadbeef.tmp"
        ]
    );
    backdate(&at(".4242-1-00000000deadbeef.tmp"));
    backdate(&at(".4242-2-00000000deadbeef.tmp"));
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert_eq!(temp_names(&dir), [".4242-2-00000000deadbeef.tmp"]);
    drop(writer);
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert!(temp_names(&dir).is_empty());
    assert!(at("notes.tmp").exists() && at(".hidden").exists());
}

#[tokio::test]
async fn cleanup_expired_removes_and_counts_only_expired_records() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let backend = store.backend();
    let ids: Vec<SessionId> = (0..5).map(|_| SessionId::generate()).collect();
    for (n, id) in ids.iter().enumerate() {
        let times = if n < 3 { expired() } else { live() };
        assert!(
            backend
                .create(id, &Record::new(vec![1], times), UnixTime::now())
                .await
                .unwrap()
        );
    }
    fs::write(tmp.store().join(SessionId::generate().to_string()), b"junk").unwrap();
    assert!(
        !backend
            .update(&ids[0], &Record::new(vec![2], live()), UnixTime::now())
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&ids[0], &Record::new(vec![2], expired()), UnixTime::now())
            .await
            .unwrap()
    );

    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 3);
    assert_eq!(record_names(&tmp.store()).len(), 3, "two live, one junk");
    assert_eq!(store.cleanup_expired().await.unwrap(), 0);
    let later = UnixTime::now() + Duration::from_hours(2);
    assert_eq!(backend.cleanup_expired(later).await.unwrap(), 2);
    assert_eq!(record_names(&tmp.store()).len(), 1, "the junk file stays");
}

#[tokio::test]
async fn reaper_removes_expired_records_and_ends_with_the_store() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let id = SessionId::generate();
    let record = Record::new(vec![1], expired());
    assert!(
        store
            .backend()
            .create(&id, &record, UnixTime::now())
            .await
            .unwrap()
    );
    let reaper = store.spawn_reaper(Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !record_names(&tmp.store()).is_empty() {
        assert!(Instant::now() < deadline, "the reaper never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(store);
    tokio::time::timeout(Duration::from_secs(5), reaper)
        .await
        .expect("the reaper ends once the store is gone")
        .unwrap();
}

#[tokio::test]
async fn debug_shows_the_directory_and_nothing_else() {
    let tmp = TempDir::new();
    let store = FileStore::open(tmp.store(), Key::generate()).unwrap();
    let cookie = saved_cookie(&store).await;
    let debug = format!("{:?}", store.backend());
    assert_eq!(
        debug,
        format!("FileBackend {{ dir: {:?}, .. }}", tmp.store())
    );
    let store_debug = format!("{store:?}");
    assert!(store_debug.contains(&debug));
    for name in record_names(&tmp.store()) {
        assert!(!store_debug.contains(&name));
    }
    assert!(!store_debug.contains(&cookie));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_racing_a_delete_never_brings_the_session_back() {
    let tmp = TempDir::new();
    let backend = Arc::new(FileBackend::open(tmp.store()).unwrap());
    for _ in 0..10 {
        let id = Arc::new(SessionId::generate());
        assert!(
            backend
                .create(&id, &Record::new(vec![0], live()), UnixTime::now())
                .await
                .unwrap()
        );
        let writers: Vec<_> = (0..4u8)
            .map(|n| {
                let (backend, id) = (Arc::clone(&backend), Arc::clone(&id));
                tokio::spawn(async move {
                    for seq in 0..10u8 {
                        let record = Record::new(vec![n, seq], live());
                        backend.update(&id, &record, UnixTime::now()).await.unwrap();
                    }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        backend.delete(&id).await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        assert_eq!(backend.load(&id, UnixTime::now(), MAX).await.unwrap(), None);
    }
}

// Several processes. The workers are this test binary, re-executed with
// `WORKER` set so that only the `worker` test runs, and runs a role.

/// Selects the worker role; unset in a normal run.
const WORKER: &str = "SESSIONS_FILE_TEST_WORKER";
const WORKER_DIR: &str = "SESSIONS_FILE_TEST_DIR";
const WORKER_TAG: &str = "SESSIONS_FILE_TEST_TAG";
const WORKER_IDS: &str = "SESSIONS_FILE_TEST_IDS";
/// Workers wait for this file before they write, so they start together.
const GO: &str = "go";
const PROCESSES: usize = 4;
const WRITES: u32 = 50;
/// Ids every writer tries to create; one must win each.
const RACES: usize = 20;

/// A payload that shows tearing: `tag:seq;` repeated, its length varying.
fn payload(tag: &str, seq: u32, len: usize) -> Vec<u8> {
    let unit = format!("{tag}:{seq};");
    let len = len + usize::try_from(seq % 97).unwrap();
    unit.bytes().cycle().take(len).collect()
}

/// The tag and sequence number of a payload, checking that it is whole.
fn parse_payload(bytes: &[u8]) -> (String, u32) {
    let text = std::str::from_utf8(bytes).expect("payloads are text");
    let unit = &text[..=text.find(';').expect("a payload has a unit")];
    let whole = unit
        .bytes()
        .cycle()
        .take(bytes.len())
        .eq(bytes.iter().copied());
    assert!(whole, "torn payload");
    let (tag, seq) = unit[..unit.len() - 1].split_once(':').unwrap();
    (tag.to_owned(), seq.parse().unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn spawn_worker(role: &str, tmp: &TempDir, tag: &str, ids: &[&SessionId]) -> Child {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    Command::new(std::env::current_exe().unwrap())
        .args(["worker", "--exact", "--nocapture", "--test-threads=1"])
        .env(WORKER, role)
        .env(WORKER_DIR, tmp.path())
        .env(WORKER_TAG, tag)
        .env(WORKER_IDS, ids.join(","))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary re-executes")
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + deadline;
    while !done() {
        if Instant::now() > deadline {
            eprintln!("gave up waiting: {what}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Worker processes; any still running when the test fails are killed.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_success(child: &mut Child) {
    let mut status: Option<ExitStatus> = None;
    wait_for("a worker to exit", Duration::from_mins(1), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if status.is_none() {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "worker failed: {stderr}");
}

/// The entry point of worker processes; passes at once in a normal run.
#[test]
fn worker() {
    let Ok(role) = std::env::var(WORKER) else {
        return;
    };
    let env = |name| std::env::var(name).unwrap();
    let tmp = PathBuf::from(env(WORKER_DIR));
    let tag = env(WORKER_TAG);
    let ids: Vec<SessionId> = env(WORKER_IDS)
        .split(',')
        .map(|text| text.parse().unwrap())
        .collect();
    let backend = FileBackend::open(tmp.join("store")).unwrap();
    assert!(wait_for("go", Duration::from_secs(30), || tmp
        .join(GO)
        .exists()));
    runtime().block_on(async {
        match role.as_str() {
            "writer" => write_worker(&backend, &tmp, &tag, &ids).await,
            "looper" => loop_worker(&backend, &tag, &ids).await,
            _ => panic!("unknown worker role {role}"),
        }
    });
}

/// Writes its own session, `shared` and `doomed` (which the parent deletes
/// meanwhile) `WRITES` times each, racing the others to create each of
/// `races` on the way; the file named by its tag says which it won.
async fn write_worker(backend: &FileBackend, tmp: &Path, tag: &str, ids: &[SessionId]) {
    let [own, shared, doomed, races @ ..] = ids else {
        panic!("a writer gets its own, shared, doomed and racing ids")
    };
    let record = |seq| Record::new(payload(tag, seq, 8 * 1024), live());
    let mut won = String::new();
    assert!(
        backend
            .create(own, &record(0), UnixTime::now())
            .await
            .unwrap()
    );
    for seq in 1..=WRITES {
        if let Some(race) = races.get(seq as usize - 1) {
            let created = backend
                .create(race, &record(seq), UnixTime::now())
                .await
                .unwrap();
            won.push(if created { '1' } else { '0' });
        }
        assert!(
            backend
                .update(own, &record(seq), UnixTime::now())
                .await
                .unwrap()
        );
        assert!(
            backend
                .update(shared, &record(seq), UnixTime::now())
                .await
                .unwrap()
        );
        backend
            .update(doomed, &record(seq), UnixTime::now())
            .await
            .unwrap();
    }
    fs::write(tmp.join(tag), won).unwrap();
}

/// Writes its own session and `shared` until killed.
async fn loop_worker(backend: &FileBackend, tag: &str, ids: &[SessionId]) {
    let [own, shared] = ids else {
        panic!("a looper gets two ids")
    };
    let record = |seq| Record::new(payload(tag, seq, 40 * 1024), live());
    assert!(
        backend
            .create(own, &record(0), UnixTime::now())
            .await
            .unwrap()
    );
    for seq in 1.. {
        assert!(
            backend
                .update(own, &record(seq), UnixTime::now())
                .await
                .unwrap()
        );
        assert!(
            backend
                .update(shared, &record(seq), UnixTime::now())
                .await
                .unwrap()
        );
    }
}

/// Every record file in `dir` loads whole.
fn assert_all_whole(rt: &tokio::runtime::Runtime, backend: &FileBackend) {
    for name in record_names(backend.dir()) {
        let id: SessionId = name.parse().unwrap();
        let record = rt.block_on(backend.load(&id, UnixTime::now(), MAX));
        let record = record.unwrap().expect("every file holds a live record");
        parse_payload(&record.payload);
    }
}

fn seq_of(
    rt: &tokio::runtime::Runtime,
    backend: &FileBackend,
    id: &SessionId,
) -> Option<(String, u32)> {
    let record = rt
        .block_on(backend.load(id, UnixTime::now(), MAX))
        .unwrap()?;
    Some(parse_payload(&record.payload))
}

#[test]
fn processes_writing_at_once_lose_nothing() {
    let (tmp, rt) = (TempDir::new(), runtime());
    let backend = FileBackend::open(tmp.store()).unwrap();
    let [shared, doomed] = [(); 2].map(|()| SessionId::generate());
    let races: Vec<SessionId> = (0..RACES).map(|_| SessionId::generate()).collect();
    for id in [&shared, &doomed] {
        let record = Record::new(payload("main", 0, 100), live());
        assert!(
            rt.block_on(backend.create(id, &record, UnixTime::now()))
                .unwrap()
        );
    }
    let own: Vec<SessionId> = (0..PROCESSES).map(|_| SessionId::generate()).collect();
    let mut workers = Workers(
        own.iter()
            .enumerate()
            .map(|(n, id)| {
                let ids: Vec<&SessionId> =
                    [id, &shared, &doomed].into_iter().chain(&races).collect();
                spawn_worker("writer", &tmp, &format!("w{n}"), &ids)
            })
            .collect(),
    );
    fs::write(tmp.path().join(GO), b"").unwrap();
    wait_for("doomed to be written", Duration::from_secs(10), || {
        seq_of(&rt, &backend, &doomed).is_some_and(|(_, seq)| seq >= 5)
    });
    rt.block_on(backend.delete(&doomed)).unwrap();
    workers.0.iter_mut().for_each(wait_success);

    let won: Vec<Vec<u8>> = (0..PROCESSES)
        .map(|n| fs::read(tmp.path().join(format!("w{n}"))).unwrap())
        .collect();
    for (r, race) in races.iter().enumerate() {
        let winners: Vec<usize> = (0..PROCESSES).filter(|&n| won[n][r] == b'1').collect();
        let [winner] = winners[..] else {
            panic!("race {r}: exactly one create wins, not {winners:?}")
        };
        let (tag, _) = seq_of(&rt, &backend, race).unwrap();
        assert_eq!(tag, format!("w{winner}"), "race {r}: the winner's record");
    }
    for (n, id) in own.iter().enumerate() {
        assert_eq!(seq_of(&rt, &backend, id), Some((format!("w{n}"), WRITES)));
    }
    let (tag, seq) = seq_of(&rt, &backend, &shared).unwrap();
    assert!(
        tag.starts_with('w') && seq == WRITES,
        "the last write wins: {tag}:{seq}"
    );
    assert_eq!(
        seq_of(&rt, &backend, &doomed),
        None,
        "a deleted session stays deleted"
    );
    assert!(!tmp.store().join(doomed.to_string()).exists());
    assert_eq!(record_names(&tmp.store()).len(), PROCESSES + 1 + RACES);
    assert_all_whole(&rt, &backend);
    assert!(temp_names(&tmp.store()).is_empty());
}

#[test]
fn a_killed_writer_leaves_only_whole_records() {
    let (tmp, rt) = (TempDir::new(), runtime());
    let backend = FileBackend::open(tmp.store()).unwrap();
    let shared = SessionId::generate();
    let record = Record::new(payload("main", 0, 100), live());
    assert!(
        rt.block_on(backend.create(&shared, &record, UnixTime::now()))
            .unwrap()
    );
    fs::write(tmp.path().join(GO), b"").unwrap();
    let own: Vec<SessionId> = (0..3).map(|_| SessionId::generate()).collect();
    let mut workers = Workers(
        own.iter()
            .enumerate()
            .map(|(n, id)| spawn_worker("looper", &tmp, &format!("k{n}"), &[id, &shared]))
            .collect(),
    );
    let mut mid_write = 0;
    for (child, id) in workers.0.iter_mut().zip(&own) {
        let started = wait_for("a looper to write", Duration::from_secs(20), || {
            seq_of(&rt, &backend, id).is_some_and(|(_, seq)| seq >= 3)
        });
        assert!(started, "the looper never got going");
        // Kill while a temp file exists: most likely in the middle of a write.
        if wait_for("a write in flight", Duration::from_secs(1), || {
            !temp_names(&tmp.store()).is_empty()
        }) {
            mid_write += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert!(mid_write > 0, "no kill landed while a temp file existed");
    assert_all_whole(&rt, &backend);
    for id in own.iter().chain([&shared]) {
        let updated = rt
            .block_on(backend.update(id, &record, UnixTime::now()))
            .unwrap();
        assert!(updated, "the killed writers' locks were released");
    }
    // What the kills left is swept: at once when it has content, after a
    // grace period when empty (its writer may not have locked it yet).
    drop(FileBackend::open(tmp.store()).unwrap());
    for name in temp_names(&tmp.store()) {
        let path = tmp.store().join(name);
        assert_eq!(fs::metadata(&path).unwrap().len(), 0);
        backdate(&path);
    }
    assert_eq!(
        rt.block_on(backend.cleanup_expired(UnixTime::now()))
            .unwrap(),
        0
    );
    assert!(temp_names(&tmp.store()).is_empty());
}
