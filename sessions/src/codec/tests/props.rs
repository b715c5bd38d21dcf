//! Properties of the codec over generated inputs: whatever seals opens to
//! the same value under the same binding and only there, and no input makes
//! opening panic or succeed without a valid seal.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;
use proptest::collection::vec;
use proptest::prelude::*;

use super::super::{Binding, Codec, MAX_DEPTH, MAX_SEALED_LEN, Mode, Times, UnixTime};
use super::{BINDING, Failure, key_id_of, open_value, seal_value};
use crate::codec::OpenError;
use crate::{Error, Key};

static KEY: LazyLock<Key> = LazyLock::new(Key::generate);

fn codec(mode: Mode) -> Codec {
    Codec::new(KEY.clone()).with_mode(mode)
}

fn modes() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Encrypted), Just(Mode::Signed)]
}

/// Ordered times whose varints take from one to ten bytes.
fn times() -> impl Strategy<Value = Times> {
    let secs = prop_oneof![
        0..1u64 << 7,
        1_700_000_000..1_900_000_000u64,
        0..=u64::MAX / 2
    ];
    (secs, any::<u32>(), any::<u32>()).prop_map(|(issued, age, lifetime)| Times {
        created_at: UnixTime::from_secs(issued.saturating_sub(age.into())),
        issued_at: UnixTime::from_secs(issued),
        expires_at: UnixTime::from_secs(issued) + Duration::from_secs(lifetime.into()),
    })
}

/// Sealed with the real key at a fixed time, for the typed properties.
fn fixed_times() -> Times {
    Times::fresh(UnixTime::from_secs(1_800_000_000), Duration::from_hours(1))
}

/// CBOR values without floats (NaN is not equal to itself) and without the
/// bignum tags 2 and 3 (ciborium reads those back as integers), nested well
/// under `MAX_DEPTH`.
fn cbor_values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| Value::Integer(n.into())),
        any::<u64>().prop_map(|n| Value::Integer(n.into())),
        ".{0,20}".prop_map(Value::Text),
        vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((inner.clone(), inner.clone()), 0..4).prop_map(Value::Map),
            (4..u64::MAX, inner).prop_map(|(tag, v)| Value::Tag(tag, Box::new(v))),
        ]
    })
}

type Wide = (
    BTreeMap<String, i64>,
    Vec<(i32, char)>,
    Option<Vec<u8>>,
    u128,
    i128,
);

