//! The envelope end to end, through the crate-private API the stores use.
//!
//! - `roundtrip`: sizes up to the limit, typed values, key rotation,
//!   bindings and modes.
//! - `checks`: the time checks, the length limit, the order of the checks.
//! - `tamper`: bit flips, truncations, extensions, malformed text, and
//!   hostile CBOR behind a valid seal.
//! - `props`: the same properties over generated inputs.
//! - `vectors`: the fixed vectors of `tests/vectors/`, sealed and opened.
//!
//! Session payloads are CBOR that the caller encodes before sealing and
//! decodes after opening (`state.rs` does); [`seal_value`] and
//! [`open_value`] do the same here.

mod checks;
mod props;
mod roundtrip;
mod tamper;
mod vectors;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::seal::Opened;
use super::{
    Binding, Codec, MAX_RAW_LEN, Mode, OpenError, Times, UnixTime, decode_cbor, encode_cbor,
};
use crate::error::Result;
use crate::key::{KEY_ID_LEN, Key, KeyId};

const MODES: [Mode; 2] = [Mode::Encrypted, Mode::Signed];
const BINDING: Binding<'static> = Binding::new("user", "cookie");
const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);
const LIFETIME: Duration = Duration::from_hours(7 * 24);

/// A week from [`NOW`].
fn times() -> Times {
    Times::fresh(NOW, LIFETIME)
}

fn codec(key: &Key, mode: Mode) -> Codec {
    Codec::new(key.clone()).with_mode(mode)
}

/// `payload` sealed under [`BINDING`] for a week from [`NOW`].
fn seal(codec: &Codec, payload: &[u8]) -> String {
    codec
        .seal_bytes(&BINDING, times(), payload)
        .expect("a small payload seals")
}

fn open(codec: &Codec, sealed: &str) -> std::result::Result<Opened, OpenError> {
    codec.open_bytes(&BINDING, sealed, NOW)
}

/// Encodes `value` as CBOR and seals it.
fn seal_value<T: Serialize + ?Sized>(
    codec: &Codec,
    binding: &Binding<'_>,
    times: Times,
    value: &T,
) -> Result<String> {
    codec.seal_bytes(binding, times, &encode_cbor(value, 0)?)
}

/// Why [`open_value`] failed: the envelope refused the value, or its
/// authentic payload did not decode.
#[derive(Debug)]
enum Failure {
    Open(OpenError),
    Decode(crate::Error),
}

impl Failure {
    /// The decoding error of a value that was sealed by the test itself,
    /// and so must open.
    fn into_decode(self) -> crate::Error {
        match self {
            Self::Decode(error) => error,
            Self::Open(refusal) => panic!("a value sealed here opens, but: {refusal}"),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open(refusal) => refusal.fmt(f),
            Self::Decode(error) => error.fmt(f),
        }
    }
}

/// Opens `sealed` and decodes its CBOR payload under the decoder's limits.
fn open_value<T: DeserializeOwned>(
    codec: &Codec,
    binding: &Binding<'_>,
    sealed: &str,
    now: UnixTime,
) -> std::result::Result<T, Failure> {
    let opened = codec
        .open_bytes(binding, sealed, now)
        .map_err(Failure::Open)?;
    decode_cbor(&opened.value, MAX_RAW_LEN).map_err(Failure::Decode)
}

/// The key id a sealed value carries, right after the version byte.
fn key_id_of(sealed: &str) -> KeyId {
    let raw = URL_SAFE_NO_PAD
        .decode(sealed)
        .expect("sealed text is base64url");
    KeyId(raw[1..=KEY_ID_LEN].try_into().expect("a whole key id"))
}
