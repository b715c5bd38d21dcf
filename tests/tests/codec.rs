//! The codec through its public API: round trips in both modes at every size
//! up to the limit, typed values, key rotation, bindings, the time checks and
//! the length limit.
//!
//! The crafted-input tests (bit flips, truncation, hostile CBOR) live in
//! `codec_tamper.rs`; the fixed vectors in `vectors.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sessions::codec::{
    Binding, Codec, DEFAULT_LEEWAY, MAX_SEALED_LEN, Mode, Opened, Times, UnixTime,
};
use sessions::{Error, Key, KeyRing};

const MODES: [Mode; 2] = [Mode::Encrypted, Mode::Signed];
const BINDING: Binding<'static> = Binding::new("user", "cookie");
const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const LIFETIME: Duration = Duration::from_hours(7 * 24);

fn times() -> Times {
    Times::fresh(NOW, LIFETIME)
}

fn codec(key: &Key, mode: Mode) -> Codec {
    Codec::new(key.clone()).with_mode(mode)
}

fn seal(codec: &Codec, payload: &[u8]) -> String {
    codec
        .seal_bytes(&BINDING, times(), payload)
        .expect("a small payload seals")
}

fn open(codec: &Codec, sealed: &str) -> Result<Opened<Vec<u8>>, Error> {
    codec.open_bytes(&BINDING, sealed, NOW)
}

/// Sizes from 0 to `max`: every size near both ends, a stride in between.
fn sizes(max: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = (0..=64).chain((65..max).step_by(61)).collect();
    sizes.extend(max.saturating_sub(64)..=max);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// Times whose varints have very different lengths, so the header length
/// (and with it the largest payload) differs.
fn times_of_every_width() -> [Times; 4] {
    [
        Times::fresh(UnixTime::from_secs(0), Duration::from_secs(1)),
        times(),
        Times {
            created_at: UnixTime::from_secs(1),
            issued_at: UnixTime::from_secs(u64::MAX / 2),
            expires_at: UnixTime::from_secs(u64::MAX),
        },
        Times {
            created_at: UnixTime::from_secs(0),
            issued_at: UnixTime::from_secs(u64::MAX - 1000),
            expires_at: UnixTime::from_secs(u64::MAX - 100),
        },
    ]
}

#[test]
fn bytes_round_trip_at_every_size_up_to_the_limit() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        for times in times_of_every_width() {
            let max = codec.max_payload_len(times);
            assert!(max > 2900, "{mode:?} {times:?}: only {max} bytes fit");
            for len in sizes(max) {
                let payload: Vec<u8> = (0..len)
                    .map(|i| u8::try_from((i * 7 + len) % 251).expect("below 256"))
                    .collect();
                let sealed = codec
                    .seal_bytes(&BINDING, times, &payload)
                    .unwrap_or_else(|e| panic!("{mode:?} {len}/{max}: {e}"));
                assert!(
                    sealed.len() <= MAX_SEALED_LEN,
                    "{mode:?} {len}: {}",
                    sealed.len()
                );
                let opened = codec
                    .open_bytes(&BINDING, &sealed, times.issued_at)
                    .unwrap_or_else(|e| panic!("{mode:?} {len}/{max}: {e}"));
                assert_eq!(opened.value, payload, "{mode:?} {len}");
                assert_eq!(opened.times, times);
                assert_eq!(opened.key_id, key.id());
                assert!(opened.by_primary);
            }
        }
    }
}

#[test]
fn one_byte_over_the_limit_is_payload_too_large() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        for times in times_of_every_width() {
            let max = codec.max_payload_len(times);
            for len in [max + 1, max + 2, MAX_SEALED_LEN, 100_000] {
                let err = codec
                    .seal_bytes(&BINDING, times, &vec![0xa5; len])
                    .unwrap_err();
                assert!(
                    matches!(err, Error::PayloadTooLarge { len: l, max: m } if l == len && m == max),
                    "{mode:?} {len}: {err:?}"
                );
            }
        }
    }
}

#[test]
fn the_largest_payload_uses_the_whole_budget() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        let max = codec.max_payload_len(times());
        let sealed = seal(&codec, &vec![0; max]);
        // Three raw bytes are four characters: a tight limit leaves less
        // than three bytes, four characters, unused.
        assert!(
            sealed.len() > MAX_SEALED_LEN - 4,
            "{mode:?}: {}",
            sealed.len()
        );
    }
}

