//! Hostile sealed values: every bit flipped, every truncation, extension and
//! malformed text gets the exact typed error; and hostile CBOR behind a valid
//! MAC is refused by the bounded decoder without exhausting stack or memory.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;

use super::super::{Codec, MAX_DEPTH, Mode, Times, UnixTime};
use super::{BINDING, Failure, MODES, NOW, open_value, seal_value};
use crate::codec::OpenError;
use crate::{Error, Key};

fn times() -> Times {
    Times {
        created_at: UnixTime::from_secs(NOW.as_secs() - 1000),
        issued_at: NOW,
        expires_at: NOW + Duration::from_hours(1),
    }
}

/// A codec and the raw bytes of a value it sealed (a CBOR document, so that
/// both `open_bytes` and `open` apply).
fn sealed_raw(mode: Mode) -> (Codec, Vec<u8>) {
    let codec = Codec::new(Key::generate()).with_mode(mode);
    let sealed = seal_value(&codec, &BINDING, times(), &("ada", 42u64, [1u8, 2, 3])).unwrap();
    assert!(!sealed.contains('='), "no padding: {sealed}");
    let raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
    (codec, raw)
}

/// Opens `sealed` both ways and checks that both fail the same way.
fn open_both(codec: &Codec, sealed: &str) -> OpenError {
    let bytes = codec.open_bytes(&BINDING, sealed, NOW);
    let typed = open_value::<Value>(codec, &BINDING, sealed, NOW);
    let (Err(bytes), Err(Failure::Open(typed))) = (bytes, typed) else {
        panic!("{sealed:?} opened, or failed after the envelope");
    };
    assert_eq!(bytes, typed);
    check_display(&bytes);
    bytes
}

fn open_raw(codec: &Codec, raw: &[u8]) -> OpenError {
    open_both(codec, &URL_SAFE_NO_PAD.encode(raw))
}

/// Errors from untrusted input say what kind of input was rejected, never
/// where or which check failed.
fn check_display(err: &OpenError) {
    let text = err.to_string();
    let lower = text.to_lowercase();
    for word in [
        "byte", "index", "offset", "position", "bit", "tag", "mac", "nonce", "hmac", "gcm",
    ] {
        assert!(
            !lower
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == word),
            "{text}"
        );
    }
    match err {
        OpenError::UnsupportedVersion(v) => {
            assert_eq!(text, format!("unsupported envelope version {v}"));
        }
        OpenError::Unauthentic => {
            assert_eq!(text, "sealed value failed authentication");
            assert!(err.source().is_none());
            assert_eq!(format!("{err:?}"), "Unauthentic");
        }
        OpenError::Malformed | OpenError::UnknownKey => {
            assert!(!text.contains(|c: char| c.is_ascii_digit()), "{text}");
            assert!(err.source().is_none());
        }
        other => panic!("unexpected error for a tampered value: {other:?}"),
    }
}

#[test]
fn the_untampered_value_opens() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        let sealed = URL_SAFE_NO_PAD.encode(&raw);
        let opened: (String, u64, Vec<u8>) = open_value(&codec, &BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened, ("ada".to_owned(), 42, vec![1, 2, 3]));
    }
}

#[test]
fn every_bit_flip_is_rejected_with_the_error_of_its_field() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        for index in 0..raw.len() {
            for bit in 0..8 {
                let mut tampered = raw.clone();
                tampered[index] ^= 1 << bit;
                let err = open_raw(&codec, &tampered);
                let expected = match index {
                    0 => matches!(err, OpenError::UnsupportedVersion(v) if v == 1 ^ (1 << bit)),
                    1..=4 => matches!(err, OpenError::UnknownKey),
                    _ => matches!(err, OpenError::Unauthentic),
                };
                assert!(expected, "{mode:?} byte {index} bit {bit}: {err:?}");
            }
        }
    }
}

