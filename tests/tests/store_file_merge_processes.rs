//! Two tabs, one session, four processes: this test binary, re-executed as
//! workers on one `FileStore` directory, runs overlapping requests of one
//! session. Twenty requests that each change their own field keep all
//! twenty changes, twenty flash pushes all survive, and ten flashes taken
//! by twelve requests at once are each shown once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sessions::{FileStore, Key, Session, Sessions};
use sessions_tests::TempDir;

const PROCESSES: usize = 4;
/// Requests per process that change a field, push a flash, or take.
const PER_PROCESS: usize = 5;
const TAKERS_PER_PROCESS: usize = 3;
/// Flashes the parent pushes before the takers start.
const FLASHES: u32 = 10;

const WORKER: &str = "SESSIONS_MERGE_TEST_WORKER";
const WORKER_DIR: &str = "SESSIONS_MERGE_TEST_DIR";
const WORKER_KEY: &str = "SESSIONS_MERGE_TEST_KEY";
const WORKER_COOKIE: &str = "SESSIONS_MERGE_TEST_COOKIE";
const WORKER_INDEX: &str = "SESSIONS_MERGE_TEST_INDEX";
/// Workers wait for this file before their requests, so they overlap.
const GO: &str = "go";

macro_rules! wide {
    ($($field:ident),*) => {
        /// Twenty fields, one per request, and a flash.
        #[derive(Session, Serialize, Deserialize, Default, Clone, Debug)]
        #[session(name = "wide", secure = false)]
        struct Wide {
            $($field: u32,)*
            #[session(flash)]
            notices: Vec<u32>,
        }

        impl Wide {
            fn field(&mut self, i: usize) -> &mut u32 {
                [$(&mut self.$field),*].into_iter().nth(i).expect("twenty fields")
            }
        }
    };
}

wide!(
    f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14, f15, f16, f17, f18,
    f19
);

fn store(dir: &Path, key: Key) -> Sessions {
    Sessions::new(FileStore::open(dir.join("store"), key).expect("the store opens"))
}

fn request(sessions: &Sessions, cookie: Option<&str>) -> http::Request<()> {
    let mut req = http::Request::new(());
    if let Some(cookie) = cookie {
        req.headers_mut()
            .insert(http::header::COOKIE, cookie.parse().unwrap());
    }
    sessions.attach(&mut req);
    req
}

async fn save(req: &http::Request<()>) -> Option<String> {
    let mut res = http::Response::new(());
    sessions::save(req, &mut res)
        .await
        .expect("every save succeeds");
    let line = res.headers().get(http::header::SET_COOKIE)?;
    Some(line.to_str().unwrap().split(';').next().unwrap().to_owned())
}

/// The worker's part: a role on the session behind `cookie`.
#[test]
fn worker() {
    let Ok(role) = std::env::var(WORKER) else {
        return;
    };
    let env = |name| std::env::var(name).unwrap();
    let dir = PathBuf::from(env(WORKER_DIR));
    let sessions = store(&dir, env(WORKER_KEY).parse().unwrap());
    let (cookie, index) = (
        env(WORKER_COOKIE),
        env(WORKER_INDEX).parse::<usize>().unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join(GO).exists() {
        assert!(Instant::now() < deadline, "no go within 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let taken = rt.block_on(run(role, &sessions, &cookie, index));
    let out = dir.join(format!("taken-{index}"));
    std::fs::write(out, joined(&taken)).unwrap();
}

/// `1,2,3`: what the takers of one process got.
fn joined(items: &[u32]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn run(role: String, sessions: &Sessions, cookie: &str, index: usize) -> Vec<u32> {
    let count = if role == "take" {
        TAKERS_PER_PROCESS
    } else {
        PER_PROCESS
    };
    let requests = (0..count).map(|j| {
        let (sessions, cookie, role) = (sessions.clone(), cookie.to_owned(), role.clone());
        tokio::spawn(async move {
            let req = request(&sessions, Some(&cookie));
            let session = WideSession::load(&req).await.expect("loads");
            assert!(!session.is_new(), "the session is live in every process");
            let n = index * PER_PROCESS + j;
            let taken = match role.as_str() {
                "change" => {
                    session.update(|w| *w.field(n) = u32::try_from(n).unwrap() + 1);
                    Vec::new()
                }
                "push" => {
                    session.push_notices(u32::try_from(n).unwrap());
                    Vec::new()
                }
                "take" => session.take_notices().await.expect("the take succeeds"),
                other => panic!("unknown role {other}"),
            };
            save(&req).await;
            taken
        })
    });
    let mut taken = Vec::new();
    for request in requests.collect::<Vec<_>>() {
        taken.extend(request.await.expect("a request panicked"));
    }
    taken
}

/// Runs `role` in four worker processes at once, and what they took.
fn in_processes(tmp: &TempDir, key: &Key, cookie: &str, role: &str) -> Vec<u32> {
    std::fs::remove_file(tmp.path().join(GO)).ok();
    let children: Vec<_> = (0..PROCESSES)
        .map(|index| {
            Command::new(std::env::current_exe().unwrap())
                .args(["worker", "--exact", "--nocapture", "--test-threads=1"])
                .env(WORKER, role)
                .env(WORKER_DIR, tmp.path())
                .env(WORKER_KEY, key.to_text())
                .env(WORKER_COOKIE, cookie)
                .env(WORKER_INDEX, index.to_string())
                .stdout(Stdio::null())
                .spawn()
                .expect("the test binary re-executes")
        })
        .collect();
    std::fs::write(tmp.path().join(GO), b"").unwrap();
    let mut taken = Vec::new();
    for (index, mut child) in children.into_iter().enumerate() {
        assert!(child.wait().unwrap().success(), "worker {index} failed");
        let text = std::fs::read_to_string(tmp.path().join(format!("taken-{index}"))).unwrap();
        taken.extend(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<u32>().unwrap()),
        );
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_on_one_session_lose_no_change_and_show_each_flash_once() {
    let tmp = TempDir::new();
    let key = Key::generate();
    let sessions = store(tmp.path(), key.clone());
    let req = request(&sessions, None);
    WideSession::load(&req).await.unwrap().update(|w| w.f00 = 0);
    let cookie = save(&req).await.expect("a new session sets its cookie");

    let run = |role| in_processes(&tmp, &key, &cookie, role);
    run("change");
    let req = request(&sessions, Some(&cookie));
    let mut data = WideSession::load(&req).await.unwrap().get();
    for n in 0..PROCESSES * PER_PROCESS {
        assert_eq!(
            *data.field(n),
            u32::try_from(n).unwrap() + 1,
            "field {n} kept"
        );
    }

    run("push");
    let req = request(&sessions, Some(&cookie));
    let mut pushed = WideSession::load(&req)
        .await
        .unwrap()
        .take_notices()
        .await
        .unwrap();
    save(&req).await;
    pushed.sort_unstable();
    let all: Vec<u32> = (0..PROCESSES * PER_PROCESS)
        .map(|n| u32::try_from(n).unwrap())
        .collect();
    assert_eq!(pushed, all, "every push from every process survived");

    let req = request(&sessions, Some(&cookie));
    let session = WideSession::load(&req).await.unwrap();
    for m in 0..FLASHES {
        session.push_notices(100 + m);
    }
    save(&req).await;
    let mut shown = run("take");
    shown.sort_unstable();
    let expected: Vec<u32> = (100..100 + FLASHES).collect();
    assert_eq!(
        shown, expected,
        "each flash shown once across four processes"
    );
}