/// A session-like value with most serde shapes in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    id: u64,
    balance: i64,
    big: u128,
    roles: Vec<String>,
    flags: BTreeMap<String, bool>,
    avatar: Option<Vec<u8>>,
    nickname: Option<String>,
    last: Event,
    history: Vec<Event>,
    unit: (),
    pair: (char, u8),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Event {
    None,
    Login { at: u64 },
    Visit(String),
    Pair(i32, i32),
}

fn user() -> User {
    User {
        name: "Ada Lovelace ✓".into(),
        id: u64::MAX,
        balance: i64::MIN,
        big: u128::MAX,
        roles: vec!["admin".into(), String::new(), "ops".into()],
        flags: [("beta".to_owned(), true), ("dark".to_owned(), false)].into(),
        avatar: Some(vec![0, 1, 2, 255]),
        nickname: None,
        last: Event::Login { at: 1_800_000_000 },
        history: vec![
            Event::None,
            Event::Visit("/home".into()),
            Event::Pair(-1, i32::MAX),
        ],
        unit: (),
        pair: ('λ', 7),
    }
}

#[test]
fn typed_values_round_trip_in_both_modes() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        let value = user();
        let sealed = codec.seal(&BINDING, times(), &value).unwrap();
        let opened = codec.open::<User>(&BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened.value, value, "{mode:?}");
        assert_eq!(opened.times, times());
        assert_eq!(opened.key_id, key.id());
        assert!(opened.by_primary);

        let sealed = codec.seal(&BINDING, times(), &()).unwrap();
        codec.open::<()>(&BINDING, &sealed, NOW).unwrap();
        let sealed = codec.seal(&BINDING, times(), "just text").unwrap();
        let text = codec.open::<String>(&BINDING, &sealed, NOW).unwrap();
        assert_eq!(text.value, "just text");
    }
}

#[test]
fn typed_values_are_the_cbor_of_the_value() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = codec.seal(&BINDING, times(), &user()).unwrap();
        let raw = codec.open_bytes(&BINDING, &sealed, NOW).unwrap().value;
        let mut cbor = Vec::new();
        ciborium::into_writer(&user(), &mut cbor).unwrap();
        assert_eq!(raw, cbor, "{mode:?}");
    }
}

/// `#[serde(flatten)]` makes serde call `serialize_map(None)`, for which
/// ciborium writes an indefinite-length map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct WithFlatten {
    id: u64,
    #[serde(flatten)]
    extra: BTreeMap<String, String>,
}

/// A sequence serialized from an iterator without an exact length (serde's
/// `collect_seq` then calls `serialize_seq(None)`): an indefinite-length array.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Evens(Vec<u32>);

impl Serialize for Evens {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().filter(|n| *n % 2 == 0))
    }
}

/// Whatever `seal` accepts, `open` must give back: a value the decoder will
/// refuse must be refused when sealing (as `Encode`), not sealed into a
/// cookie that never opens.
fn assert_sealed_values_open<T>(value: &T)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        match codec.seal(&BINDING, times(), value) {
            Ok(sealed) => {
                let opened = codec.open::<T>(&BINDING, &sealed, NOW);
                let opened = opened.unwrap_or_else(|e| panic!("{mode:?}: sealed, then {e:?}"));
                assert_eq!(&opened.value, value, "{mode:?}");
            }
            Err(Error::Encode(_)) => {}
            Err(e) => panic!("{mode:?}: {e:?}"),
        }
    }
}

#[test]
fn structs_with_flattened_fields_open_once_sealed() {
    assert_sealed_values_open(&WithFlatten {
        id: 7,
        extra: [("theme".to_owned(), "dark".to_owned())].into(),
    });
}

#[test]
fn sequences_of_unknown_length_open_once_sealed() {
    assert_sealed_values_open(&Evens(vec![2, 4, 6]));
}

