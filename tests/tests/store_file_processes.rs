//! `FileStore` under several real processes: this test binary, re-executed
//! as workers, writing one directory at once or killed in the middle of a
//! write. Locks hold across processes, creates have one winner, updates
//! are compare-and-set (none lost, none applied twice), deletes stick, and
//! a killed writer leaves only whole records.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sessions::store::{Backend, FileBackend, Record, SessionId, UnixTime, Update};
use sessions_tests::TempDir;
use sessions_tests::files::{backdate, live, record_names, temp_names};
use sessions_tests::workers::{Workers, wait_for, wait_success};

/// The size limit the workers and the checks load with: above every
/// payload written here.
const MAX: usize = 64 * 1024;

// The workers are this test binary, re-executed with
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

/// Writes `record` over whatever version of `id` is live, as the next one,
/// again while other processes write in between; `false` when there is
/// no live record.
async fn write_over(backend: &FileBackend, id: &SessionId, record: &Record) -> bool {
    loop {
        let now = UnixTime::now();
        let Some(current) = backend.load(id, now, MAX).await.unwrap() else {
            return false;
        };
        let next = record.clone().with_version(current.version + 1);
        match backend
            .update(id, current.version, &next, now)
            .await
            .unwrap()
        {
            Update::Written => return true,
            Update::Stale => {}
            Update::Missing => return false,
        }
    }
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
        // Nobody else writes `own`: its versions are known.
        let next = record(seq).with_version(u64::from(seq) + 1);
        let updated = backend.update(own, u64::from(seq), &next, UnixTime::now());
        assert_eq!(updated.await.unwrap(), Update::Written);
        assert!(write_over(backend, shared, &record(seq)).await);
        write_over(backend, doomed, &record(seq)).await;
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
        assert!(write_over(backend, own, &record(seq)).await);
        assert!(write_over(backend, shared, &record(seq)).await);
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
    let version = |id| {
        let record = rt.block_on(backend.load(id, UnixTime::now(), MAX));
        record.unwrap().expect("live").version
    };
    for (n, id) in own.iter().enumerate() {
        assert_eq!(seq_of(&rt, &backend, id), Some((format!("w{n}"), WRITES)));
        assert_eq!(version(id), u64::from(WRITES) + 1);
    }
    let (tag, seq) = seq_of(&rt, &backend, &shared).unwrap();
    assert!(
        tag.starts_with('w') && seq == WRITES,
        "the last write wins: {tag}:{seq}"
    );
    let writes = u64::try_from(PROCESSES).unwrap() * u64::from(WRITES);
    assert_eq!(
        version(&shared),
        1 + writes,
        "every write of every process landed once: compare-and-set across processes"
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
        let updated = rt.block_on(write_over(&backend, id, &record));
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
