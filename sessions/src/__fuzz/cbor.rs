//! `cbor_precheck`: the bounded CBOR pre-check in front of ciborium.

use std::collections::BTreeMap;
use std::mem::size_of;

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::input::Input;
use crate::codec::{decode_cbor, encode_cbor};

/// A session type as users derive them: options, strings, lists of
/// structs, a map, an enum with data, bytes and a tuple (no floats, so
/// that equality is exact).
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Typical {
    user_id: Option<u64>,
    name: String,
    roles: Vec<String>,
    notices: Vec<Notice>,
    prefs: BTreeMap<String, i64>,
    theme: Theme,
    token: Option<Vec<u8>>,
    visits: (u32, i16),
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Notice {
    level: u8,
    text: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
enum Theme {
    Light,
    Dark,
    Custom { accent: String },
}

/// Room for fixed-size blocks whatever the input: B-tree nodes, a
/// vector's first capacity.
const FIXED_ALLOCATIONS: usize = 4096;

/// Decodes `data` (after a two-byte size limit) into a [`Value`] and into
/// a typical session struct.
///
/// Properties: decoding never panics; whatever decodes re-encodes and
/// decodes again (a `Value` to the same bytes, the struct to an equal
/// struct); and no single allocation made while decoding is larger than
/// two element slots per input byte. `largest_allocation` returns the
/// largest allocation since its previous call, or `None` where that cannot
/// be measured (this crate forbids the `unsafe` a counting allocator needs,
/// so only the fuzz target measures).
pub fn cbor_precheck(data: &[u8], largest_allocation: fn() -> Option<usize>) {
    let mut input = Input::new(data);
    let max_len = usize::from(input.u16());
    let doc = input.rest();
    // Every length the pre-check lets through is at most the input's, and a
    // vector grows to at most twice what it holds.
    let bound = (2 * doc.len()) * size_of::<(Value, Value)>() + FIXED_ALLOCATIONS;
    let within_bound = |what: &str| {
        if let Some(largest) = largest_allocation() {
            assert!(largest <= bound, "{what}: allocated {largest} > {bound}");
        }
    };

    largest_allocation();
    let value = decode_cbor::<Value>(doc, max_len);
    within_bound("Value");
    if let Ok(value) = value {
        check_value_round_trip(&value);
    }

    largest_allocation();
    let typical = decode_cbor::<Typical>(doc, max_len);
    within_bound("Typical");
    if let Ok(typical) = typical {
        assert_eq!(round_trip(&typical), typical);
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    encode_cbor(value, 0).expect("what decoded encodes")
}

/// ciborium normalizes on the way: a bignum tag over a chunked byte string
/// stays a tag when first decoded and becomes an integer once re-encoded in
/// one chunk (a fuzzer find: `[_ 2(h'ff' as chunks), "b"]`). So the first
/// re-encoding must decode, and from the second on the bytes are a fixed
/// point.
fn check_value_round_trip(value: &Value) {
    let first = encode(value);
    let second = encode(&round_trip_bytes::<Value>(&first));
    let third = encode(&round_trip_bytes::<Value>(&second));
    assert_eq!(third, second, "a Value re-encodes differently");
}

fn round_trip_bytes<T: DeserializeOwned>(bytes: &[u8]) -> T {
    decode_cbor(bytes, usize::MAX).expect("re-encoded value decodes")
}

fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    round_trip_bytes(&encode(value))
}