#[test]
fn every_byte_value_in_every_position_is_rejected() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        // Every position, a spread of replacement values (all 256 for the
        // version byte).
        for index in 0..raw.len() {
            let values: Vec<u8> = if index == 0 {
                (0..=255).collect()
            } else {
                vec![0x00, 0x55, 0x80, 0xff]
            };
            for value in values.into_iter().filter(|&v| v != raw[index]) {
                let mut tampered = raw.clone();
                tampered[index] = value;
                let err = open_raw(&codec, &tampered);
                let expected = match index {
                    0 => matches!(err, OpenError::UnsupportedVersion(v) if v == value),
                    1..=4 => matches!(err, OpenError::UnknownKey),
                    _ => matches!(err, OpenError::Unauthentic),
                };
                assert!(expected, "{mode:?} byte {index} = {value:#04x}: {err:?}");
            }
        }
    }
}

/// Truncated raw values: an empty value is `Malformed`; a version byte without a
/// whole key id is `Malformed` too (the code asks for all four id bytes
/// before looking the key up); from the key id on, the value fails
/// authentication (a header cut short is reported the same way as a bad tag).
#[test]
fn every_truncation_is_rejected() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        for len in 0..raw.len() {
            let err = open_raw(&codec, &raw[..len]);
            let expected = match len {
                0..=4 => matches!(err, OpenError::Malformed),
                _ => matches!(err, OpenError::Unauthentic),
            };
            assert!(expected, "{mode:?} truncated to {len} bytes: {err:?}");
        }
    }
}

/// Truncating the text instead: lengths that are not base64url (one
/// character past a group, or non-zero trailing bits) are `Malformed`; the
/// rest behaves like the raw truncation.
#[test]
fn every_truncation_of_the_text_is_rejected() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        let sealed = URL_SAFE_NO_PAD.encode(&raw);
        for len in 0..sealed.len() {
            let err = open_both(&codec, &sealed[..len]);
            let expected = match URL_SAFE_NO_PAD.decode(&sealed[..len]) {
                Err(_) => matches!(err, OpenError::Malformed),
                Ok(raw) if raw.len() <= 4 => matches!(err, OpenError::Malformed),
                Ok(_) => matches!(err, OpenError::Unauthentic),
            };
            assert!(expected, "{mode:?} cut to {len} characters: {err:?}");
        }
    }
}

#[test]
fn extended_values_are_unauthentic() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        for extra in [
            &[0x00][..],
            &[0xff],
            &[0x01],
            &raw[raw.len() - 1..],
            &[0; 16],
            &[0; 32],
        ] {
            let err = open_raw(&codec, &[&raw[..], extra].concat());
            assert!(
                matches!(err, OpenError::Unauthentic),
                "{mode:?} + {extra:02x?}: {err:?}"
            );
            let err = open_raw(&codec, &[extra, &raw[..]].concat());
            assert!(
                !matches!(err, OpenError::Malformed),
                "{mode:?} {extra:02x?} + value: {err:?}"
            );
        }
        // Dropping the last byte and appending another.
        let mut swapped = raw.clone();
        *swapped.last_mut().unwrap() ^= 0x80;
        swapped.push(raw[raw.len() - 1]);
        assert!(matches!(open_raw(&codec, &swapped), OpenError::Unauthentic));
    }
}

#[test]
fn text_that_is_not_base64url_is_malformed() {
    for mode in MODES {
        let (codec, raw) = sealed_raw(mode);
        let sealed = URL_SAFE_NO_PAD.encode(&raw);
        let standard = base64::engine::general_purpose::STANDARD.encode(&raw);
        let mut cases = vec![
            String::new(),
            "!!!".into(),
            "a b".into(),
            "=".into(),
            "A".into(),
            "AQ==".into(),
            format!("{sealed}="),
            format!("{sealed}=="),
            format!(" {sealed}"),
            format!("{sealed}\n"),
            format!("{}.{}", &sealed[..10], &sealed[10..]),
            format!("{}+{}", &sealed[..10], &sealed[11..]),
            format!("{}/{}", &sealed[..11], &sealed[12..]),
            format!("{}é", &sealed[..sealed.len() - 1]),
        ];
        if standard != sealed {
            cases.push(standard);
        }
        for case in cases {
            let err = open_both(&codec, &case);
            assert!(
                matches!(err, OpenError::Malformed),
                "{mode:?} {case:?}: {err:?}"
            );
        }
        // Short but well-formed base64url: the version byte alone.
        assert!(matches!(open_both(&codec, "AQ"), OpenError::Malformed));
        assert!(matches!(
            open_both(&codec, "AA"),
            OpenError::UnsupportedVersion(0)
        ));
    }
}

