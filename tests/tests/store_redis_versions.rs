//! `RedisBackend::update`'s script against a real `redis-server`: whole
//! 64-bit versions (no rounding through Lua's doubles), an update sent
//! twice, values under a session key that are not records of its id, and
//! the script sent by digest, by text only when Redis lost it.

use std::time::Duration;

use sessions::Error;
use sessions::store::{
    Backend, DEFAULT_REDIS_PREFIX, OwnerId, Record, RedisBackend, SessionId, Times, UnixTime,
    Update,
};
use sessions_tests::redis_server::RedisServer;

const MAX: usize = 1 << 16;

async fn connect(redis: &RedisServer) -> RedisBackend {
    RedisBackend::connect(&redis.url()).await.unwrap()
}

fn record(payload: &[u8], version: u64) -> Record {
    let times = Times::fresh(UnixTime::now(), Duration::from_hours(1));
    Record::new(payload.to_vec(), times).with_version(version)
}

fn key(id: &SessionId) -> String {
    format!("{DEFAULT_REDIS_PREFIX}{id}")
}

#[tokio::test]
async fn versions_past_2_pow_53_compare_exactly() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    // 2^53 and 2^53 + 1 are one and the same double.
    let big = 1_u64 << 53;
    assert!(backend.create(&id, &record(b"a", big), now).await.unwrap());
    let next = record(b"b", big + 2);
    let off_by_one = backend.update(&id, big + 1, &next, now).await.unwrap();
    assert_eq!(off_by_one, Update::Stale);
    let next = record(b"b", big + 1);
    assert_eq!(
        backend.update(&id, big, &next, now).await.unwrap(),
        Update::Written
    );
    let loaded = backend.load(&id, now, MAX).await.unwrap();
    assert_eq!(loaded, Some(next));
    let top = record(b"c", u64::MAX);
    let stale = backend.update(&id, u64::MAX - 1, &top, now).await.unwrap();
    assert_eq!(stale, Update::Stale);
}

#[tokio::test]
async fn an_update_sent_twice_is_written_once() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let (id, now) = (SessionId::generate(), UnixTime::now());
    assert!(backend.create(&id, &record(b"a", 1), now).await.unwrap());
    let mine = record(b"mine", 2);
    // As a client resends a command whose reply it lost: the second finds
    // its own record in place, byte for byte, and is told it is stale, as
    // another writer of the same bytes must be.
    let first = backend.update(&id, 1, &mine, now).await.unwrap();
    assert_eq!(first, Update::Written);
    let resent = backend.update(&id, 1, &mine, now).await.unwrap();
    assert_eq!(resent, Update::Stale);
    let theirs = record(b"theirs", 2);
    let outcome = backend.update(&id, 1, &theirs, now).await.unwrap();
    assert_eq!(outcome, Update::Stale, "another save over the same version");
    assert_eq!(backend.load(&id, now, MAX).await.unwrap(), Some(mine));
}

#[tokio::test]
async fn values_that_are_not_records_of_the_id_fail_the_update_untouched() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let now = UnixTime::now();
    let (alice, bob) = (SessionId::generate(), SessionId::generate());
    let alices = record(b"a", 1);
    assert!(backend.create(&alice, &alices, now).await.unwrap());
    // Bob's own record, cut inside its version: the digest matches.
    assert!(backend.create(&bob, &record(b"b", 1), now).await.unwrap());
    let cut = "EVAL \"return redis.call('SET', KEYS[1], \
        string.sub(redis.call('GET', KEYS[1]), 1, 44))\" 1";
    assert!(redis.raw(&format!("{cut} {}", key(&bob))).starts_with('+'));
    assert_eq!(redis.raw(&format!("STRLEN {}", key(&bob))), ":44\r\n");
    let cases = [
        ("a record cut inside its version", None),
        ("junk", Some(format!("SET {} junk", key(&bob)))),
        (
            "another id's record",
            Some(format!("COPY {} {} REPLACE", key(&alice), key(&bob))),
        ),
    ];
    for (what, command) in cases {
        if let Some(command) = command {
            assert!(redis.raw(&command).starts_with(['+', ':']), "{what}");
        }
        let before = redis.raw(&format!("GET {}", key(&bob)));
        let outcome = backend.update(&bob, 1, &record(b"x", 2), now).await;
        assert!(
            matches!(outcome, Err(Error::Decode(_))),
            "{what}: {outcome:?}"
        );
        let after = redis.raw(&format!("GET {}", key(&bob)));
        assert_eq!(after, before, "{what}: the value stays for an operator");
    }
    let loaded = backend.load(&alice, now, MAX).await.unwrap();
    assert_eq!(loaded, Some(alices), "alice's record is untouched");
}

/// How many times Redis was sent `command` (`INFO commandstats`): `calls`
/// counts those that ran, failed or not, `rejected_calls` those refused
/// before running.
fn calls(redis: &RedisServer, command: &str) -> u64 {
    let info = redis.raw("INFO commandstats");
    let line = format!("cmdstat_{command}:");
    let Some(stats) = info.lines().find_map(|l| l.strip_prefix(line.as_str())) else {
        return 0;
    };
    stats
        .split(',')
        .filter_map(|field| field.split_once('='))
        .filter(|(name, _)| ["calls", "rejected_calls"].contains(name))
        .map(|(_, count)| count.parse::<u64>().expect("a count"))
        .sum()
}

#[tokio::test]
async fn updates_name_the_script_by_digest_and_send_its_text_once_after_a_flush() {
    let redis = RedisServer::start();
    let backend = connect(&redis).await;
    let now = UnixTime::now();
    let owner = OwnerId::new("user", "ada");
    let (plain, with_owner) = (SessionId::generate(), SessionId::generate());
    assert!(backend.create(&plain, &record(b"a", 1), now).await.unwrap());
    let owned_record = |version| record(b"o", version).with_owner(Some(owner));
    assert!(
        backend
            .create(&with_owner, &owned_record(1), now)
            .await
            .unwrap()
    );
    for round in 0..2_u64 {
        // As after a restart or a failover: Redis has no script at all.
        assert_eq!(redis.raw("SCRIPT FLUSH"), "+OK\r\n");
        assert_eq!(redis.raw("CONFIG RESETSTAT"), "+OK\r\n");
        for step in 1..=3 {
            let version = round * 3 + step;
            let next = record(b"b", version + 1);
            let outcome = backend.update(&plain, version, &next, now).await.unwrap();
            assert_eq!(outcome, Update::Written, "round {round}, step {step}");
            // With an owner, the update is a transaction with its index.
            let next = owned_record(version + 1);
            let outcome = backend
                .update(&with_owner, version, &next, now)
                .await
                .unwrap();
            assert_eq!(outcome, Update::Written, "round {round}, step {step}");
        }
        assert_eq!(
            calls(&redis, "evalsha"),
            3,
            "updates without an owner try the digest"
        );
        // The text once, for the first NOSCRIPT; an owned update sends its
        // script and its index's by text, in one transaction.
        assert_eq!(calls(&redis, "eval"), 1 + 2 * 3, "round {round}");
    }
    let found = backend.load(&plain, now, MAX).await.unwrap();
    assert_eq!(found.map(|r| r.version), Some(7));
    let listed = backend.owned(&owner, now, MAX).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1.version, 7);
}