#[test]
fn typed_values_too_large_report_their_encoded_length() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        let max = codec.max_payload_len(times());
        // A text string of n bytes (256 <= n < 65536) is n + 3 CBOR bytes.
        let fits = "x".repeat(max - 3);
        let sealed = codec.seal(&BINDING, times(), &fits).unwrap();
        assert_eq!(
            codec.open::<String>(&BINDING, &sealed, NOW).unwrap().value,
            fits
        );
        for extra in [1, 2, 1000] {
            let text = "x".repeat(max - 3 + extra);
            let err = codec.seal(&BINDING, times(), &text).unwrap_err();
            assert!(
                matches!(err, Error::PayloadTooLarge { len, max: m } if len == max + extra && m == max),
                "{mode:?} +{extra}: {err:?}"
            );
        }
    }
}

#[test]
fn a_value_sealed_with_an_old_key_opens_and_asks_to_be_resealed() {
    let (a, b) = (Key::generate(), Key::generate());
    for mode in MODES {
        let before = Codec::new(KeyRing::new(a.clone())).with_mode(mode);
        let after = Codec::new(KeyRing::new(b.clone()).with_old(a.clone())).with_mode(mode);
        let sealed = seal(&before, b"rotate me");

        let opened = open(&after, &sealed).unwrap();
        assert_eq!(opened.value, b"rotate me");
        assert_eq!(opened.key_id, a.id());
        assert!(!opened.by_primary, "{mode:?}");

        let resealed = after
            .seal_bytes(&BINDING, opened.times, &opened.value)
            .unwrap();
        let reopened = open(&after, &resealed).unwrap();
        assert_eq!(reopened.value, b"rotate me");
        assert_eq!(reopened.key_id, b.id());
        assert!(reopened.by_primary, "{mode:?}");

        // Once A leaves the ring, its values are unknown, and the values the
        // old ring cannot know about are unknown to it.
        let without_a = codec(&b, mode);
        assert!(matches!(open(&without_a, &sealed), Err(Error::UnknownKey)));
        assert!(open(&without_a, &resealed).unwrap().by_primary);
        assert!(matches!(open(&before, &resealed), Err(Error::UnknownKey)));
    }
}

#[test]
fn old_keys_are_found_wherever_they_sit_in_the_ring() {
    let keys: Vec<Key> = (0..4).map(|_| Key::generate()).collect();
    let ring = keys[1..]
        .iter()
        .fold(KeyRing::new(keys[0].clone()), |ring, key| {
            ring.with_old(key.clone())
        });
    for mode in MODES {
        let ring_codec = Codec::new(ring.clone()).with_mode(mode);
        for (i, key) in keys.iter().enumerate() {
            let opened = open(&ring_codec, &seal(&codec(key, mode), b"x")).unwrap();
            assert_eq!(opened.key_id, key.id());
            assert_eq!(opened.by_primary, i == 0);
        }
    }
}

/// A key with the same id as another cannot be made (the id is derived from
/// the key), so "the wrong key" is tested two ways: a ring holding only
/// another key does not know the id (`UnknownKey`), and a value whose key id
/// is rewritten to another key's id fails authentication under that key.
#[test]
fn the_wrong_key_never_opens_a_value() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let (a, b) = (Key::generate(), Key::generate());
    for mode in MODES {
        let sealed = seal(&codec(&a, mode), b"secret");
        assert!(matches!(
            open(&codec(&b, mode), &sealed),
            Err(Error::UnknownKey)
        ));

        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert_eq!(&raw[1..5], a.id().as_bytes());
        raw[1..5].copy_from_slice(b.id().as_bytes());
        let spliced = URL_SAFE_NO_PAD.encode(&raw);
        assert!(matches!(
            open(&codec(&b, mode), &spliced),
            Err(Error::Unauthentic)
        ));
        let ring = Codec::new(KeyRing::new(a.clone()).with_old(b.clone())).with_mode(mode);
        assert!(matches!(open(&ring, &spliced), Err(Error::Unauthentic)));
    }
}

