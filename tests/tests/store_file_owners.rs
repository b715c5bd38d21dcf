//! `FileStore`'s owner index on real files: `owned` lists exactly the live
//! records of an owner through creates, updates, owner changes, deletes,
//! expiry and cleanup; what is left on disk is exactly what should be; and
//! stale, foreign or planted things in `.owners` are never believed, never
//! followed and never used to create anything outside the store. Several
//! processes at once are in `store_file_owners_processes.rs`.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;
use std::sync::Arc;
use std::time::Duration;

use sessions::store::{
    Backend, FileBackend, OwnerId, Record, SessionId, Times, UnixTime, UnsafeDir, Update,
};
use sessions::{Error, Result};
use sessions_tests::TempDir;
use sessions_tests::files::{
    expired, live, mkfifo, mode, names, owner_dirs, owner_entries, record_names,
};

/// The size limit loads run with.
const MAX: usize = 64 * 1024;

fn ada() -> OwnerId {
    OwnerId::new("sid", "ada")
}

fn bob() -> OwnerId {
    OwnerId::new("sid", "bob")
}

fn owned_by(owner: OwnerId, times: Times) -> Record {
    Record::new(vec![1, 2, 3], times).with_owner(Some(owner))
}

/// Creates a live session of `owner` (or of nobody) and returns its id.
async fn create(backend: &FileBackend, owner: Option<OwnerId>) -> SessionId {
    let id = SessionId::generate();
    let record = Record::new(vec![7], live()).with_owner(owner);
    assert!(backend.create(&id, &record, UnixTime::now()).await.unwrap());
    id
}

/// Saves the session `id` again as its next version, owned by `owner`.
async fn set_owner(backend: &FileBackend, id: &SessionId, owner: Option<OwnerId>) {
    let now = UnixTime::now();
    let current = backend.load(id, now, MAX).await.unwrap().expect("live");
    let next = Record::new(vec![8], live())
        .with_version(current.version + 1)
        .with_owner(owner);
    let updated = backend.update(id, current.version, &next, now).await;
    assert_eq!(updated.unwrap(), Update::Written);
}

/// The ids `owned` returns for `owner` at `now`, checking that each record
/// is live and `owner`'s.
async fn owned_at(backend: &FileBackend, owner: OwnerId, now: UnixTime) -> BTreeSet<String> {
    let listed = backend.owned(&owner, now, MAX).await.unwrap();
    for (_, record) in &listed {
        assert_eq!(record.owner, Some(owner));
        assert!(!record.is_expired(now));
    }
    listed.iter().map(|(id, _)| id.to_string()).collect()
}

async fn owned(backend: &FileBackend, owner: OwnerId) -> BTreeSet<String> {
    owned_at(backend, owner, UnixTime::now()).await
}

fn set(ids: &[&SessionId]) -> BTreeSet<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn entries(backend: &FileBackend, owner: OwnerId) -> BTreeSet<String> {
    owner_entries(backend.dir(), &owner).into_iter().collect()
}

#[tokio::test]
async fn owned_follows_creates_updates_owner_changes_and_deletes() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let (a1, a2) = (
        create(&backend, Some(ada())).await,
        create(&backend, Some(ada())).await,
    );
    let b1 = create(&backend, Some(bob())).await;
    let nobody = create(&backend, None).await;
    assert_eq!(owned(&backend, ada()).await, set(&[&a1, &a2]));
    assert_eq!(owned(&backend, bob()).await, set(&[&b1]));
    assert_eq!(entries(&backend, ada()), set(&[&a1, &a2]), "one file each");

    set_owner(&backend, &a1, Some(ada())).await; // the owner is kept
    set_owner(&backend, &a2, Some(bob())).await; // it changes
    assert_eq!(owned(&backend, ada()).await, set(&[&a1]));
    assert_eq!(owned(&backend, bob()).await, set(&[&b1, &a2]));
    assert_eq!(entries(&backend, ada()), set(&[&a1]), "the old entry went");

    set_owner(&backend, &nobody, Some(ada())).await; // an owner is set
    set_owner(&backend, &a1, None).await; // and cleared
    assert_eq!(owned(&backend, ada()).await, set(&[&nobody]));
    assert_eq!(entries(&backend, ada()), set(&[&nobody]));

    assert!(backend.delete(&b1).await.unwrap());
    assert!(backend.delete(&nobody).await.unwrap());
    assert!(owned(&backend, ada()).await.is_empty());
    assert_eq!(owned(&backend, bob()).await, set(&[&a2]));
    assert_eq!(
        owner_dirs(backend.dir()),
        [bob().to_hex()],
        "ada's dir went"
    );
    assert_eq!(entries(&backend, bob()), set(&[&a2]));
}

