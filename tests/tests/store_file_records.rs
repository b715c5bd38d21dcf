//! What is in `FileStore`'s record files and how loads treat them: the
//! one record format of every store, files that are damaged, copied or
//! moved under another id, and files over the store's size limit. None
//! ever loads as a session; each fails the request closed and is left in
//! place for an operator.

use std::fs;
use std::path::PathBuf;

use sessions::store::{Backend, FileBackend, OwnerId, Record, SessionId, Store, Times, UnixTime};
use sessions::{Error, FileStore, Key, MapSession, Sessions};
use sessions_tests::TempDir;
use sessions_tests::files::{CONFIG, is_fresh, live, names, record_names, saved_cookie};

/// Bytes before the payload in a record file.
const HEADER_LEN: usize = 112;

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
    let owner = OwnerId::new("sid", "ada");
    let record = Record::new(b"payload".to_vec(), times)
        .with_version(0x0a0b)
        .with_owner(Some(owner));
    assert!(backend.create(&id, &record, UnixTime::now()).await.unwrap());
    let bytes = fs::read(tmp.store().join(id.to_string())).unwrap();
    assert_eq!(bytes, record.encode(&id));
    assert_eq!(&bytes[..8], b"SESS\x04\0\0\0");
    assert_eq!(bytes[40..48], 0x0a0b_u64.to_be_bytes());
    assert_eq!(bytes[48..80], *owner.as_bytes());
    assert_eq!(bytes[80..88], 0x0102_0304_u64.to_be_bytes());
    assert_eq!(bytes[104..HEADER_LEN], 7_u64.to_be_bytes());
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
        ("the format before versions", with(4, &[2])),
        ("the format before owners", with(4, &[3])),
        ("future version", with(4, &[5])),
        ("reserved bytes", with(5, &[1])),
        ("another id's digest", with(8, &[!good[8]])),
        ("huge length", with(104, &u64::MAX.to_be_bytes())),
        ("length one more", with(104, &(declared + 1).to_be_bytes())),
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
        let updated = store
            .backend()
            .update(&id, 1, &record, UnixTime::now())
            .await;
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
        .update(&bob_id, 1, &record, UnixTime::now())
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
