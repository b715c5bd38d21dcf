//! `FileStore` against a hostile directory: symlinked, foreign-owned or
//! writable store directories, and symlinks and FIFOs planted where
//! records, lock files and temp files go. The store must refuse, never
//! follow a link, never block on a FIFO, and never create a file outside
//! its directory.
//!
//! The tests run as root, which passes every permission check: ownership
//! and modes are checked in the store's answers and in file metadata,
//! never by expecting `EACCES`.

use std::fs;
use std::future::Future;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _, chown, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sessions::store::{Backend, FileBackend, Record, SessionId, UnixTime, UnsafeDir};
use sessions::{Error, Result};
use sessions_tests::TempDir;
use sessions_tests::files::{expired, live, mkfifo, mode, names, unjam};

/// The size limit loads run with.
const MAX: usize = 64 * 1024;
/// How long failing on a planted file may take, at most.
const FAST: Duration = Duration::from_secs(1);
/// A user id that owns nothing of ours.
const STRANGER: u32 = 4242;

/// The problem `FileBackend::open` reported, and the path it named.
fn refusal(opened: Result<FileBackend>) -> (PathBuf, UnsafeDir) {
    match opened {
        Err(Error::UnsafeStoreDir { path, problem }) => (path, problem),
        other => panic!("expected an unsafe directory error, got {other:?}"),
    }
}

/// Runs `op` on `fifo`'s store with [`FAST`] as the deadline; on timeout,
/// releases the thread stuck on the FIFO and fails.
async fn fast<T>(what: &str, fifo: &Path, op: impl Future<Output = T>) -> T {
    if let Ok(out) = tokio::time::timeout(FAST, op).await {
        out
    } else {
        unjam(fifo);
        panic!("{what}: still blocked on a FIFO after {FAST:?}");
    }
}

/// Runs the blocking `op` on a thread with [`FAST`] as the deadline; on
/// timeout, releases the thread stuck on `fifo` and fails.
fn fast_blocking<T: Send + 'static>(
    what: &str,
    fifo: &Path,
    op: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(op()));
    rx.recv_timeout(FAST).unwrap_or_else(|_| {
        unjam(fifo);
        panic!("{what}: still blocked on a FIFO after {FAST:?}");
    })
}

/// Asserts that `result` reports a file that is not a valid record.
fn assert_invalid_record<T: std::fmt::Debug>(what: &str, result: &Result<T>) {
    let Err(Error::Decode(source)) = result else {
        panic!("{what}: expected a refused record, got {result:?}")
    };
    assert!(
        source.to_string().contains("not a regular file"),
        "{what}: {source}"
    );
}

#[test]
fn a_symlinked_store_directory_is_refused_and_left_alone() {
    let tmp = TempDir::new();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
    let link = tmp.path().join("link");
    symlink(&real, &link).unwrap();

    let (path, problem) = refusal(FileBackend::open(&link));
    assert_eq!((path, problem), (link.clone(), UnsafeDir::Symlink));
    let (path, problem) = refusal(FileBackend::open(link.join("")));
    assert_eq!(
        (path, problem),
        (link, UnsafeDir::Symlink),
        "a trailing slash"
    );
    assert!(names(&real, |_| true).is_empty(), "nothing made through it");
}

#[test]
fn a_symlinked_lock_directory_is_refused_and_left_alone() {
    let tmp = TempDir::new();
    let store = tmp.store();
    drop(FileBackend::open(&store).unwrap());
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::remove_dir_all(store.join(".locks")).unwrap();
    symlink(&elsewhere, store.join(".locks")).unwrap();

    let (path, problem) = refusal(FileBackend::open(&store));
    assert_eq!((path, problem), (store.join(".locks"), UnsafeDir::Symlink));
    assert!(names(&elsewhere, |_| true).is_empty(), "no lock file made");
}

#[test]
fn a_store_directory_owned_by_another_user_is_refused() {
    let tmp = TempDir::new();
    let store = tmp.store();
    fs::create_dir(&store).unwrap();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o700)).unwrap();
    chown(&store, Some(STRANGER), None).expect("the tests run as root and may chown");

    let (path, problem) = refusal(FileBackend::open(&store));
    assert_eq!(path, store);
    let UnsafeDir::NotOwned { owner, .. } = problem else {
        panic!("{problem:?}")
    };
    assert_eq!(owner, STRANGER);
    assert!(names(&store, |_| true).is_empty(), "nothing made inside");

    // The same for a lock directory another user owns.
    let other = tmp.path().join("other");
    drop(FileBackend::open(&other).unwrap());
    chown(other.join(".locks"), Some(STRANGER), None).unwrap();
    let (path, problem) = refusal(FileBackend::open(&other));
    assert_eq!(path, other.join(".locks"));
    assert!(matches!(
        problem,
        UnsafeDir::NotOwned {
            owner: STRANGER,
            ..
        }
    ));
}

#[test]
fn a_store_directory_others_may_write_to_is_refused_not_narrowed() {
    let tmp = TempDir::new();
    for bits in [0o720, 0o702, 0o777, 0o1777, 0o2770] {
        let store = tmp.path().join(format!("store-{bits:o}"));
        fs::create_dir(&store).unwrap();
        fs::set_permissions(&store, fs::Permissions::from_mode(bits)).unwrap();
        let (path, problem) = refusal(FileBackend::open(&store));
        assert_eq!(path, store);
        assert_eq!(problem, UnsafeDir::Writable { mode: bits }, "{bits:o}");
        assert_eq!(mode(&store), bits, "{bits:o}: left as it was");
        assert!(names(&store, |_| true).is_empty(), "{bits:o}: nothing made");
    }
}

