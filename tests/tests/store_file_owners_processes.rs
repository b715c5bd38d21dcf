//! `FileStore`'s owner index under several real processes: this test
//! binary, re-executed as workers, saving, moving and deleting sessions of
//! the same owners in one directory at once, or killed in the middle. The
//! index ends exact, and a killed writer never leaves a live owned record
//! that `owned` does not list.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sessions::store::{Backend, FileBackend, OwnerId, Record, SessionId, UnixTime, Update};
use sessions_tests::TempDir;
use sessions_tests::files::{live, owner_dirs, owner_entries, record_names};
use sessions_tests::workers::{Workers, wait_for, wait_success};

/// The size limit loads run with.
const MAX: usize = 64 * 1024;

/// Selects the worker role; unset in a normal run.
const WORKER: &str = "SESSIONS_OWNERS_TEST_WORKER";
const WORKER_DIR: &str = "SESSIONS_OWNERS_TEST_DIR";
const WORKER_TAG: &str = "SESSIONS_OWNERS_TEST_TAG";
/// Workers wait for this file before they write, so they start together.
const GO: &str = "go";
const PROCESSES: usize = 3;
/// Sessions each writer creates for ada.
const SESSIONS: usize = 12;
/// Sessions each writer makes and deletes for carol, so that her directory
/// is made and removed under the others' feet.
const CHURN: usize = 30;

fn ada() -> OwnerId {
    OwnerId::new("sid", "ada")
}

fn bob() -> OwnerId {
    OwnerId::new("sid", "bob")
}

fn carol() -> OwnerId {
    OwnerId::new("sid", "carol")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn spawn_worker(role: &str, tmp: &TempDir, tag: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["worker", "--exact", "--nocapture", "--test-threads=1"])
        .env(WORKER, role)
        .env(WORKER_DIR, tmp.path())
        .env(WORKER_TAG, tag)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary re-executes")
}

/// The entry point of worker processes; passes at once in a normal run.
#[test]
fn worker() {
    let Ok(role) = std::env::var(WORKER) else {
        return;
    };
    let tmp = PathBuf::from(std::env::var(WORKER_DIR).unwrap());
    let tag = std::env::var(WORKER_TAG).unwrap();
    let backend = FileBackend::open(tmp.join("store")).unwrap();
    assert!(wait_for("go", Duration::from_secs(30), || tmp
        .join(GO)
        .exists()));
    runtime().block_on(async {
        match role.as_str() {
            "writer" => write_worker(&backend, &tmp, &tag).await,
            "looper" => loop_worker(&backend).await,
            _ => panic!("unknown worker role {role}"),
        }
    });
}

async fn create(backend: &FileBackend, owner: OwnerId) -> SessionId {
    let id = SessionId::generate();
    let record = Record::new(vec![1], live()).with_owner(Some(owner));
    assert!(backend.create(&id, &record, UnixTime::now()).await.unwrap());
    id
}

/// Saves `id` (which only this process writes) again, owned by `owner`.
async fn set_owner(backend: &FileBackend, id: &SessionId, owner: Option<OwnerId>) {
    let now = UnixTime::now();
    let current = backend.load(id, now, MAX).await.unwrap().expect("live");
    let next = Record::new(vec![2], live())
        .with_version(current.version + 1)
        .with_owner(owner);
    let updated = backend.update(id, current.version, &next, now).await;
    assert_eq!(updated.unwrap(), Update::Written);
}

/// Creates ada's sessions, then keeps a third, moves a third to bob and
/// deletes a third, churning carol's directory in between; writes the
/// kept and moved ids to `<tag>.ada` and `<tag>.bob`.
async fn write_worker(backend: &FileBackend, tmp: &Path, tag: &str) {
    let mut ids = Vec::new();
    for _ in 0..SESSIONS {
        ids.push(create(backend, ada()).await);
        let churned = create(backend, carol()).await;
        assert!(backend.delete(&churned).await.unwrap());
    }
    let (mut kept, mut moved) = (Vec::new(), Vec::new());
    for (n, id) in ids.iter().enumerate() {
        set_owner(backend, id, Some(ada())).await;
        match n % 3 {
            0 => kept.push(id.to_string()),
            1 => {
                set_owner(backend, id, Some(bob())).await;
                moved.push(id.to_string());
            }
            _ => assert!(backend.delete(id).await.unwrap()),
        }
    }
    for _ in 0..CHURN {
        let churned = create(backend, carol()).await;
        assert!(backend.delete(&churned).await.unwrap());
    }
    fs::write(tmp.join(format!("{tag}.ada")), kept.join("\n")).unwrap();
    fs::write(tmp.join(format!("{tag}.bob")), moved.join("\n")).unwrap();
}