// Hostile CBOR behind a valid MAC: `seal_bytes` seals any bytes, and
// decoding must then refuse them as `Decode` without crashing.

fn codecs() -> [Codec; 2] {
    let key = Key::generate();
    MODES.map(|mode| Codec::new(key.clone()).with_mode(mode))
}

fn open_cbor<T: serde::de::DeserializeOwned>(codec: &Codec, cbor: &[u8]) -> Result<T, Error> {
    let sealed = codec.seal_bytes(&BINDING, times(), cbor).unwrap();
    open_value::<T>(codec, &BINDING, &sealed, NOW).map_err(Failure::into_decode)
}

fn assert_decode<T: serde::de::DeserializeOwned + std::fmt::Debug>(codec: &Codec, cbor: &[u8]) {
    match open_cbor::<T>(codec, cbor) {
        Err(err @ Error::Decode(_)) => {
            assert!(err.source().is_some(), "Decode keeps its source");
            assert_eq!(err.to_string(), "payload could not be decoded");
        }
        other => panic!(
            "{:?} {} bytes {:02x?}: {other:?}",
            codec.mode(),
            cbor.len(),
            &cbor[..cbor.len().min(16)]
        ),
    }
}

fn nested(prefix: &[u8], depth: usize, leaf: &[u8]) -> Vec<u8> {
    [prefix.repeat(depth), leaf.to_vec()].concat()
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for codec in codecs() {
        // 100_000 levels do not fit in a cookie at all.
        let bomb = nested(&[0x81], 100_000, &[0x00]);
        let err = codec.seal_bytes(&BINDING, times(), &bomb).unwrap_err();
        assert!(
            matches!(err, Error::PayloadTooLarge { len: 100_001, .. }),
            "{err:?}"
        );
        // The deepest nesting that does fit.
        let max = codec.max_payload_len(times());
        assert_decode::<Value>(&codec, &nested(&[0x81], max - 1, &[0x00]));
        assert_decode::<Value>(&codec, &nested(&[0xa1, 0x00], (max - 1) / 2, &[0x00]));
        assert_decode::<Value>(&codec, &nested(&[0xc6], max - 1, &[0x00]));
        assert_decode::<Vec<Value>>(&codec, &nested(&[0x81], max - 1, &[0x00]));
    }
}

#[test]
fn nesting_up_to_max_depth_opens_and_one_more_is_refused() {
    for codec in codecs() {
        for depth in 0..=MAX_DEPTH {
            let value: Value = open_cbor(&codec, &nested(&[0x81], depth, &[0x00])).unwrap();
            let mut inner = &value;
            for _ in 0..depth {
                let Value::Array(items) = inner else {
                    panic!("{value:?}")
                };
                inner = &items[0];
            }
            assert_eq!(inner, &Value::Integer(0.into()));
            // Maps and tags count as levels too.
            open_cbor::<Value>(&codec, &nested(&[0xa1, 0x00], depth, &[0x00])).unwrap();
            open_cbor::<Value>(&codec, &nested(&[0xd8, 0x64], depth, &[0x00])).unwrap();
        }
        for prefix in [&[0x81][..], &[0xa1, 0x00], &[0xd8, 0x64], &[0x82, 0x00]] {
            assert_decode::<Value>(&codec, &nested(prefix, MAX_DEPTH + 1, &[0x00]));
        }
        // Mixed: arrays inside maps inside tags.
        let mixed = nested(&[0x81, 0xa1, 0x00, 0xd8, 0x64], MAX_DEPTH / 3 + 1, &[0x00]);
        assert_decode::<Value>(&codec, &mixed);
    }
}

