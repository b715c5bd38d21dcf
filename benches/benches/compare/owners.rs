//! Issue 13: one owner's 100 sessions, listed (`owner_sessions`, which
//! decodes each) and revoked (`revoke_others`), on `MemoryStore` and
//! `FileStore`, each against one load + save of one session in the same
//! run. `RedisStore`'s figures are in `stores.rs`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion};
use serde::{Deserialize, Serialize};
use sessions::store::{Backend, ServerStore};
use sessions::{FileStore, Key, MemoryStore, Session, Sessions};
use sessions_benches::run::slow_group_settings;
use tokio::runtime::Runtime;

/// How many sessions the owner has.
const SESSIONS: usize = 100;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "account")]
struct Account {
    #[session(owner)]
    user: Option<u64>,
    agent: String,
    visits: u32,
}

/// A request carrying `cookie`, with the registry attached.
fn request(sessions: &Sessions, cookie: Option<&str>) -> http::Request<()> {
    let mut builder = http::Request::builder();
    if let Some(cookie) = cookie {
        builder = builder.header(http::header::COOKIE, format!("account={cookie}"));
    }
    let mut req = builder.body(()).expect("a cookie header");
    sessions.attach(&mut req);
    req
}

/// Runs `act` on the `account` session of a request; the cookie it set.
async fn visit(
    sessions: &Sessions,
    cookie: Option<&str>,
    act: impl AsyncFnOnce(&AccountSession),
) -> Option<String> {
    let req = request(sessions, cookie);
    let account = AccountSession::load(&req).await.expect("loads");
    act(&account).await;
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.expect("saves");
    let line = res.headers().get(http::header::SET_COOKIE)?;
    let pair = line.to_str().ok()?.split(';').next()?;
    Some(pair.strip_prefix("account=")?.to_owned())
}

/// Logs `user` in `count` times; the cookie of the last login.
async fn log_in(sessions: &Sessions, user: u64, count: usize) -> String {
    let mut last = None;
    for i in 0..count {
        last = visit(sessions, None, async |a| {
            a.set_user(Some(user));
            a.set_agent(format!("browser {i}"));
        })
        .await;
    }
    last.expect("a login sets a cookie")
}

pub(crate) fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let memory = MemoryStore::new(Key::generate());
    owners(c, &rt, "memory", memory);
    let dir = std::env::temp_dir().join(format!("sessions-bench-owners-{}", std::process::id()));
    let files = FileStore::open(&dir, Key::generate()).expect("the store opens");
    owners(c, &rt, "files", files);
    std::fs::remove_dir_all(&dir).ok();
}

fn owners<B: Backend>(c: &mut Criterion, rt: &Runtime, kind: &str, store: ServerStore<B>) {
    let sessions = Sessions::new(Arc::new(store));
    let mut group = c.benchmark_group(format!("owners-{kind}"));
    slow_group_settings(&mut group);
    let mut users = 1_u64..;
    let listed = users.next().expect("endless");
    let cookie = rt.block_on(log_in(&sessions, listed, SESSIONS));
    group.bench_function("load+save/one", |b| {
        b.iter(|| {
            rt.block_on(visit(&sessions, Some(&cookie), async |a| {
                a.update(|d| d.visits += 1);
            }))
        });
    });
    group.bench_function("list-100", |b| {
        b.iter(|| {
            rt.block_on(visit(&sessions, Some(&cookie), async |a| {
                let listed = a.owner_sessions().await.expect("lists");
                assert_eq!(listed.len(), SESSIONS);
                black_box(listed);
            }))
        });
    });
    group.bench_function("revoke-others-99", |b| {
        b.iter_batched(
            || {
                let user = users.next().expect("endless");
                rt.block_on(log_in(&sessions, user, SESSIONS))
            },
            |cookie| {
                rt.block_on(visit(&sessions, Some(&cookie), async |a| {
                    let ended = a.revoke_others().await.expect("revokes");
                    assert_eq!(ended, SESSIONS - 1);
                }))
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}