#[tokio::test]
async fn loads_return_the_owner_the_record_was_saved_with() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let (owned_id, plain) = (
        create(&backend, Some(ada())).await,
        create(&backend, None).await,
    );
    let load = |id| backend.load(id, UnixTime::now(), MAX);
    assert_eq!(load(&owned_id).await.unwrap().unwrap().owner, Some(ada()));
    assert_eq!(load(&plain).await.unwrap().unwrap().owner, None);
}

#[tokio::test]
async fn the_index_is_laid_out_as_documented_with_private_modes() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let index = tmp.store().join(".owners");
    assert_eq!(mode(&index), 0o700);
    assert!(
        owner_dirs(&tmp.store()).is_empty(),
        "nothing until an owner"
    );
    let id = create(&backend, Some(ada())).await;
    let entry = index.join(ada().to_hex()).join(id.to_string());
    assert_eq!(mode(&index.join(ada().to_hex())), 0o700);
    assert_eq!(mode(&entry), 0o600);
    assert_eq!(fs::metadata(&entry).unwrap().len(), 0, "entries are empty");
    create(&backend, None).await;
    assert_eq!(
        owner_dirs(&tmp.store()),
        [ada().to_hex()],
        "unowned: no entry"
    );
}

#[tokio::test]
async fn expiry_hides_and_cleanup_removes_records_entries_and_owner_dirs() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let now = UnixTime::now();
    let soon = Times::fresh(now, Duration::from_mins(1));
    let later = UnixTime::from_secs(now.as_secs() + 120);
    let (short, long) = (SessionId::generate(), SessionId::generate());
    assert!(
        backend
            .create(&short, &owned_by(ada(), soon), now)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&long, &owned_by(ada(), live()), now)
            .await
            .unwrap()
    );
    let gone = SessionId::generate();
    assert!(
        backend
            .create(&gone, &owned_by(bob(), soon), now)
            .await
            .unwrap()
    );

    assert_eq!(owned_at(&backend, ada(), now).await, set(&[&short, &long]));
    assert_eq!(owned_at(&backend, ada(), later).await, set(&[&long]));
    assert_eq!(
        entries(&backend, ada()).len(),
        2,
        "listing removes nothing live"
    );

    assert_eq!(backend.cleanup_expired(later).await.unwrap(), 2);
    assert_eq!(record_names(&tmp.store()), [long.to_string()]);
    assert_eq!(entries(&backend, ada()), set(&[&long]));
    assert_eq!(owner_dirs(&tmp.store()), [ada().to_hex()], "bob's dir went");
    assert!(backend.delete(&long).await.unwrap());
    assert!(owner_dirs(&tmp.store()).is_empty(), "nothing left behind");
}

#[tokio::test]
async fn a_save_that_keeps_the_owner_brings_back_a_lost_entry() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = create(&backend, Some(ada())).await;
    fs::remove_dir_all(tmp.store().join(".owners").join(ada().to_hex())).unwrap();
    assert!(
        owned(&backend, ada()).await.is_empty(),
        "the index is the map"
    );
    set_owner(&backend, &id, Some(ada())).await;
    assert_eq!(owned(&backend, ada()).await, set(&[&id]));
}

#[tokio::test]
async fn stale_entries_are_never_returned_and_are_dropped() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let real = create(&backend, Some(ada())).await;
    let bobs = create(&backend, Some(bob())).await;
    let nobodys = create(&backend, None).await;
    let missing = SessionId::generate();
    // What a crash between two steps leaves, or a copy: entries in ada's
    // directory for records that are not hers.
    let dir = tmp.store().join(".owners").join(ada().to_hex());
    for id in [&bobs, &nobodys, &missing] {
        fs::write(dir.join(id.to_string()), b"").unwrap();
    }
    assert_eq!(owned(&backend, ada()).await, set(&[&real]));
    assert_eq!(
        entries(&backend, ada()),
        set(&[&real]),
        "dropped on the way"
    );
    assert_eq!(
        owned(&backend, bob()).await,
        set(&[&bobs]),
        "bob's untouched"
    );

    for id in [&bobs, &nobodys, &missing] {
        fs::write(dir.join(id.to_string()), b"").unwrap();
    }
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert_eq!(entries(&backend, ada()), set(&[&real]), "and by cleanup");
    assert_eq!(record_names(&tmp.store()).len(), 3, "records untouched");
}

