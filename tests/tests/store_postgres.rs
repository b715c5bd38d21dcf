//! `PostgresStore` on a real PostgreSQL (a fresh cluster in a temporary
//! directory, on a free loopback port): the whole conformance suite, the
//! migration, the table option, what the columns cannot hold as is (times
//! and versions past `i64::MAX`), malformed rows, and two app servers on
//! one database.
//!
//! The cases share one server, each in a table of its own, so that one
//! case's cleanup never counts another's rows.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sessions::store::{
    Backend, PostgresBackend, PostgresOptions, Record, ServerStore, SessionId, Times, UnixTime,
    Update,
};
use sessions::{Error, Key, PostgresStore, Sessions};
use sessions_tests::postgres_server::PostgresServer;
use sessions_tests::reaper::kill_and_remove_when_this_process_ends;
use sessions_tests::workload::{CounterSession, request, save};

/// The server every test of this binary uses, started by the first one.
fn server() -> &'static PostgresServer {
    static SERVER: OnceLock<PostgresServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = PostgresServer::start();
        kill_and_remove_when_this_process_ends(server.pid(), server.dir());
        server
    })
}

/// A table name no other test of this binary uses.
fn fresh_table() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("sessions_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A backend on the shared server, on a fresh, migrated table.
async fn backend() -> PostgresBackend {
    let options = PostgresOptions::new().table(fresh_table());
    let backend = PostgresBackend::connect(&server().url(), options)
        .await
        .expect("connect to the test server");
    backend.migrate().await.expect("create the table");
    backend
}

async fn store(key: Key) -> ServerStore<PostgresBackend> {
    ServerStore::from_backend(backend().await, key)
}

sessions_conformance::store_tests!(postgres, store);

fn live() -> Times {
    Times::fresh(UnixTime::now(), Duration::from_mins(1))
}

/// Runs `sql` on the backend's table (`{t}` stands for its name), as an
/// operator (or an attacker with write access) would; the rows it changed.
async fn execute(backend: &PostgresBackend, sql: &str, ids: &[&SessionId]) -> u64 {
    let sql = sql.replace("{t}", backend.options().table_name());
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = ids
        .iter()
        .map(|id| id as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let client = backend.pool().get().await.unwrap();
    client.execute(&sql, &params).await.unwrap()
}

#[tokio::test]
async fn the_store_connects_and_migration_is_idempotent() {
    let url = server().url();
    let store = PostgresStore::connect(&url, Key::generate()).await.unwrap();
    assert_eq!(store.backend().kind(), "postgres");
    for _ in 0..3 {
        store.backend().migrate().await.unwrap();
    }
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let record = Record::new(vec![1], live());
    assert!(store.backend().create(&id, &record, now).await.unwrap());
    store.backend().migrate().await.unwrap();
    let loaded = store.backend().load(&id, now, 10).await.unwrap();
    assert_eq!(loaded, Some(record), "a migration keeps the rows");
}

#[tokio::test]
async fn app_servers_starting_together_migrate_once() {
    let table = fresh_table();
    let mut starts = Vec::new();
    for _ in 0..8 {
        let options = PostgresOptions::new().table(table.clone());
        starts.push(tokio::spawn(async move {
            let backend = PostgresBackend::connect(&server().url(), options).await?;
            backend.migrate().await
        }));
    }
    for start in starts {
        start.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_table_named_by_a_reserved_word_works() {
    let options = PostgresOptions::new().table("user");
    let backend = PostgresBackend::connect(&server().url(), options)
        .await
        .unwrap();
    backend.migrate().await.unwrap();
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let record = Record::new(vec![1], live());
    assert!(backend.create(&id, &record, now).await.unwrap());
    assert_eq!(backend.load(&id, now, 10).await.unwrap(), Some(record));
}

#[tokio::test]
async fn a_bad_table_name_never_reaches_the_server() {
    let options = PostgresOptions::new().table("sessions; DROP TABLE x");
    let err = PostgresBackend::connect(&server().url(), options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidStoreOption {
                option: "table",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_table_is_a_backend_error() {
    let options = PostgresOptions::new().table(fresh_table());
    let backend = PostgresBackend::connect(&server().url(), options)
        .await
        .unwrap();
    let loaded = backend
        .load(&SessionId::generate(), UnixTime::now(), 10)
        .await;
    assert!(matches!(loaded, Err(Error::Backend(_))), "{loaded:?}");
}

#[tokio::test]
async fn times_past_i64_are_kept_and_stay_live() {
    let backend = backend().await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let times = Times::fresh(now, Duration::MAX);
    assert_eq!(times.expires_at.as_secs(), u64::MAX);
    let record = Record::new(vec![], times);
    assert!(backend.create(&id, &record, now).await.unwrap());
    let loaded = backend.load(&id, now, 10).await.unwrap();
    assert_eq!(loaded, Some(record), "the record keeps the exact time");
}

#[tokio::test]
async fn versions_past_i64_compare_as_themselves() {
    let backend = backend().await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let high = Record::new(vec![1], live()).with_version(u64::MAX - 1);
    assert!(backend.create(&id, &high, now).await.unwrap());
    let top = Record::new(vec![2], live()).with_version(u64::MAX);
    let stale = backend.update(&id, u64::MAX / 2, &top, now).await;
    assert_eq!(stale.unwrap(), Update::Stale);
    let written = backend.update(&id, u64::MAX - 1, &top, now).await;
    assert_eq!(written.unwrap(), Update::Written);
    assert_eq!(backend.load(&id, now, 10).await.unwrap(), Some(top));
}

#[tokio::test]
async fn a_row_copied_or_moved_to_another_id_does_not_load() {
    let backend = backend().await;
    let (alice, bob, now) = (
        SessionId::generate(),
        SessionId::generate(),
        UnixTime::now(),
    );
    let record = Record::new(vec![1], live());
    assert!(backend.create(&alice, &record, now).await.unwrap());
    assert!(backend.create(&bob, &record, now).await.unwrap());

    let copy = "UPDATE {t} SET record = (SELECT record FROM {t} WHERE id = $1) WHERE id = $2";
    assert_eq!(execute(&backend, copy, &[&alice, &bob]).await, 1);
    let loaded = backend.load(&bob, now, 10).await;
    assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");

    execute(&backend, "DELETE FROM {t} WHERE id = $1", &[&bob]).await;
    let moved = "UPDATE {t} SET id = $2 WHERE id = $1";
    assert_eq!(execute(&backend, moved, &[&alice, &bob]).await, 1);
    let loaded = backend.load(&bob, now, 10).await;
    assert!(matches!(loaded, Err(Error::Decode(_))), "{loaded:?}");
    assert_eq!(backend.load(&alice, now, 10).await.unwrap(), None);
}

#[tokio::test]
async fn a_row_over_the_limit_is_refused_from_its_first_bytes() {
    let backend = backend().await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let big = Record::new(vec![0; 1 << 20], live());
    assert!(backend.create(&id, &big, now).await.unwrap());
    let loaded = backend.load(&id, now, 1024).await;
    assert!(
        matches!(
            loaded,
            Err(Error::RecordTooLarge {
                len: 1_048_576,
                max: 1024
            })
        ),
        "{loaded:?}"
    );
    assert_eq!(backend.load(&id, now, 1 << 20).await.unwrap(), Some(big));
}

#[tokio::test]
async fn errors_and_debug_show_no_sql_no_ids_no_password() {
    let url = format!(
        "postgres://postgres:hunter2@127.0.0.1:{}/postgres",
        server().port()
    );
    let options = PostgresOptions::new().table(fresh_table());
    let backend = PostgresBackend::connect(&url, options).await.unwrap();
    let debug = format!("{backend:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains(backend.options().table_name()), "{debug}");

    let id = SessionId::generate();
    let err = backend.load(&id, UnixTime::now(), 10).await.unwrap_err();
    assert_eq!(err.to_string(), "session store failed");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(!source.contains("SELECT"), "{source}");
    assert!(!source.contains(&id.to_string()), "{source}");
}

#[tokio::test]
async fn a_malformed_row_is_a_decode_error() {
    let backend = backend().await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    let owner = sessions::store::OwnerId::new("sessions", "alice");
    let record = Record::new(vec![1], live()).with_owner(Some(owner));
    assert!(backend.create(&id, &record, now).await.unwrap());

    for garbage in [
        "'\\x'",
        "'\\x00'",
        "'\\xdeadbeef'",
        "decode(repeat('ff', 200), 'hex')",
    ] {
        let corrupt = format!("UPDATE {{t}} SET record = {garbage} WHERE id = $1");
        assert_eq!(execute(&backend, &corrupt, &[&id]).await, 1);
        let loaded = backend.load(&id, now, 1024).await;
        assert!(
            matches!(loaded, Err(Error::Decode(_))),
            "{garbage}: {loaded:?}"
        );
        let listed = backend.owned(&owner, now, 1024).await;
        assert!(
            matches!(listed, Err(Error::Decode(_))),
            "{garbage}: {listed:?}"
        );
    }
    let renamed = "UPDATE {t} SET id = 'not-a-session-id' WHERE id = $1";
    assert_eq!(execute(&backend, renamed, &[&id]).await, 1);
    let listed = backend.owned(&owner, now, 1024).await;
    assert!(matches!(listed, Err(Error::Decode(_))), "{listed:?}");
}

#[tokio::test]
async fn two_app_servers_share_one_database() {
    let key = Key::generate();
    let table = fresh_table();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let options = PostgresOptions::new().table(table.clone());
        let backend = PostgresBackend::connect(&server().url(), options)
            .await
            .unwrap();
        backend.migrate().await.unwrap();
        servers.push(Sessions::new(ServerStore::from_backend(
            backend,
            key.clone(),
        )));
    }
    let (a, b) = (&servers[0], &servers[1]);

    let mut cookies = Vec::new();
    for i in 0..10 {
        let req = request(a, None);
        CounterSession::load(&req)
            .await
            .unwrap()
            .set_user(Some(format!("user{i}")));
        cookies.push(save(&req).await.unwrap().expect("a login sets a cookie"));
    }
    // At once, A counts and B renames every user: both changes survive
    // (each server's save merges the other's newer field).
    let rounds = 5;
    let mut changes = Vec::new();
    for (i, cookie) in cookies.iter().enumerate() {
        for (on_a, sessions) in [(true, a.clone()), (false, b.clone())] {
            let cookie = cookie.clone();
            changes.push(tokio::spawn(async move {
                for round in 1..=rounds {
                    let req = request(&sessions, Some(&cookie));
                    let session = CounterSession::load(&req).await.unwrap();
                    if on_a {
                        session.set_n(round);
                    } else {
                        session.set_user(Some(format!("user{i}-{round}")));
                    }
                    save(&req).await.unwrap();
                }
            }));
        }
    }
    for change in changes {
        change.await.unwrap();
    }
    for (i, cookie) in cookies.iter().enumerate() {
        let req = request(b, Some(cookie));
        let session = CounterSession::load(&req).await.unwrap();
        assert_eq!(
            session.user(),
            Some(format!("user{i}-{rounds}")),
            "B's last rename"
        );
        assert_eq!(session.n(), rounds, "A's last count");
        session.destroy();
        save(&req).await.unwrap();
    }
    for cookie in &cookies {
        let req = request(a, Some(cookie));
        assert!(
            CounterSession::load(&req).await.unwrap().is_new(),
            "logged out on B, out on A"
        );
    }
}

#[tokio::test]
async fn the_reaper_removes_expired_rows_and_ends_with_the_store() {
    let backend = backend().await;
    let now = UnixTime::now();
    let expired = Times::fresh(
        UnixTime::from_secs(now.as_secs() - 120),
        Duration::from_mins(1),
    );
    let (old, young) = (SessionId::generate(), SessionId::generate());
    let past = UnixTime::from_secs(now.as_secs() - 120);
    assert!(
        backend
            .create(&old, &Record::new(vec![1], expired), past)
            .await
            .unwrap()
    );
    assert!(
        backend
            .create(&young, &Record::new(vec![2], live()), now)
            .await
            .unwrap()
    );

    let count = "SELECT 1 FROM {t} WHERE id = $1";
    let store = ServerStore::from_backend(backend.clone(), Key::generate());
    let reaper = store.spawn_reaper(Duration::from_millis(10));
    let started = std::time::Instant::now();
    while execute(&backend, count, &[&old]).await == 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the reaper never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        execute(&backend, count, &[&young]).await,
        1,
        "a live row stays"
    );

    drop((store, backend));
    tokio::time::timeout(Duration::from_secs(10), reaper)
        .await
        .expect("the reaper ends once the pool is gone")
        .unwrap();
}