#[test]
fn the_refusal_explains_itself() {
    let tmp = TempDir::new();
    let store = tmp.store();
    fs::create_dir(&store).unwrap();
    fs::set_permissions(&store, fs::Permissions::from_mode(0o777)).unwrap();
    let err = FileBackend::open(&store).unwrap_err();
    let source = std::error::Error::source(&err).expect("the problem is the source");
    assert!(err.to_string().contains("unsafe"), "{err}");
    assert!(source.to_string().contains("777"), "{source}");
}

#[test]
fn a_dangling_lock_symlink_creates_nothing_outside() {
    let tmp = TempDir::new();
    let store = tmp.store();
    drop(FileBackend::open(&store).unwrap());
    let victim = tmp.path().join("victim");
    fs::remove_file(store.join(".locks/00")).unwrap();
    symlink(&victim, store.join(".locks/00")).unwrap();

    let (path, problem) = refusal(FileBackend::open(&store));
    assert_eq!(
        (path, problem),
        (store.join(".locks/00"), UnsafeDir::NotRegularFile)
    );
    assert!(
        fs::symlink_metadata(&victim).is_err(),
        "the link's target was not created"
    );
}

#[test]
fn a_fifo_lock_file_is_refused_without_blocking() {
    let tmp = TempDir::new();
    let store = tmp.store();
    drop(FileBackend::open(&store).unwrap());
    let lock = store.join(".locks/07");
    fs::remove_file(&lock).unwrap();
    mkfifo(&lock);

    let opened = fast_blocking("open", &lock, {
        let store = store.clone();
        move || FileBackend::open(store)
    });
    let (path, problem) = refusal(opened);
    assert_eq!((path, problem), (lock, UnsafeDir::NotRegularFile));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_at_a_record_path_fails_every_operation_fast() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = SessionId::generate();
    let fifo = tmp.store().join(id.to_string());
    mkfifo(&fifo);
    let record = Record::new(vec![1], live());
    let now = UnixTime::now();

    let started = Instant::now();
    let load = fast("load", &fifo, backend.load(&id, now, MAX)).await;
    assert_invalid_record("load", &load);
    let create = fast("create", &fifo, backend.create(&id, &record, now)).await;
    assert_invalid_record("create", &create);
    let update = fast("update", &fifo, backend.update(&id, 1, &record, now)).await;
    assert_invalid_record("update", &update);
    let cleanup = fast("cleanup", &fifo, backend.cleanup_expired(now)).await;
    assert_eq!(cleanup.unwrap(), 0, "counted as invalid, not removed");
    assert!(started.elapsed() < 4 * FAST);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

/// A store with one planted link: `id`'s record path points to a valid,
/// live record of `id` kept outside the directory.
struct Planted {
    tmp: TempDir,
    backend: FileBackend,
    id: SessionId,
    outside: PathBuf,
    bytes: Vec<u8>,
}

impl Planted {
    fn new(times: sessions::store::Times) -> Self {
        let tmp = TempDir::new();
        let backend = FileBackend::open(tmp.store()).unwrap();
        let id = SessionId::generate();
        let outside = tmp.path().join("outside");
        let bytes = Record::new(b"outside secret".to_vec(), times).encode(&id);
        fs::write(&outside, &bytes).unwrap();
        symlink(&outside, tmp.store().join(id.to_string())).unwrap();
        Self {
            tmp,
            backend,
            id,
            outside,
            bytes,
        }
    }

    fn assert_untouched(&self, what: &str) {
        assert_eq!(fs::read(&self.outside).unwrap(), self.bytes, "{what}");
        let link = fs::symlink_metadata(self.tmp.store().join(self.id.to_string())).unwrap();
        assert!(link.file_type().is_symlink(), "{what}: the link stays");
    }
}

#[tokio::test]
async fn a_symlink_at_a_record_path_is_neither_read_nor_written_through() {
    let planted = Planted::new(live());
    let (backend, id, now) = (&planted.backend, &planted.id, UnixTime::now());
    assert_invalid_record("load", &backend.load(id, now, MAX).await);
    let record = Record::new(b"attacker".to_vec(), live());
    assert_invalid_record("update", &backend.update(id, 1, &record, now).await);
    assert_invalid_record("create", &backend.create(id, &record, now).await);
    planted.assert_untouched("after load, update and create");
}

#[tokio::test]
async fn cleanup_leaves_a_symlinked_record_and_its_target_alone() {
    let planted = Planted::new(expired());
    let removed = planted.backend.cleanup_expired(UnixTime::now()).await;
    assert_eq!(removed.unwrap(), 0);
    planted.assert_untouched("after cleanup");
}

#[test]
fn the_temp_sweep_follows_no_link_and_opens_no_fifo() {
    let tmp = TempDir::new();
    let store = tmp.store();
    drop(FileBackend::open(&store).unwrap());
    let outside = tmp.path().join("outside");
    fs::write(&outside, b"not a temp file").unwrap();
    let (link, fifo) = (store.join(".1-0-00.tmp"), store.join(".1-1-00.tmp"));
    symlink(&outside, &link).unwrap();
    mkfifo(&fifo);

    let backend = fast_blocking("open", &fifo, {
        let store = store.clone();
        move || FileBackend::open(store).unwrap()
    });
    let cleanup = fast_blocking("cleanup", &fifo, move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(backend.cleanup_expired(UnixTime::now()))
    });
    assert_eq!(cleanup.unwrap(), 0);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(fs::read(&outside).unwrap(), b"not a temp file");
}