#[tokio::test]
async fn planted_entries_are_never_followed_used_or_removed() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let real = create(&backend, Some(ada())).await;
    let dir = tmp.store().join(".owners").join(ada().to_hex());
    let outside = tmp.path().join("outside");
    fs::write(&outside, b"not the store's").unwrap();
    // Each named like a record of another owner, so that using it at all
    // would show.
    let (linked, nested, piped) = (
        create(&backend, Some(bob())).await,
        create(&backend, Some(bob())).await,
        create(&backend, Some(bob())).await,
    );
    symlink(&outside, dir.join(linked.to_string())).unwrap();
    fs::create_dir(dir.join(nested.to_string())).unwrap();
    mkfifo(&dir.join(piped.to_string()));
    fs::write(dir.join("notes"), b"a stranger's").unwrap();
    let planted = names(&dir, |_| true);

    assert_eq!(owned(&backend, ada()).await, set(&[&real]));
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert_eq!(names(&dir, |_| true), planted, "all left for an operator");
    assert_eq!(fs::read(&outside).unwrap(), b"not the store's");

    // A delete of the real one removes its entry only; the directory stays
    // for what is planted in it.
    assert!(backend.delete(&real).await.unwrap());
    assert!(owned(&backend, ada()).await.is_empty());
    assert_eq!(names(&dir, |_| true).len(), planted.len() - 1);
}

#[tokio::test]
async fn a_planted_entry_under_a_live_sessions_name_fails_its_save() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = create(&backend, None).await;
    let dir = tmp.store().join(".owners").join(ada().to_hex());
    fs::create_dir(&dir).unwrap();
    let outside = tmp.path().join("outside");
    symlink(&outside, dir.join(id.to_string())).unwrap();

    let next = owned_by(ada(), live()).with_version(2);
    let err = backend.update(&id, 1, &next, UnixTime::now()).await;
    assert_owner_index_refused(&tmp, err);
    assert!(!outside.exists(), "the dangling link was not followed");
    let record = backend.load(&id, UnixTime::now(), MAX).await.unwrap();
    assert_eq!(record.unwrap().owner, None, "nothing written: fails closed");
}