fn cbor(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// Opening bytes that were sealed with a valid MAC but may be any CBOR: a
/// value or a `Decode` error, nothing else.
fn open_hostile(mode: Mode, payload: &[u8]) -> Result<(), TestCaseError> {
    let codec = codec(mode);
    let times = fixed_times();
    prop_assume!(payload.len() <= codec.max_payload_len(times));
    let sealed = codec.seal_bytes(&BINDING, times, payload).unwrap();
    let now = times.issued_at;
    for result in [
        open_value::<Value>(&codec, &BINDING, &sealed, now).map(drop),
        open_value::<(String, Vec<u64>, Option<bool>)>(&codec, &BINDING, &sealed, now).map(drop),
        open_value::<BTreeMap<String, Vec<u8>>>(&codec, &BINDING, &sealed, now).map(drop),
    ] {
        prop_assert!(
            matches!(result, Ok(()) | Err(Failure::Decode(Error::Decode(_)))),
            "{result:?}"
        );
    }
    Ok(())
}

/// Opening text that was not sealed by us: an error, never a panic, never a value.
fn open_forged(sealed: &str) -> Result<OpenError, TestCaseError> {
    let mut first = None;
    for mode in [Mode::Encrypted, Mode::Signed] {
        let codec = codec(mode);
        let now = UnixTime::from_secs(1_800_000_000);
        let bytes = codec.open_bytes(&BINDING, sealed, now);
        prop_assert!(bytes.is_err(), "{sealed:?} opened as bytes");
        let typed = open_value::<Value>(&codec, &BINDING, sealed, now);
        prop_assert!(typed.is_err(), "{sealed:?} opened as a value");
        first.get_or_insert(bytes.unwrap_err());
    }
    Ok(first.expect("two modes were tried"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn bytes_round_trip(
        payload in vec(any::<u8>(), 0..=3000),
        name in any::<String>(),
        kind in any::<String>(),
        mode in modes(),
        times in times(),
    ) {
        let codec = codec(mode);
        let binding = Binding::new(&name, &kind);
        let max = codec.max_payload_len(times);
        let sealed = codec.seal_bytes(&binding, times, &payload);
        if payload.len() > max {
            let err = sealed.unwrap_err();
            let expected = matches!(
                err,
                Error::PayloadTooLarge { len, max: m } if len == payload.len() && m == max
            );
            prop_assert!(expected, "{:?}", err);
        } else {
            let sealed = sealed.unwrap();
            prop_assert!(sealed.len() <= MAX_SEALED_LEN);
            let opened = codec.open_bytes(&binding, &sealed, times.issued_at).unwrap();
            prop_assert_eq!(opened.value, payload);
            prop_assert_eq!(opened.times, times);
            prop_assert_eq!(key_id_of(&sealed), KEY.id());
            prop_assert!(opened.by_primary);
        }
    }

    #[test]
    fn a_value_opens_under_no_other_binding(
        (name, kind) in ("[ab]{0,3}", "[ab]{0,3}"),
        (other_name, other_kind) in ("[ab]{0,3}", "[ab]{0,3}"),
        mode in modes(),
    ) {
        prop_assume!((&name, &kind) != (&other_name, &other_kind));
        let codec = codec(mode);
        let times = fixed_times();
        let sealed = codec.seal_bytes(&Binding::new(&name, &kind), times, b"x").unwrap();
        let other = Binding::new(&other_name, &other_kind);
        let result = codec.open_bytes(&other, &sealed, times.issued_at);
        prop_assert!(matches!(result, Err(OpenError::Unauthentic)), "{result:?}");
    }

    #[test]
    fn typed_values_round_trip(
        value in (".{0,100}", vec(any::<u64>(), 0..100), any::<Option<bool>>()),
        mode in modes(),
        times in times(),
    ) {
        let codec = codec(mode);
        let sealed = seal_value(&codec, &BINDING, times, &value).unwrap();
        let opened: (String, Vec<u64>, Option<bool>) =
            open_value(&codec, &BINDING, &sealed, times.issued_at).unwrap();
        prop_assert_eq!(opened, value);
        let opened = codec.open_bytes(&BINDING, &sealed, times.issued_at).unwrap();
        prop_assert_eq!(opened.times, times);
    }

    #[test]
    fn maps_and_wide_integers_round_trip(
        value in (
            proptest::collection::btree_map(".{0,8}", any::<i64>(), 0..20),
            vec((any::<i32>(), any::<char>()), 0..20),
            any::<Option<Vec<u8>>>(),
            any::<u128>(),
            any::<i128>(),
        ),
        mode in modes(),
    ) {
        let codec = codec(mode);
        let sealed = seal_value(&codec, &BINDING, fixed_times(), &value).unwrap();
        let opened = open_value::<Wide>(&codec, &BINDING, &sealed, fixed_times().issued_at).unwrap();
        prop_assert_eq!(opened, value);
    }

    #[test]
    fn cbor_values_round_trip(value in cbor_values(), mode in modes()) {
        let codec = codec(mode);
        let sealed = seal_value(&codec, &BINDING, fixed_times(), &value).unwrap();
        let opened = open_value::<Value>(&codec, &BINDING, &sealed, fixed_times().issued_at).unwrap();
        prop_assert_eq!(opened, value);
    }

    #[test]
    fn arbitrary_text_never_opens(text in any::<String>()) {
        open_forged(&text)?;
    }

    #[test]
    fn arbitrary_base64url_text_never_opens(text in "[A-Za-z0-9_-]{0,120}") {
        open_forged(&text)?;
    }

    #[test]
    fn arbitrary_bytes_never_open(raw in vec(any::<u8>(), 0..400)) {
        let err = open_forged(&URL_SAFE_NO_PAD.encode(&raw))?;
        let expected = match raw.as_slice() {
            [] | [1] | [1, _] | [1, _, _] | [1, _, _, _] => matches!(err, OpenError::Malformed),
            [1, ..] => matches!(err, OpenError::UnknownKey | OpenError::Unauthentic),
            [v, ..] => matches!(err, OpenError::UnsupportedVersion(got) if got == *v),
        };
        prop_assert!(expected, "{:02x?}: {:?}", &raw[..raw.len().min(8)], err);
    }

    #[test]
    fn bytes_under_the_real_key_id_are_unauthentic(rest in vec(any::<u8>(), 0..3200)) {
        let raw = [&[1][..], KEY.id().as_bytes(), &rest].concat();
        let sealed = URL_SAFE_NO_PAD.encode(&raw);
        let err = open_forged(&sealed)?;
        if sealed.len() > MAX_SEALED_LEN {
            let expected = matches!(err, OpenError::TooLong { len, .. } if len == sealed.len());
            prop_assert!(expected, "{err:?}");
        } else {
            prop_assert!(matches!(err, OpenError::Unauthentic), "{err:?}");
        }
    }

    #[test]
    fn plausible_headers_under_the_real_key_id_are_unauthentic(
        times in times(),
        body in vec(any::<u8>(), 0..200),
        mode in modes(),
    ) {
        // A real header (sealed for another binding), with a forged body.
        let codec = codec(mode);
        let sealed = codec.seal_bytes(&Binding::new("other", "kind"), times, b"").unwrap();
        let raw = URL_SAFE_NO_PAD.decode(sealed).unwrap();
        let header_len = raw.len() - match mode { Mode::Encrypted => 28, Mode::Signed => 32 };
        let forged = URL_SAFE_NO_PAD.encode([&raw[..header_len], &body].concat());
        let result = codec.open_bytes(&BINDING, &forged, times.issued_at);
        prop_assert!(matches!(result, Err(OpenError::Unauthentic)), "{result:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn long_text_never_opens(text in "[A-Za-z0-9_-]{4000,4200}") {
        let err = open_forged(&text)?;
        if text.len() > MAX_SEALED_LEN {
            prop_assert!(matches!(err, OpenError::TooLong { .. }), "{err:?}");
        }
    }

    #[test]
    fn any_authentic_bytes_open_as_cbor_or_fail_to_decode(
        payload in vec(any::<u8>(), 0..600),
        mode in modes(),
    ) {
        open_hostile(mode, &payload)?;
    }

    #[test]
    fn mutated_cbor_opens_or_fails_to_decode(
        value in cbor_values(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        mode in modes(),
    ) {
        let mut doc = cbor(&value);
        for (index, byte) in edits {
            let i = index.index(doc.len());
            doc[i] = byte;
        }
        open_hostile(mode, &doc)?;
    }

    #[test]
    fn cbor_headers_in_any_order_open_or_fail_to_decode(
        parts in vec(prop_oneof![
            // Container and string headers with small or huge arguments.
            (0u8..8, 0u8..32).prop_map(|(major, info)| vec![major << 5 | info]),
            (0u8..8, any::<u64>())
                .prop_map(|(major, n)| [&[major << 5 | 0x1b][..], &n.to_be_bytes()].concat()),
            (0u8..8, any::<u8>()).prop_map(|(major, n)| vec![major << 5 | 0x18, n]),
            Just(vec![0xff]),
        ], 0..100),
        mode in modes(),
    ) {
        open_hostile(mode, &parts.concat())?;
    }

    #[test]
    fn nesting_depth_decides_alone(
        depth in 0..MAX_DEPTH * 2,
        prefix in prop_oneof![Just(0x81u8), Just(0xc6u8)],
    ) {
        let doc = [vec![prefix; depth], vec![0x00]].concat();
        let codec = codec(Mode::Signed);
        let sealed = codec.seal_bytes(&BINDING, fixed_times(), &doc).unwrap();
        let result = open_value::<Value>(&codec, &BINDING, &sealed, fixed_times().issued_at);
        if depth <= MAX_DEPTH {
            prop_assert!(result.is_ok(), "{depth}: {result:?}");
        } else {
            let refused = matches!(result, Err(Failure::Decode(Error::Decode(_))));
            prop_assert!(refused, "{depth}: {result:?}");
        }
    }
}
