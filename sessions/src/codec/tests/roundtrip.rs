//! Round trips in both modes at every size up to the limit, typed values,
//! key rotation, bindings and modes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::{Binding, Codec, MAX_SEALED_LEN, Mode, Times, UnixTime};
use super::{BINDING, MODES, NOW, codec, key_id_of, open, open_value, seal, seal_value, times};
use crate::codec::OpenError;
use crate::{Error, Key, KeyRing};

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
                // base64url without padding: safe in a cookie value as it is.
                assert!(
                    sealed
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
                    "{mode:?} {len}: {sealed}"
                );
                let opened = codec
                    .open_bytes(&BINDING, &sealed, times.issued_at)
                    .unwrap_or_else(|e| panic!("{mode:?} {len}/{max}: {e}"));
                assert_eq!(opened.value, payload, "{mode:?} {len}");
                assert_eq!(opened.times, times);
                assert_eq!(key_id_of(&sealed), key.id());
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
        let sealed = seal_value(&codec, &BINDING, times(), &value).unwrap();
        let opened = open_value::<User>(&codec, &BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened, value, "{mode:?}");
        let opened = codec.open_bytes(&BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened.times, times());
        assert_eq!(key_id_of(&sealed), key.id());
        assert!(opened.by_primary);

        let sealed = seal_value(&codec, &BINDING, times(), &()).unwrap();
        open_value::<()>(&codec, &BINDING, &sealed, NOW).unwrap();
        let sealed = seal_value(&codec, &BINDING, times(), "just text").unwrap();
        let text = open_value::<String>(&codec, &BINDING, &sealed, NOW).unwrap();
        assert_eq!(text, "just text");
    }
}

#[test]
fn typed_values_are_the_cbor_of_the_value() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = seal_value(&codec, &BINDING, times(), &user()).unwrap();
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

/// Whatever seals must open to the same value: a value the decoder will
/// refuse must be refused when sealing (as `Encode`), not sealed into a
/// cookie that never opens.
fn assert_sealed_values_open<T>(value: &T)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        match seal_value(&codec, &BINDING, times(), value) {
            Ok(sealed) => {
                let opened = open_value::<T>(&codec, &BINDING, &sealed, NOW);
                let opened = opened.unwrap_or_else(|e| panic!("{mode:?}: sealed, then {e:?}"));
                assert_eq!(&opened, value, "{mode:?}");
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
        let sealed = seal_value(&codec, &BINDING, times(), &fits).unwrap();
        assert_eq!(
            open_value::<String>(&codec, &BINDING, &sealed, NOW).unwrap(),
            fits
        );
        for extra in [1, 2, 1000] {
            let text = "x".repeat(max - 3 + extra);
            let err = seal_value(&codec, &BINDING, times(), &text).unwrap_err();
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
        assert_eq!(key_id_of(&sealed), a.id());
        assert!(!opened.by_primary, "{mode:?}");

        let resealed = after
            .seal_bytes(&BINDING, opened.times, &opened.value)
            .unwrap();
        let reopened = open(&after, &resealed).unwrap();
        assert_eq!(reopened.value, b"rotate me");
        assert_eq!(key_id_of(&resealed), b.id());
        assert!(reopened.by_primary, "{mode:?}");

        // Once A leaves the ring, its values are unknown, and the values the
        // old ring cannot know about are unknown to it.
        let without_a = codec(&b, mode);
        assert!(matches!(
            open(&without_a, &sealed),
            Err(OpenError::UnknownKey)
        ));
        assert!(open(&without_a, &resealed).unwrap().by_primary);
        assert!(matches!(
            open(&before, &resealed),
            Err(OpenError::UnknownKey)
        ));
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
            let sealed = seal(&codec(key, mode), b"x");
            assert_eq!(key_id_of(&sealed), key.id());
            let opened = open(&ring_codec, &sealed).unwrap();
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
            Err(OpenError::UnknownKey)
        ));

        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert_eq!(&raw[1..5], a.id().as_bytes());
        raw[1..5].copy_from_slice(b.id().as_bytes());
        let spliced = URL_SAFE_NO_PAD.encode(&raw);
        assert!(matches!(
            open(&codec(&b, mode), &spliced),
            Err(OpenError::Unauthentic)
        ));
        let ring = Codec::new(KeyRing::new(a.clone()).with_old(b.clone())).with_mode(mode);
        assert!(matches!(open(&ring, &spliced), Err(OpenError::Unauthentic)));
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
                        matches!(result, Err(OpenError::Unauthentic)),
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
        assert!(matches!(
            open(&signed, &sealed),
            Err(OpenError::Unauthentic)
        ));
        let sealed = seal(&signed, payload);
        assert!(matches!(
            open(&encrypted, &sealed),
            Err(OpenError::Unauthentic)
        ));
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
fn codec_debug_shows_no_secret() {
    let key = Key::generate();
    let codec = Codec::new(KeyRing::new(key.clone()).with_old(Key::generate()));
    let debug = format!("{codec:?}");
    assert!(!debug.contains(&key.to_text()), "{debug}");
    assert!(debug.contains(&key.id().to_string()), "{debug}");
}