fn assert_owner_index_refused<T: std::fmt::Debug>(tmp: &TempDir, result: Result<T>) {
    match result {
        Err(Error::UnsafeStoreDir { path, problem }) => {
            assert_eq!(path, tmp.store().join(".owners"), "no owner named");
            assert_eq!(problem, UnsafeDir::OwnerIndex);
        }
        other => panic!("expected the owner index refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_symlinked_owner_directory_is_refused_and_nothing_made_through_it() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let dir = tmp.store().join(".owners").join(ada().to_hex());
    symlink(&elsewhere, &dir).unwrap();

    let id = SessionId::generate();
    let created = backend
        .create(&id, &owned_by(ada(), live()), UnixTime::now())
        .await;
    assert_owner_index_refused(&tmp, created);
    assert!(
        record_names(&tmp.store()).is_empty(),
        "no record without its entry"
    );
    assert_owner_index_refused(&tmp, backend.owned(&ada(), UnixTime::now(), MAX).await);
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert!(
        names(&elsewhere, |_| true).is_empty(),
        "nothing made through it"
    );
    assert!(
        fs::symlink_metadata(&dir).unwrap().is_symlink(),
        "left in place"
    );

    // The same for a file where the directory belongs.
    fs::remove_file(&dir).unwrap();
    fs::write(&dir, b"").unwrap();
    assert_owner_index_refused(&tmp, backend.owned(&ada(), UnixTime::now(), MAX).await);
}

#[tokio::test]
async fn a_symlinked_index_directory_is_refused_at_open() {
    let tmp = TempDir::new();
    drop(FileBackend::open(tmp.store()).unwrap());
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::remove_dir(tmp.store().join(".owners")).unwrap();
    symlink(&elsewhere, tmp.store().join(".owners")).unwrap();
    match FileBackend::open(tmp.store()) {
        Err(Error::UnsafeStoreDir { path, problem }) => {
            assert_eq!(path, tmp.store().join(".owners"));
            assert_eq!(problem, UnsafeDir::Symlink);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn owned_fails_closed_on_a_record_it_cannot_read() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = create(&backend, Some(ada())).await;
    let big = Record::new(vec![0; 2048], live()).with_owner(Some(ada()));
    let next = big.with_version(2);
    assert_eq!(
        backend
            .update(&id, 1, &next, UnixTime::now())
            .await
            .unwrap(),
        Update::Written
    );
    let too_large = backend.owned(&ada(), UnixTime::now(), 1024).await;
    assert!(matches!(
        too_large,
        Err(Error::RecordTooLarge {
            len: 2048,
            max: 1024
        })
    ));

    fs::write(tmp.store().join(id.to_string()), b"junk").unwrap();
    let junk = backend.owned(&ada(), UnixTime::now(), MAX).await;
    assert!(matches!(junk, Err(Error::Decode(_))), "{junk:?}");
    assert_eq!(backend.cleanup_expired(UnixTime::now()).await.unwrap(), 0);
    assert_eq!(
        entries(&backend, ada()),
        set(&[&id]),
        "left with its record"
    );
}

#[tokio::test]
async fn an_expired_record_makes_way_for_a_new_owner() {
    let tmp = TempDir::new();
    let backend = FileBackend::open(tmp.store()).unwrap();
    let id = SessionId::generate();
    let now = UnixTime::now();
    assert!(
        backend
            .create(&id, &owned_by(ada(), expired()), now)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&id, &owned_by(bob(), live()), now)
            .await
            .unwrap()
    );
    assert!(owned(&backend, ada()).await.is_empty());
    assert_eq!(owned(&backend, bob()).await, set(&[&id]));
    assert!(
        entries(&backend, ada()).is_empty(),
        "the expired owner's went"
    );
}

/// Many tasks at once save, move and delete sessions of the same owners,
/// while others make and empty one owner's directory over and over: the
/// index ends exact, with nothing stale and no empty directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_keep_the_index_exact() {
    const TASKS: usize = 24;
    const CHURN: usize = 20;
    let tmp = TempDir::new();
    let backend = Arc::new(FileBackend::open(tmp.store()).unwrap());
    let carol = OwnerId::new("sid", "carol");
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..TASKS {
        let backend = Arc::clone(&backend);
        tasks.spawn(async move {
            let id = create(&backend, Some(ada())).await;
            for _ in 0..3 {
                set_owner(&backend, &id, Some(ada())).await;
            }
            match n % 4 {
                0 => {}
                1 => set_owner(&backend, &id, Some(bob())).await,
                2 => set_owner(&backend, &id, None).await,
                _ => assert!(backend.delete(&id).await.unwrap()),
            }
            // Each task's last churned session goes, so carol ends with none.
            for _ in 0..CHURN {
                let churned = create(&backend, Some(carol)).await;
                assert!(backend.delete(&churned).await.unwrap());
            }
            (n % 4, id)
        });
    }
    let (mut ada_ids, mut bob_ids) = (BTreeSet::new(), BTreeSet::new());
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (0, id) => ada_ids.insert(id.to_string()),
            (1, id) => bob_ids.insert(id.to_string()),
            _ => false,
        };
    }
    assert_eq!(ada_ids.len(), TASKS / 4);
    assert_eq!(owned(&backend, ada()).await, ada_ids);
    assert_eq!(owned(&backend, bob()).await, bob_ids);
    assert!(owned(&backend, carol).await.is_empty());
    assert_eq!(entries(&backend, ada()), ada_ids, "nothing stale");
    assert_eq!(entries(&backend, bob()), bob_ids);
    let mut dirs = vec![ada().to_hex(), bob().to_hex()];
    dirs.sort();
    assert_eq!(owner_dirs(&tmp.store()), dirs, "carol's went with her last");
}