#[test]
fn length_prefixes_beyond_the_input_are_refused_without_allocating() {
    // Arguments of 2^32 - 1, 2^32, 2^63 and 2^64 - 1 for byte strings, text
    // strings, arrays and maps.
    let claims: [&[u8]; 4] = [
        &[0x1a, 0xff, 0xff, 0xff, 0xff],
        &[0x1b, 0, 0, 0, 1, 0, 0, 0, 0],
        &[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0],
        &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ];
    for codec in codecs() {
        for major in [0x40u8, 0x60, 0x80, 0xa0] {
            for claim in claims {
                let mut doc = [&[major | claim[0]][..], &claim[1..]].concat();
                doc.extend_from_slice(&[0x00; 64]);
                assert_decode::<Value>(&codec, &doc);
                assert_decode::<Vec<u8>>(&codec, &doc);
                assert_decode::<String>(&codec, &doc);
                assert_decode::<Vec<u64>>(&codec, &doc);
                assert_decode::<BTreeMap<u64, u64>>(&codec, &doc);
            }
            // One more than what is there.
            let doc = [major | 0x18, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let doc = if major == 0xa0 {
                [&doc[..], &[0; 10]].concat()
            } else {
                doc.to_vec()
            };
            assert_decode::<Value>(&codec, &doc);
        }
        // Nested claims, each within what remains, together beyond it.
        let doc = [0x98, 0x05, 0x98, 0x04, 0x00, 0x00, 0x00, 0x00];
        assert_decode::<Value>(&codec, &doc);
        assert_decode::<Vec<Vec<u8>>>(&codec, &doc);
    }
}

/// ciborium writes indefinite lengths when serde gives none (`#[serde(flatten)]`,
/// iterators), so well-formed ones must open; broken ones must not.
#[test]
fn indefinite_lengths_open_when_well_formed_and_are_refused_when_broken() {
    let well_formed: [&[u8]; 5] = [
        &[0x9f, 0x01, 0xff],
        &[0xbf, 0x01, 0x02, 0xff],
        &[0x5f, 0x41, 0x00, 0xff],
        &[0x7f, 0x61, 0x61, 0xff],
        &[0x9f, 0xff],
    ];
    let broken: [&[u8]; 5] = [
        &[0xff],
        &[0x9f, 0x01],
        &[0x1f],
        &[0x5f, 0x61, 0x61, 0xff],
        &[0xbf, 0x01, 0xff],
    ];
    for codec in codecs() {
        for doc in well_formed {
            assert!(open_cbor::<Value>(&codec, doc).is_ok(), "{doc:02x?}");
        }
        for doc in broken {
            assert_decode::<Value>(&codec, doc);
        }
    }
}

#[test]
fn trailing_bytes_and_truncated_documents_are_refused() {
    let mut doc = Vec::new();
    ciborium::into_writer(&("ada", 42u64, vec!["admin"]), &mut doc).unwrap();
    for codec in codecs() {
        assert_eq!(
            open_cbor::<(String, u64, Vec<String>)>(&codec, &doc).unwrap(),
            ("ada".to_owned(), 42, vec!["admin".to_owned()])
        );
        for trailer in [&[0x00][..], &[0xff], &doc] {
            assert_decode::<(String, u64, Vec<String>)>(&codec, &[&doc[..], trailer].concat());
            assert_decode::<Value>(&codec, &[&doc[..], trailer].concat());
        }
        for len in 0..doc.len() {
            assert_decode::<Value>(&codec, &doc[..len]);
        }
        // Reserved additional information and lone breaks.
        for doc in [&[0x1c][..], &[0x3d], &[0xfc], &[0x81, 0xff], &[0xf8]] {
            assert_decode::<Value>(&codec, doc);
        }
    }
}

#[test]
fn a_valid_document_of_the_wrong_type_is_a_decode_error() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "only the shape matters")]
    struct Account {
        id: u64,
        name: String,
    }

    let mut text = Vec::new();
    ciborium::into_writer("not a number", &mut text).unwrap();
    let mut tuple = Vec::new();
    ciborium::into_writer(&("ada", 42u64), &mut tuple).unwrap();
    for codec in codecs() {
        assert_decode::<u64>(&codec, &text);
        assert_decode::<Vec<u8>>(&codec, &text);
        assert_decode::<Account>(&codec, &text);
        assert_decode::<Account>(&codec, &tuple);
        assert_decode::<(u64, String)>(&codec, &tuple);
        assert_decode::<u8>(&codec, &[0x19, 0x01, 0x00]); // 256
        assert_decode::<String>(&codec, &[0x62, 0xff, 0xfe]); // not UTF-8
        assert_decode::<Value>(&codec, &[]); // no document at all
    }
}
