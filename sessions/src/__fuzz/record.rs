//! `decode_record`: the one byte format of server-side records.

use super::input::Input;
use crate::error::Error;
use crate::id::{ID_LEN, SessionId};
use crate::store::{Record, Times, UnixTime};

/// Decodes `data` as a record under an id and limit it chooses, then
/// encodes a record it chooses and decodes that under the right id, a
/// neighbouring id and a limit.
///
/// Properties: decoding never panics; a record that decodes has a payload
/// within the limit and is the one encoding of itself; a record encoded
/// for one id never decodes under another; one over the limit is
/// [`Error::RecordTooLarge`], even from its [`Record::read_limit`] prefix.
pub fn decode_record(data: &[u8]) {
    decode_arbitrary(data);
    decode_encoded(data);
}

/// Layout: the id (32 bytes), the limit (u16, all ones for no limit), then
/// the bytes to decode.
fn decode_arbitrary(data: &[u8]) {
    let mut input = Input::new(data);
    let id = id_from(input.take(ID_LEN));
    let max_len = limit(input.u16());
    let bytes = input.rest();
    match Record::decode(bytes, &id, max_len) {
        Ok(record) => {
            assert!(record.payload.len() <= max_len, "over the limit");
            assert_eq!(record.encode(&id), bytes, "a second encoding decoded");
        }
        Err(Error::RecordTooLarge { len, max }) => assert!(len > max && max == max_len),
        Err(Error::Decode(_)) => {}
        Err(error) => panic!("unexpected error: {error:?}"),
    }
}

/// Layout: which bit of the id to flip for the wrong id (one byte), the
/// limit (u16), three times (u64 each), then the payload.
fn decode_encoded(data: &[u8]) {
    let mut input = Input::new(data);
    let flip = input.byte();
    let max_len = limit(input.u16());
    let times = Times {
        created_at: UnixTime::from_secs(input.u64()),
        issued_at: UnixTime::from_secs(input.u64()),
        expires_at: UnixTime::from_secs(input.u64()),
    };
    let record = Record::new(input.rest().to_vec(), times);
    let id = id_from(&[0x5a; ID_LEN]);
    let bytes = record.encode(&id);

    let mut other = *id.as_bytes();
    other[usize::from(flip / 8)] ^= 1 << (flip % 8);
    let decoded = Record::decode(&bytes, &id_from(&other), usize::MAX);
    assert!(
        matches!(decoded, Err(Error::Decode(_))),
        "moved to another id"
    );

    let prefix = &bytes[..bytes.len().min(Record::read_limit(max_len))];
    for bytes in [&bytes[..], prefix] {
        match Record::decode(bytes, &id, max_len) {
            Ok(decoded) => assert_eq!(decoded, record),
            Err(Error::RecordTooLarge { len, max }) => {
                assert_eq!((len, max), (record.payload.len(), max_len));
                assert!(len > max);
            }
            Err(error) => panic!("a record failed to decode: {error:?}"),
        }
    }
}

/// An id from up to [`ID_LEN`] bytes, zero-padded.
fn id_from(bytes: &[u8]) -> SessionId {
    let mut raw = [0u8; ID_LEN];
    raw[..bytes.len()].copy_from_slice(bytes);
    SessionId::from_bytes(&raw).expect("exactly ID_LEN bytes")
}

/// A payload limit: `u16::MAX` stands for no limit at all.
fn limit(word: u16) -> usize {
    if word == u16::MAX {
        usize::MAX
    } else {
        usize::from(word)
    }
}
