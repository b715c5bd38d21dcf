//! The last item of issue 14: `PostgresStore` load + save (a request that
//! changes a field, through the registry: one `SELECT` and one
//! compare-and-set `UPDATE`), against a raw `SELECT` + `UPDATE` of bytes of
//! the same length on the same pool; and `load` against the raw `SELECT`.

use criterion::Criterion;
use deadpool_postgres::Pool;
use sessions::store::{DEFAULT_POSTGRES_TABLE, Record, SessionId, Times, UnixTime};
use sessions::{Key, PostgresStore, Sessions};
use sessions_benches::fixture::{Profile, ProfileSession, WEEK, request, stored_payload};
use sessions_benches::run::slow_group_settings;
use sessions_tests::postgres_server::PostgresServer;
use tokio::runtime::Runtime;

use crate::stores::{create, load, load_and_save};

/// The `updated_at` of the session behind `cookie`.
fn updated_at(rt: &Runtime, sessions: &Sessions, cookie: &str) -> i64 {
    let req = request(sessions, Some(cookie));
    rt.block_on(async {
        let user = ProfileSession::load(&req).await.expect("the store answers");
        assert!(!user.is_new(), "the session is live");
        user.updated_at()
    })
}

/// The raw statements, on a connection of `pool`: the row's bytes.
async fn raw_select(pool: &Pool, select: &str, id: &str) -> Vec<u8> {
    let client = pool.get().await.expect("a pooled connection");
    let statement = client.prepare_cached(select).await.expect("it prepares");
    let row = client
        .query_one(&statement, &[&id])
        .await
        .expect("the row is there");
    row.get(0)
}

/// A raw `SELECT` then `UPDATE` on one connection of `pool`; the
/// `SELECT`ed bytes and how many rows the `UPDATE` changed.
async fn raw_select_update(
    pool: &Pool,
    (select, update): (&str, &str),
    id: &str,
    bytes: &[u8],
) -> (Vec<u8>, u64) {
    let client = pool.get().await.expect("a pooled connection");
    let select = client.prepare_cached(select).await.expect("it prepares");
    let update = client.prepare_cached(update).await.expect("it prepares");
    let row = client
        .query_one(&select, &[&id])
        .await
        .expect("the row is there");
    let read: Vec<u8> = row.get(0);
    let changed = client
        .execute(&update, &[&id, &bytes])
        .await
        .expect("the update runs");
    (read, changed)
}

pub(crate) fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let server = PostgresServer::start();
    let store = std::sync::Arc::new(
        rt.block_on(PostgresStore::connect(&server.url(), Key::generate()))
            .expect("the store connects"),
    );
    let backend = store.backend();
    rt.block_on(backend.migrate()).expect("the table is made");
    let sessions = Sessions::new(std::sync::Arc::clone(&store));
    let cookie = create(&rt, &sessions, &store);
    let before = updated_at(&rt, &sessions, &cookie);
    rt.block_on(load_and_save(&sessions, &cookie));
    assert_eq!(
        updated_at(&rt, &sessions, &cookie),
        before + 1,
        "load + save changes the field"
    );

    // A row of its own for the raw statements, holding the bytes the store
    // writes for the same payload, under an id of the same length.
    let pool = backend.pool();
    let payload = stored_payload(&Profile::representative());
    let raw_id = SessionId::generate();
    let bytes = Record::new(payload, Times::fresh(UnixTime::now(), WEEK)).encode(&raw_id);
    let raw_id = raw_id.to_string();
    let table = DEFAULT_POSTGRES_TABLE;
    rt.block_on(async {
        let client = pool.get().await.expect("a pooled connection");
        let insert =
            format!("INSERT INTO \"{table}\" (id, record, expires, version, reap_at) VALUES ($1, $2, 0, 0, 0)");
        let inserted = client
            .execute(&insert, &[&raw_id, &bytes])
            .await
            .expect("the raw row is inserted");
        assert_eq!(inserted, 1);
        let lengths = format!("SELECT length(record) FROM \"{table}\" WHERE id <> $1");
        let ours: i32 = client
            .query_one(&lengths, &[&raw_id])
            .await
            .expect("one session of ours")
            .get(0);
        assert_eq!(
            usize::try_from(ours).expect("a length"),
            bytes.len(),
            "the raw record is as long as ours"
        );
    });
    let select = format!("SELECT record FROM \"{table}\" WHERE id = $1");
    let update = format!("UPDATE \"{table}\" SET record = $2 WHERE id = $1");
    let statements = (select.as_str(), update.as_str());
    let (read, changed) = rt.block_on(raw_select_update(pool, statements, &raw_id, &bytes));
    assert_eq!(
        (read, changed),
        (bytes.clone(), 1),
        "the raw statements work"
    );

    let mut group = c.benchmark_group("postgres");
    slow_group_settings(&mut group);
    group.bench_function("load/ours", |b| b.iter(|| load(&rt, &*store, &cookie)));
    group.bench_function("load/raw", |b| {
        b.iter(|| {
            let read = rt.block_on(raw_select(pool, &select, &raw_id));
            assert_eq!(read.len(), bytes.len());
            read
        });
    });
    group.bench_function("load+save/ours", |b| {
        b.iter(|| rt.block_on(load_and_save(&sessions, &cookie)));
    });
    group.bench_function("load+save/raw", |b| {
        b.iter(|| {
            let (read, changed) = rt.block_on(raw_select_update(pool, statements, &raw_id, &bytes));
            assert_eq!((read.len(), changed), (bytes.len(), 1));
            read
        });
    });
    group.finish();
    drop(server);
}
