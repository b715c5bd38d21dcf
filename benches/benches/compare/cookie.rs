//! Items 1, 2 and 5 of issue 6: sealing and opening one session, across
//! payload sizes, and the length of the cookie.

use std::fmt::Debug;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sessions::codec::{Binding, Codec, Mode, Times, UnixTime};
use sessions::store::{Save, Store};
use sessions::{CookieStore, Key};
use sessions_benches::fixture::{Blob, COOKIE_NAME, Profile, WEEK, stored_payload};
use sessions_benches::floor::{FloorEncrypted, FloorSigned};
use sessions_benches::peer::{self, Jar, Peer};
use sessions_benches::ready;
use sessions_benches::run::RunRecord;

/// Payload sizes of item 2, in CBOR bytes. 3000 B is the largest round
/// size that still seals into a 4096-byte cookie; 3.5 KiB does not fit
/// any browser cookie once sealed and base64'd (ours refuses it).
pub(crate) const SIZES: [usize; 5] = [64, 512, 2048, 3000, 3584];

/// Payloads our codec seals; the larger ones only the others do.
const OUR_LIMIT: usize = 3000;

/// Everything that seals cookies, each with its own key.
struct Sealers {
    ours_encrypted: Codec,
    ours_signed: Codec,
    store_encrypted: CookieStore,
    store_signed: CookieStore,
    floor_encrypted: FloorEncrypted,
    floor_signed: FloorSigned,
    private_jar: Peer,
    signed_jar: Peer,
    times: Times,
    now: UnixTime,
}

impl Sealers {
    fn new() -> Self {
        let now = UnixTime::now();
        let key = Key::generate();
        let raw_key: [u8; 32] = rand::random();
        Self {
            ours_encrypted: Codec::new(key.clone()),
            ours_signed: Codec::new(key.clone()).with_mode(Mode::Signed),
            store_encrypted: CookieStore::new(key.clone()),
            store_signed: CookieStore::signed(key),
            floor_encrypted: FloorEncrypted::new(&raw_key),
            floor_signed: FloorSigned::new(&raw_key),
            private_jar: Peer::new(Jar::Private),
            signed_jar: Peer::new(Jar::Signed),
            times: Times::fresh(now, WEEK),
            now,
        }
    }
}

const BINDING: Binding<'static> = Binding::new(COOKIE_NAME, "cookie");

fn codec_seal<T: Serialize>(codec: &Codec, times: Times, value: &T) -> String {
    codec
        .seal(&BINDING, times, value)
        .expect("the value fits a cookie")
}

fn codec_open<T: DeserializeOwned>(codec: &Codec, now: UnixTime, sealed: &str) -> Option<T> {
    codec
        .open::<T>(&BINDING, sealed, now)
        .ok()
        .map(|opened| opened.value)
}

/// Through the `Store` trait on the encoded payload: `save` seals the bytes
/// the registry encoded, `load` gives them back. CBOR is not in these
/// figures (the registry's decoder is internal; the layer bench has it).
fn store_seal(store: &CookieStore, times: Times, payload: &[u8]) -> String {
    ready(store.save(Save::new(COOKIE_NAME, payload, times)))
        .expect("the value fits a cookie")
        .expect("a cookie store always saves")
        .value
}

fn store_open(store: &CookieStore, now: UnixTime, sealed: &str) -> Option<Vec<u8>> {
    let loaded = ready(store.load(COOKIE_NAME, sealed, now)).ok()??;
    Some(loaded.payload)
}

/// Benchmarks `seal/LABEL` and `open/LABEL` after checking that `open`
/// gives back what `seal` was given.
fn pair<T: PartialEq + Debug>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    parameter: Option<usize>,
    value: &T,
    seal: impl Fn(&T) -> String,
    open: impl Fn(&str) -> Option<T>,
) {
    let sealed = seal(value);
    assert_eq!(open(&sealed).as_ref(), Some(value), "{label} round-trips");
    let id = |op: &str| match parameter {
        Some(size) => BenchmarkId::new(format!("{op}/{label}"), size),
        None => BenchmarkId::new(op, label),
    };
    group.bench_function(id("seal"), |b| b.iter(|| seal(black_box(value))));
    group.bench_function(id("open"), |b| b.iter(|| open(black_box(&sealed))));
}

/// Item 1: the representative session, every sealer.
pub(crate) fn representative(c: &mut Criterion) {
    let s = Sealers::new();
    let (times, now) = (s.times, s.now);
    let value = Profile::representative();
    let mut group = c.benchmark_group("representative");
    pair(
        &mut group,
        "ours-encrypted",
        None,
        &value,
        |v| codec_seal(&s.ours_encrypted, times, v),
        |x| codec_open(&s.ours_encrypted, now, x),
    );
    pair(
        &mut group,
        "ours-signed",
        None,
        &value,
        |v| codec_seal(&s.ours_signed, times, v),
        |x| codec_open(&s.ours_signed, now, x),
    );
    let payload = stored_payload(&value);
    pair(
        &mut group,
        "store-bytes-encrypted",
        None,
        &payload,
        |p| store_seal(&s.store_encrypted, times, p),
        |x| store_open(&s.store_encrypted, now, x),
    );
    pair(
        &mut group,
        "store-bytes-signed",
        None,
        &payload,
        |p| store_seal(&s.store_signed, times, p),
        |x| store_open(&s.store_signed, now, x),
    );
    others(&mut group, &s, None, &value);
    group.finish();
}

