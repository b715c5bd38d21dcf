//! `PostgresStore` while PostgreSQL fails, on real servers on loopback,
//! each test with a server of its own: stopped and started again while
//! many browsers keep sending requests, stopped under a logged-in user,
//! and a row locked by another client past the store's timeout.
//!
//! Every request succeeds or fails closed with `Error::Backend` within the
//! store's timeout (plus scheduling slack); a failed load is an error,
//! never a new session in place of a real one; the same store, with no
//! restart of the app, works again once the server is back. Each test
//! prints its figures; none asserts a speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sessions::store::{PostgresBackend, PostgresOptions, ServerStore};
use sessions::{Error, Key, Sessions};
use sessions_tests::postgres_server::PostgresServer;
use sessions_tests::wait::wait_until;
use sessions_tests::workload::{CounterSession, SLACK, Workload, request, save};

/// How many browsers the loop drives.
const BROWSERS: usize = 24;

/// Successes in a row that show the store has recovered.
const STREAK: usize = 2 * BROWSERS;

/// How long recovering may take before a test fails.
const RECOVERY_LIMIT: Duration = Duration::from_mins(1);

/// Short enough to keep the tests quick.
const TIMEOUT: Duration = Duration::from_secs(1);

async fn sessions_on(server: &PostgresServer) -> Sessions {
    let options = PostgresOptions::new().timeout(TIMEOUT);
    let backend = PostgresBackend::connect(&server.url(), options)
        .await
        .expect("connect to the test server");
    backend.migrate().await.expect("create the table");
    Sessions::new(ServerStore::from_backend(backend, Key::generate()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_stopped_and_restarted_loses_no_acknowledged_save() {
    let server = PostgresServer::start();
    let mut workload = Workload::new(sessions_on(&server).await, BROWSERS, TIMEOUT);
    workload.log_in_all().await;

    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let outage = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        server.stop();
        std::thread::sleep(Duration::from_secs(1));
        server.restart();
        flag.store(true, Ordering::SeqCst);
        (server, started.elapsed())
    });
    workload.fault_now();
    workload
        .run_until(|| done.load(Ordering::SeqCst), STREAK, RECOVERY_LIMIT)
        .await;
    let (server, outage) = outage.join().expect("the outage thread");

    let report = workload.verify().await;
    println!(
        "postgres stopped for {outage:?}: {} requests, {} failed closed, worst failure {:?}, \
         recovered after {:?}, {} lost saves, {} resurrections",
        report.requests,
        report.errors,
        report.worst_failure,
        report.recovered_after,
        report.lost_saves,
        report.resurrections,
    );
    assert!(report.errors > 0, "the outage was seen: {report:?}");
    assert_eq!(report.lost_saves, 0, "{report:?}");
    assert_eq!(report.resurrections, 0, "{report:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_while_the_server_is_down_fails_and_never_starts_afresh() {
    let server = PostgresServer::start();
    let sessions = sessions_on(&server).await;
    let req = request(&sessions, None);
    let session = CounterSession::load(&req).await.unwrap();
    session.set_user(Some("alice".to_owned()));
    let cookie = save(&req).await.unwrap().expect("a login sets a cookie");

    server.stop();
    let started = Instant::now();
    let req = request(&sessions, Some(&cookie));
    let loaded = CounterSession::load(&req).await;
    assert!(matches!(loaded, Err(Error::Backend(_))), "{loaded:?}");
    assert!(
        started.elapsed() < TIMEOUT + SLACK,
        "{:?}",
        started.elapsed()
    );
    // A visitor without a cookie gets a new session, which cannot be saved.
    let req = request(&sessions, None);
    let new = CounterSession::load(&req).await.unwrap();
    new.set_user(Some("bob".to_owned()));
    let saved = save(&req).await;
    assert!(
        matches!(&saved, Err(Error::Save(failed)) if failed
            .failures()
            .iter()
            .all(|(_, e)| matches!(e, Error::Backend(_)))),
        "{saved:?}"
    );

    server.restart();
    let (user, took) = wait_until(RECOVERY_LIMIT, "alice's session loads again", || {
        block_on_load(&sessions, &cookie)
    });
    assert_eq!(user.as_deref(), Some("alice"), "the real session, intact");
    println!("postgres restarted: the first load succeeded after {took:?}");
}

/// Loads the session of `cookie` from a blocking context; its user.
fn block_on_load(sessions: &Sessions, cookie: &str) -> Result<Option<String>, String> {
    let req = request(sessions, Some(cookie));
    let loaded = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(CounterSession::load(&req))
    });
    match loaded {
        Ok(session) if session.is_new() => Err("a new session".to_owned()),
        Ok(session) => Ok(session.user()),
        Err(error) => Err(error.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_table_fails_within_the_timeout_and_the_store_recovers() {
    let server = PostgresServer::start();
    let sessions = sessions_on(&server).await;
    let req = request(&sessions, None);
    CounterSession::load(&req)
        .await
        .unwrap()
        .set_user(Some("alice".to_owned()));
    let cookie = save(&req).await.unwrap().expect("a login sets a cookie");

    // Another client holds the table, as a long migration would.
    let (mut locker, connection) = tokio_postgres::connect(&server.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let lock = locker.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();

    let started = Instant::now();
    let loaded = CounterSession::load(&request(&sessions, Some(&cookie))).await;
    let took = started.elapsed();
    let Err(Error::Backend(source)) = loaded else {
        panic!("a load behind the lock fails closed: {loaded:?}");
    };
    assert!(
        source.to_string().contains("did not answer within"),
        "{source}"
    );
    assert!(took >= TIMEOUT && took < TIMEOUT + SLACK, "{took:?}");

    lock.rollback().await.unwrap();
    let req = request(&sessions, Some(&cookie));
    let session = CounterSession::load(&req).await.unwrap();
    assert_eq!(session.user().as_deref(), Some("alice"));
    session.set_n(session.n() + 1);
    save(&req).await.unwrap();
    println!("a load behind a locked table failed after {took:?}");
}