/// Creates, moves and deletes sessions of ada and bob until killed.
async fn loop_worker(backend: &FileBackend) {
    loop {
        let id = create(backend, ada()).await;
        set_owner(backend, &id, Some(bob())).await;
        set_owner(backend, &id, Some(ada())).await;
        set_owner(backend, &id, None).await;
        set_owner(backend, &id, Some(bob())).await;
        let doomed = create(backend, ada()).await;
        assert!(backend.delete(&doomed).await.unwrap());
    }
}

fn read_ids(path: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(path).unwrap();
    text.lines().map(str::to_owned).collect()
}

fn owned(rt: &tokio::runtime::Runtime, backend: &FileBackend, owner: OwnerId) -> BTreeSet<String> {
    let listed = rt.block_on(backend.owned(&owner, UnixTime::now(), MAX));
    listed
        .unwrap()
        .iter()
        .map(|(id, _)| id.to_string())
        .collect()
}

/// The ids of the live records in the store whose owner is `owner`, read
/// from the records themselves.
fn records_of(
    rt: &tokio::runtime::Runtime,
    backend: &FileBackend,
    owner: OwnerId,
) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for name in record_names(backend.dir()) {
        let id: SessionId = name.parse().unwrap();
        let record = rt.block_on(backend.load(&id, UnixTime::now(), MAX));
        if record
            .unwrap()
            .is_some_and(|record| record.owner == Some(owner))
        {
            ids.insert(name);
        }
    }
    ids
}

fn entries(backend: &FileBackend, owner: OwnerId) -> BTreeSet<String> {
    owner_entries(backend.dir(), &owner).into_iter().collect()
}

#[test]
fn processes_saving_one_owner_at_once_keep_the_index_exact() {
    let (tmp, rt) = (TempDir::new(), runtime());
    let backend = FileBackend::open(tmp.store()).unwrap();
    let mut workers = Workers(
        (0..PROCESSES)
            .map(|n| spawn_worker("writer", &tmp, &format!("w{n}")))
            .collect(),
    );
    fs::write(tmp.path().join(GO), b"").unwrap();
    workers.0.iter_mut().for_each(wait_success);

    let (mut ada_ids, mut bob_ids) = (BTreeSet::new(), BTreeSet::new());
    for n in 0..PROCESSES {
        ada_ids.extend(read_ids(&tmp.path().join(format!("w{n}.ada"))));
        bob_ids.extend(read_ids(&tmp.path().join(format!("w{n}.bob"))));
    }
    assert_eq!(ada_ids.len(), PROCESSES * SESSIONS / 3);
    assert_eq!(owned(&rt, &backend, ada()), ada_ids);
    assert_eq!(owned(&rt, &backend, bob()), bob_ids);
    assert!(owned(&rt, &backend, carol()).is_empty());
    assert_eq!(entries(&backend, ada()), ada_ids, "nothing stale");
    assert_eq!(entries(&backend, bob()), bob_ids);
    let mut dirs = vec![ada().to_hex(), bob().to_hex()];
    dirs.sort();
    assert_eq!(owner_dirs(backend.dir()), dirs, "carol's went");
}

#[test]
fn killed_writers_never_hide_a_live_owned_record() {
    const ROUNDS: usize = 5;
    let (tmp, rt) = (TempDir::new(), runtime());
    let backend = FileBackend::open(tmp.store()).unwrap();
    fs::write(tmp.path().join(GO), b"").unwrap();
    for round in 0..ROUNDS {
        let before = record_names(backend.dir()).len();
        let mut workers = Workers(
            (0..PROCESSES)
                .map(|n| spawn_worker("looper", &tmp, &format!("k{round}-{n}")))
                .collect(),
        );
        let started = wait_for("the loopers to write", Duration::from_secs(20), || {
            record_names(backend.dir()).len() >= before + 3 * PROCESSES
        });
        assert!(started, "round {round}: the loopers never got going");
        for (n, child) in workers.0.iter_mut().enumerate() {
            std::thread::sleep(Duration::from_millis(3 * n as u64 + 1));
            child.kill().unwrap();
            child.wait().unwrap();
        }
        // Whatever step each kill interrupted, every live owned record is
        // listed; stale entries may remain, and are never listed.
        for owner in [ada(), bob()] {
            let records = records_of(&rt, &backend, owner);
            assert_eq!(owned(&rt, &backend, owner), records, "round {round}");
            assert!(entries(&backend, owner).is_superset(&records));
        }
    }
    // A cleanup leaves exactly the entries of the records.
    rt.block_on(backend.cleanup_expired(UnixTime::now()))
        .unwrap();
    for owner in [ada(), bob()] {
        assert_eq!(entries(&backend, owner), records_of(&rt, &backend, owner));
    }
}