/// The floor and the peers, at one payload.
fn others<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    s: &Sealers,
    parameter: Option<usize>,
    value: &T,
) {
    pair(
        group,
        "floor-encrypted",
        parameter,
        value,
        |v| s.floor_encrypted.seal(COOKIE_NAME, v),
        |x| s.floor_encrypted.open(COOKIE_NAME, x),
    );
    pair(
        group,
        "floor-signed",
        parameter,
        value,
        |v| s.floor_signed.seal(COOKIE_NAME, v),
        |x| s.floor_signed.open(COOKIE_NAME, x),
    );
    pair(
        group,
        "private-jar-json",
        parameter,
        value,
        |v| s.private_jar.seal(COOKIE_NAME, v),
        |x| s.private_jar.open(COOKIE_NAME, x),
    );
    pair(
        group,
        "signed-jar-json",
        parameter,
        value,
        |v| s.signed_jar.seal(COOKIE_NAME, v),
        |x| s.signed_jar.open(COOKIE_NAME, x),
    );
}

/// Item 2: the same across payload sizes.
pub(crate) fn sizes(c: &mut Criterion, record: &mut RunRecord) {
    let s = Sealers::new();
    let (times, now) = (s.times, s.now);
    let mut group = c.benchmark_group("sizes");
    for size in SIZES {
        let value = Blob::of_cbor_len(size);
        if size <= OUR_LIMIT {
            pair(
                &mut group,
                "ours-encrypted",
                Some(size),
                &value,
                |v| codec_seal(&s.ours_encrypted, times, v),
                |x| codec_open(&s.ours_encrypted, now, x),
            );
            pair(
                &mut group,
                "ours-signed",
                Some(size),
                &value,
                |v| codec_seal(&s.ours_signed, times, v),
                |x| codec_open(&s.ours_signed, now, x),
            );
        } else {
            let refused = s
                .ours_encrypted
                .seal(&BINDING, times, &value)
                .expect_err("a payload past the cookie budget is refused");
            let peer_len = s.private_jar.seal(COOKIE_NAME, &value).len();
            let text = format!(
                "ours refuses {size} B ({refused}); the private jar makes a \
                 {peer_len}-character value that browsers drop"
            );
            println!("sizes/{size}: {text}");
            record.note(&format!("sizes/{size}"), &text);
        }
        others(&mut group, &s, Some(size), &value);
    }
    group.finish();
}

/// Item 5: the length of the representative session's cookie, printed and
/// recorded. `value` is the cookie value; `wire` is `name=value` as sent
/// (percent-encoded the way axum-extra sends the jars' cookies).
pub(crate) fn lengths(record: &mut RunRecord) {
    let s = Sealers::new();
    let value = Profile::representative();
    let json = serde_json::to_string(&value).expect("JSON encodes");
    let cbor = sessions_benches::fixture::cbor_len(&value);
    let cookies = [
        (
            "ours-encrypted",
            codec_seal(&s.ours_encrypted, s.times, &value),
        ),
        ("ours-signed", codec_seal(&s.ours_signed, s.times, &value)),
        (
            "store-encrypted",
            store_seal(&s.store_encrypted, s.times, &stored_payload(&value)),
        ),
        (
            "store-signed",
            store_seal(&s.store_signed, s.times, &stored_payload(&value)),
        ),
        ("private-jar-json", s.private_jar.seal(COOKIE_NAME, &value)),
        ("signed-jar-json", s.signed_jar.seal(COOKIE_NAME, &value)),
        (
            "floor-encrypted",
            s.floor_encrypted.seal(COOKIE_NAME, &value),
        ),
        ("floor-signed", s.floor_signed.seal(COOKIE_NAME, &value)),
    ];
    println!(
        "cookie lengths of the representative session (CBOR {cbor} B, JSON {} B):",
        json.len()
    );
    println!("  {:<18} {:>6} {:>6}", "sealer", "value", "wire");
    for (label, cookie) in &cookies {
        let wire = peer::encoded_len(COOKIE_NAME, cookie);
        println!("  {label:<18} {:>6} {wire:>6}", cookie.len());
        record.cookie_length(label, cookie.len(), wire);
    }
    record.note(
        "payload",
        &format!(
            "representative session: CBOR {cbor} B, JSON {} B",
            json.len()
        ),
    );
}