#[test]
fn a_value_opens_only_under_its_own_binding() {
    let key = Key::generate();
    let bindings = [
        Binding::new("user", "cookie"),
        Binding::new("admin", "cookie"),
        Binding::new("user", "files"),
        Binding::new("cookie", "user"),
        Binding::new("usercookie", ""),
        Binding::new("", "usercookie"),
        Binding::new("use", "rcookie"),
        Binding::new("user ", "cookie"),
        Binding::new("User", "cookie"),
        Binding::new("", ""),
    ];
    for mode in MODES {
        let codec = codec(&key, mode);
        for sealed_for in &bindings {
            let sealed = codec.seal_bytes(sealed_for, times(), b"bound").unwrap();
            for opened_with in &bindings {
                let result = codec.open_bytes(opened_with, &sealed, NOW);
                if sealed_for == opened_with {
                    assert_eq!(result.unwrap().value, b"bound");
                } else {
                    assert!(
                        matches!(result, Err(Error::Unauthentic)),
                        "{mode:?} {sealed_for:?} opened as {opened_with:?}: {result:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_value_opens_only_in_its_own_mode() {
    let key = Key::generate();
    let (encrypted, signed) = (codec(&key, Mode::Encrypted), codec(&key, Mode::Signed));
    for payload in [&b""[..], b"x", &[7; 100]] {
        let sealed = seal(&encrypted, payload);
        assert!(matches!(open(&signed, &sealed), Err(Error::Unauthentic)));
        let sealed = seal(&signed, payload);
        assert!(matches!(open(&encrypted, &sealed), Err(Error::Unauthentic)));
    }
}

#[test]
fn encryption_hides_the_payload_and_signing_does_not() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let key = Key::generate();
    let secret = b"a recognisable secret payload";
    let contains = |sealed: &str| {
        let raw = URL_SAFE_NO_PAD.decode(sealed).unwrap();
        raw.windows(secret.len()).any(|w| w == secret)
    };
    let encrypted = codec(&key, Mode::Encrypted);
    let first = seal(&encrypted, secret);
    assert!(!contains(&first));
    assert_ne!(first, seal(&encrypted, secret), "nonces must not repeat");
    assert!(contains(&seal(&codec(&key, Mode::Signed), secret)));
}

#[test]
fn expiry_is_exact_to_the_second_whatever_the_leeway() {
    let key = Key::generate();
    for mode in MODES {
        for leeway in [
            DEFAULT_LEEWAY,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_mins(10),
        ] {
            let codec = codec(&key, mode).with_leeway(leeway);
            let sealed = seal(&codec, b"t");
            let deadline = times().expires_at;
            let last_second = UnixTime::from_secs(deadline.as_secs() - 1);
            assert!(codec.open_bytes(&BINDING, &sealed, last_second).is_ok());
            for now in [
                deadline,
                deadline + Duration::from_secs(1),
                UnixTime::from_secs(u64::MAX),
            ] {
                let result = codec.open_bytes(&BINDING, &sealed, now);
                assert!(
                    matches!(result, Err(Error::Expired)),
                    "{mode:?} {leeway:?} {now:?}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn issue_times_in_the_future_are_tolerated_only_within_the_leeway() {
    let key = Key::generate();
    for mode in MODES {
        for leeway in [DEFAULT_LEEWAY, Duration::ZERO, Duration::from_mins(10)] {
            let codec = codec(&key, mode).with_leeway(leeway);
            let sealed = seal(&codec, b"t");
            let earliest = NOW.as_secs() - leeway.as_secs();
            let opened = codec.open_bytes(&BINDING, &sealed, UnixTime::from_secs(earliest));
            assert_eq!(opened.unwrap().times, times());
            for now in [earliest - 1, earliest - 3600, 0] {
                let result = codec.open_bytes(&BINDING, &sealed, UnixTime::from_secs(now));
                assert!(
                    matches!(result, Err(Error::IssuedInFuture)),
                    "{mode:?} {leeway:?} {now}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn reissued_times_come_back_exactly() {
    let key = Key::generate();
    let first = Times::fresh(UnixTime::from_secs(1_700_000_000), Duration::from_mins(15));
    let later = first.reissued(NOW, Duration::from_hours(1));
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = codec.seal_bytes(&BINDING, later, b"").unwrap();
        let opened = codec.open_bytes(&BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened.times, later);
        assert_eq!(opened.times.created_at.as_secs(), 1_700_000_000);
    }
}

/// `Times` has public fields, so a caller can build one out of order (a
/// server whose clock is behind reissues a session another server created;
/// a session past its absolute timeout gets `expires_at < issued_at`). The
/// envelope must carry such times faithfully or refuse to seal them; it must
/// not hand back different "authenticated" times.
#[test]
fn out_of_order_times_are_never_silently_changed() {
    let key = Key::generate();
    let skewed = Times {
        created_at: UnixTime::from_secs(NOW.as_secs() + 30),
        issued_at: NOW,
        expires_at: NOW + LIFETIME,
    };
    let overdue = Times {
        created_at: UnixTime::from_secs(NOW.as_secs() - 100),
        issued_at: NOW,
        expires_at: UnixTime::from_secs(NOW.as_secs() - 50),
    };
    for mode in MODES {
        let codec = codec(&key, mode);
        for times in [skewed, overdue] {
            let Ok(sealed) = codec.seal_bytes(&BINDING, times, b"") else {
                continue; // refusing to seal is fine
            };
            let opened = codec.open_bytes(&BINDING, &sealed, NOW);
            match opened {
                Ok(opened) => assert_eq!(opened.times, times, "{mode:?}"),
                Err(Error::Expired) => assert!(times.expires_at < NOW),
                Err(e) => panic!("{mode:?} {times:?}: {e}"),
            }
        }
    }
}

#[test]
fn values_over_the_length_limit_are_too_long_before_any_decoding() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        // Not base64 at all, yet the length is what is reported.
        for text in [
            "!".repeat(MAX_SEALED_LEN + 1),
            "A".repeat(MAX_SEALED_LEN + 1),
            "é".repeat(MAX_SEALED_LEN / 2 + 1),
        ] {
            let result = open(&codec, &text);
            assert!(
                matches!(result, Err(Error::TooLong { len, max: MAX_SEALED_LEN }) if len == text.len()),
                "{mode:?}: {result:?}"
            );
        }
        let huge = "A".repeat(10 * MAX_SEALED_LEN);
        assert!(matches!(open(&codec, &huge), Err(Error::TooLong { .. })));
        // At exactly the limit the value is decoded: 3072 zero bytes, whose
        // version byte is 0.
        let at_limit = "A".repeat(MAX_SEALED_LEN);
        assert!(matches!(
            open(&codec, &at_limit),
            Err(Error::UnsupportedVersion(0))
        ));
        // A real value with one more character is too long.
        let max = codec.max_payload_len(times());
        let full = seal(&codec, &vec![1; max]);
        let padded = format!("{full}{}", "A".repeat(MAX_SEALED_LEN + 1 - full.len()));
        assert!(matches!(open(&codec, &padded), Err(Error::TooLong { .. })));
    }
}

#[test]
fn checks_run_in_the_documented_order() {
    let (key, other) = (Key::generate(), Key::generate());
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = seal(&codec, &[0xff, 0xff]); // not a CBOR document
        let expired = times().expires_at + Duration::from_hours(1);
        // Authentication before the times: another binding is unauthentic
        // even when it is also expired.
        let elsewhere = Binding::new("other", "cookie");
        let result = codec.open_bytes(&elsewhere, &sealed, expired);
        assert!(matches!(result, Err(Error::Unauthentic)), "{result:?}");
        // Key id before authentication.
        let result = Codec::new(other.clone())
            .with_mode(mode)
            .open_bytes(&elsewhere, &sealed, expired);
        assert!(matches!(result, Err(Error::UnknownKey)), "{result:?}");
        // Times before CBOR.
        let result = codec.open::<ciborium::Value>(&BINDING, &sealed, expired);
        assert!(matches!(result, Err(Error::Expired)), "{result:?}");
        let result = codec.open::<ciborium::Value>(&BINDING, &sealed, UnixTime::from_secs(0));
        assert!(matches!(result, Err(Error::IssuedInFuture)), "{result:?}");
        let result = codec.open::<ciborium::Value>(&BINDING, &sealed, NOW);
        assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
    }
}

#[test]
fn codec_debug_shows_no_secret() {
    let key = Key::generate();
    let codec = Codec::new(KeyRing::new(key.clone()).with_old(Key::generate()));
    let debug = format!("{codec:?}");
    assert!(!debug.contains(&key.to_text()), "{debug}");
    assert!(debug.contains(&key.id().to_string()), "{debug}");
}
