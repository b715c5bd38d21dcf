//! Items 1, 2 and 5 of issue 6: sealing and opening one session, across
//! payload sizes, and the length of the cookie.

use std::fmt::Debug;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sessions::{CookieStore, Handle, Key, SessionData, Sessions};
use sessions_benches::fixture::{Blob, COOKIE_NAME, Profile, cookie_value, request};
use sessions_benches::floor::{FloorEncrypted, FloorSigned};
use sessions_benches::peer::{self, Jar, Peer};
use sessions_benches::ready;
use sessions_benches::run::RunRecord;

/// Payload sizes of item 2, in CBOR bytes. 3000 B is the largest round
/// size that still seals into a 4096-byte cookie; 3.5 KiB does not fit
/// any browser cookie once sealed and base64'd (ours refuses it).
pub(crate) const SIZES: [usize; 5] = [64, 512, 2048, 3000, 3584];

/// Payloads ours seals: through the public API the whole `Set-Cookie`
/// line (value and attributes) must fit in 4096 bytes, so 3000 B of CBOR
/// is refused; the larger ones only the others seal.
const OUR_LIMIT: usize = 2048;

/// Everything that seals cookies, each with its own key.
struct Sealers {
    ours_encrypted: Sessions,
    ours_signed: Sessions,
    floor_encrypted: FloorEncrypted,
    floor_signed: FloorSigned,
    private_jar: Peer,
    signed_jar: Peer,
}

impl Sealers {
    fn new() -> Self {
        let key = Key::generate();
        let raw_key: [u8; 32] = rand::random();
        Self {
            ours_encrypted: Sessions::new(CookieStore::new(key.clone())),
            ours_signed: Sessions::new(CookieStore::signed(key)),
            floor_encrypted: FloorEncrypted::new(&raw_key),
            floor_signed: FloorSigned::new(&raw_key),
            private_jar: Peer::new(Jar::Private),
            signed_jar: Peer::new(Jar::Signed),
        }
    }
}

/// Seals `value` as a handler does: load a new session, replace its data,
/// batch-save; the cookie value of the `Set-Cookie` line.
fn ours_seal<T: SessionData + Clone>(sessions: &Sessions, value: &T) -> Result<String, String> {
    let req = request(sessions, None);
    let session = ready(Handle::<T>::load(&req)).map_err(|e| e.to_string())?;
    session.replace(value.clone());
    let mut res = http::Response::new(());
    ready(sessions::save(&req, &mut res)).map_err(|e| e.to_string())?;
    Ok(cookie_value(&res))
}

/// Opens a cookie as a handler does: the session a request loads.
fn ours_open<T: SessionData + Clone>(sessions: &Sessions, cookie: &str) -> Option<T> {
    let req = request(sessions, Some(cookie));
    let session = ready(Handle::<T>::load(&req)).ok()?;
    (!session.is_new()).then(|| session.get())
}

fn seal_ours<T: SessionData + Clone>(sessions: &Sessions, value: &T) -> String {
    ours_seal(sessions, value).expect("the value fits a cookie")
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
    let value = Profile::representative();
    let mut group = c.benchmark_group("representative");
    pair(
        &mut group,
        "ours-encrypted",
        None,
        &value,
        |v| seal_ours(&s.ours_encrypted, v),
        |x| ours_open(&s.ours_encrypted, x),
    );
    pair(
        &mut group,
        "ours-signed",
        None,
        &value,
        |v| seal_ours(&s.ours_signed, v),
        |x| ours_open(&s.ours_signed, x),
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
    let mut group = c.benchmark_group("sizes");
    for size in SIZES {
        let value = Blob::of_cbor_len(size);
        if size <= OUR_LIMIT {
            pair(
                &mut group,
                "ours-encrypted",
                Some(size),
                &value,
                |v| seal_ours(&s.ours_encrypted, v),
                |x| ours_open(&s.ours_encrypted, x),
            );
            pair(
                &mut group,
                "ours-signed",
                Some(size),
                &value,
                |v| seal_ours(&s.ours_signed, v),
                |x| ours_open(&s.ours_signed, x),
            );
        } else {
            let refused = ours_seal(&s.ours_encrypted, &value)
                .expect_err("a cookie past the 4096-byte line is refused");
            let peer_len = s.private_jar.seal(COOKIE_NAME, &value).len();
            let text = format!(
                "ours refuses {size} B ({refused}); the private jar makes a \
                 {peer_len}-character value"
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
        ("ours-encrypted", seal_ours(&s.ours_encrypted, &value)),
        ("ours-signed", seal_ours(&s.ours_signed, &value)),
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
