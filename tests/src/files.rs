//! What the `FileStore` tests share: times for records, the names in a
//! session directory, and a session saved or loaded through the registry.

use std::fs;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use sessions::store::{OwnerId, SessionId, Times, UnixTime};
use sessions::{FileStore, MapSession, SessionConfig, Sessions};

/// The session the helpers save and load.
pub const CONFIG: SessionConfig = SessionConfig::new("sid");

/// The permission bits of `path`.
///
/// # Panics
///
/// When `path` does not exist.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// assert_eq!(sessions_tests::files::mode(dir.path()) & 0o700, 0o700);
/// ```
#[must_use]
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Makes a FIFO at `path` with the system's `mkfifo`.
///
/// # Panics
///
/// When no FIFO could be made: a test that plants one must not pass
/// without it.
///
/// ```
/// use std::os::unix::fs::FileTypeExt;
/// let dir = sessions_tests::TempDir::new();
/// let fifo = dir.path().join("fifo");
/// sessions_tests::files::mkfifo(&fifo);
/// assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
/// ```
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {} failed", path.display());
    let kind = fs::symlink_metadata(path).unwrap().file_type();
    assert!(kind.is_fifo(), "{} is a FIFO", path.display());
}

/// Releases a thread blocked opening or reading the FIFO at `path`: opens
/// it for reading and writing (which never blocks on Linux, and makes the
/// blocked reader's open return) and closes it (so the reader sees the end
/// of the file). A test calls it before it fails, so that the stuck thread
/// does not keep the test's runtime from shutting down.
///
/// # Panics
///
/// When the FIFO cannot be opened.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// let fifo = dir.path().join("fifo");
/// sessions_tests::files::mkfifo(&fifo);
/// sessions_tests::files::unjam(&fifo); // with no reader waiting, a no-op
/// assert!(fifo.exists());
/// ```
pub fn unjam(path: &Path) {
    drop(
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap(),
    );
}

/// Times of a record that lives for the next hour.
///
/// ```
/// use sessions::store::UnixTime;
/// assert!(sessions_tests::files::live().expires_at > UnixTime::now());
/// ```
#[must_use]
pub fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_hours(1))
}

/// Times of a record that expired in 1970.
///
/// ```
/// use sessions::store::UnixTime;
/// assert!(sessions_tests::files::expired().expires_at < UnixTime::now());
/// ```
#[must_use]
pub fn expired() -> Times {
    Times::fresh(UnixTime::from_secs(1_000_000), Duration::from_mins(1))
}

/// The names in `dir` that `keep` accepts, sorted.
///
/// # Panics
///
/// When `dir` cannot be listed.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// std::fs::write(dir.path().join("b"), b"").unwrap();
/// std::fs::write(dir.path().join("a"), b"").unwrap();
/// assert_eq!(sessions_tests::files::names(dir.path(), |_| true), ["a", "b"]);
/// ```
#[must_use]
pub fn names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| keep(name))
        .collect();
    names.sort();
    names
}

/// The record files in `dir`: the names that are session ids.
///
/// ```
/// use sessions::store::SessionId;
/// let dir = sessions_tests::TempDir::new();
/// let id = SessionId::generate().to_string();
/// std::fs::write(dir.path().join(&id), b"").unwrap();
/// std::fs::write(dir.path().join("notes"), b"").unwrap();
/// assert_eq!(sessions_tests::files::record_names(dir.path()), [id]);
/// ```
#[must_use]
pub fn record_names(dir: &Path) -> Vec<String> {
    names(dir, |name| name.parse::<SessionId>().is_ok())
}

/// The temp files of writers in `dir`: `.NAME.tmp`.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// std::fs::write(dir.path().join(".1-2-3.tmp"), b"").unwrap();
/// std::fs::write(dir.path().join("notes.tmp"), b"").unwrap();
/// assert_eq!(sessions_tests::files::temp_names(dir.path()), [".1-2-3.tmp"]);
/// ```
#[must_use]
pub fn temp_names(dir: &Path) -> Vec<String> {
    names(dir, |name| {
        name.starts_with('.') && Path::new(name).extension().is_some_and(|ext| ext == "tmp")
    })
}

/// Sets the modification time of `path` an hour back.
///
/// # Panics
///
/// When `path` cannot be opened for writing.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let dir = sessions_tests::TempDir::new();
/// let file = dir.path().join("old");
/// std::fs::write(&file, b"").unwrap();
/// sessions_tests::files::backdate(&file);
/// let age = std::fs::metadata(&file).unwrap().modified().unwrap().elapsed().unwrap();
/// assert!(age >= Duration::from_mins(59));
/// ```
pub fn backdate(path: &Path) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_hours(1))
        .unwrap();
}

/// Saves a new [`CONFIG`] session through the whole stack and returns its
/// cookie value.
///
/// # Panics
///
/// When the session does not save.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let dir = sessions_tests::TempDir::new();
/// let store = sessions::FileStore::open(dir.store(), sessions::Key::generate()).unwrap();
/// let cookie = sessions_tests::files::saved_cookie(&store).await;
/// assert!(!sessions_tests::files::is_fresh(&store, &cookie).await.unwrap());
/// # });
/// ```
pub async fn saved_cookie(store: &FileStore) -> String {
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

/// Whether a request carrying `cookie` gets a fresh [`CONFIG`] session;
/// the error of a request that fails closed.
///
/// # Panics
///
/// When `cookie` is not a valid header value.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let dir = sessions_tests::TempDir::new();
/// let store = sessions::FileStore::open(dir.store(), sessions::Key::generate()).unwrap();
/// assert!(sessions_tests::files::is_fresh(&store, "forged").await.unwrap());
/// # });
/// ```
pub async fn is_fresh(store: &FileStore, cookie: &str) -> sessions::Result<bool> {
    let sessions = Sessions::new(store.clone());
    let mut req = http::Request::new(());
    let value = format!("sid={cookie}").parse().unwrap();
    req.headers_mut().insert(http::header::COOKIE, value);
    sessions.attach(&mut req);
    Ok(MapSession::load(&req, CONFIG).await?.is_new())
}

/// The owner directories of the store at `store`: the names in its
/// `.owners` index, sorted.
///
/// # Panics
///
/// When the index cannot be listed.
///
/// ```
/// let dir = sessions_tests::TempDir::new();
/// sessions::store::FileBackend::open(dir.store()).unwrap();
/// assert!(sessions_tests::files::owner_dirs(&dir.store()).is_empty());
/// ```
#[must_use]
pub fn owner_dirs(store: &Path) -> Vec<String> {
    names(&store.join(".owners"), |_| true)
}

/// The entries of `owner` in the index of the store at `store`, sorted;
/// none when the owner has no directory.
///
/// # Panics
///
/// When the owner's directory exists and cannot be listed.
///
/// ```
/// use sessions::store::OwnerId;
/// let dir = sessions_tests::TempDir::new();
/// sessions::store::FileBackend::open(dir.store()).unwrap();
/// let ada = OwnerId::new("sid", "ada");
/// assert!(sessions_tests::files::owner_entries(&dir.store(), &ada).is_empty());
/// ```
#[must_use]
pub fn owner_entries(store: &Path, owner: &OwnerId) -> Vec<String> {
    let dir = store.join(".owners").join(owner.to_hex());
    if fs::symlink_metadata(&dir).is_err() {
        return Vec::new();
    }
    names(&dir, |_| true)
}
