//! `FileStore` beyond the generic conformance suite: file modes, hostile
//! ids and cookies, crash leftovers, cleanup, the reaper, `Debug`, and an
//! update racing a delete. What is in the record files is in
//! `store_file_records.rs`; several processes at once in
//! `store_file_processes.rs`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sessions::store::{
    Backend, FileBackend, Record, ServerStore, SessionId, Store, UnixTime, Update,
};
use sessions::{Error, FileStore, Key};
use sessions_conformance::Guarded;
use sessions_tests::TempDir;
use sessions_tests::files::{
    backdate, expired, is_fresh, live, mode, names, record_names, saved_cookie, temp_names,
};

/// The size limit the backend-level checks load with.
const MAX: usize = 64 * 1024;

// The generic suite, each test on a file store in its own temp dir that
// is removed with the store.
sessions_conformance::store_tests!(files, |key| {
    let dir = TempDir::new();
    let backend = FileBackend::open(dir.store()).expect("open a file store in a temp dir");
    ServerStore::from_backend(Guarded::new(backend, dir), key)
});

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
    let revived = Record::new(vec![2], live()).with_version(2);
    let updated = backend.update(&ids[0], 1, &revived, UnixTime::now()).await;
    assert_eq!(updated.unwrap(), Update::Missing);
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
                        // Over the version just read, so that most land.
                        let now = UnixTime::now();
                        let Some(current) = backend.load(&id, now, MAX).await.unwrap() else {
                            break;
                        };
                        let next = current.version + 1;
                        let record = Record::new(vec![n, seq], live()).with_version(next);
                        let _ = backend
                            .update(&id, current.version, &record, now)
                            .await
                            .unwrap();
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
