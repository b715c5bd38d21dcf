//! The record format, byte by byte.

use std::io;

use super::*;

fn record(payload: &[u8]) -> Record {
    let times = Times {
        created_at: UnixTime::from_secs(1),
        issued_at: UnixTime::from_secs(2),
        expires_at: UnixTime::from_secs(u64::MAX),
    };
    Record::new(payload.to_vec(), times)
}

fn zero_id() -> SessionId {
    SessionId::from_bytes(&[0; ID_LEN]).expect("32 bytes are an id")
}

#[test]
fn the_layout_is_pinned() {
    let bytes = record(b"abc").with_version(0x0102).encode(&zero_id());
    assert_eq!(&bytes[..8], b"SESS\x04\0\0\0");
    // SHA-256("sessions record id\0" || 32 zero bytes): a change here
    // is a format change and needs a version bump.
    let digest = id_digest(&zero_id());
    assert_eq!(&bytes[DIGEST_AT..VERSION_AT], &digest);
    assert_eq!(digest[..4], [0xb6, 0x14, 0x14, 0x9f]);
    assert_eq!(bytes[VERSION_AT..OWNER_AT], 0x0102u64.to_be_bytes());
    assert_eq!(bytes[OWNER_AT..TIMES_AT], [0; 32], "no owner");
    assert_eq!(bytes[TIMES_AT..TIMES_AT + 8], 1u64.to_be_bytes());
    assert_eq!(bytes[LEN_AT - 8..LEN_AT], u64::MAX.to_be_bytes());
    assert_eq!(bytes[LEN_AT..HEADER_LEN], 3u64.to_be_bytes());
    assert_eq!(&bytes[HEADER_LEN..], b"abc");
    assert_eq!(
        (VERSION_AT, OWNER_AT, TIMES_AT, LEN_AT, HEADER_LEN),
        (40, 48, 80, 104, 112)
    );
}

#[test]
fn the_version_round_trips_whole() {
    let id = zero_id();
    for version in [0, 1, 2, 0x0102_0304_0506_0708, u64::MAX] {
        let record = record(b"v").with_version(version);
        let decoded = Record::decode(&record.encode(&id), &id, 10).unwrap();
        assert_eq!((decoded.version, &decoded), (version, &record));
    }
}

#[test]
fn older_formats_are_refused() {
    let id = zero_id();
    let format_error = |bytes: &[u8]| {
        let Err(Error::Decode(source)) = Record::decode(bytes, &id, 100) else {
            panic!("another format must not decode");
        };
        source.to_string()
    };
    let good = record(&[7; 20]).encode(&id);
    for format in [1, 2, 3, 5] {
        let mut bytes = good.clone();
        bytes[4] = format;
        assert!(format_error(&bytes).ends_with("unsupported format version"));
    }
    // A format 2 record as it was written: no version, 72 bytes of
    // header; and format 3: no owner, 80 bytes.
    let mut v2 = good[..VERSION_AT].to_vec();
    v2[4] = 2;
    v2.extend_from_slice(&good[TIMES_AT..]);
    assert_eq!(v2.len(), 72 + 20);
    assert!(format_error(&v2).ends_with("unsupported format version"));
    let mut v3 = good[..OWNER_AT].to_vec();
    v3[4] = 3;
    v3.extend_from_slice(&good[TIMES_AT..]);
    assert_eq!(v3.len(), 80 + 20);
    assert!(format_error(&v3).ends_with("unsupported format version"));
}

#[test]
fn the_owner_round_trips_and_none_is_zeros() {
    let id = zero_id();
    let ada = OwnerId::new("user", "ada");
    let owned = record(b"o").with_owner(Some(ada));
    let bytes = owned.encode(&id);
    assert_eq!(&bytes[OWNER_AT..TIMES_AT], ada.as_bytes());
    let decoded = Record::decode(&bytes, &id, 10).unwrap();
    assert_eq!((decoded.owner, &decoded), (Some(ada), &owned));
    let unowned = Record::decode(&record(b"o").encode(&id), &id, 10).unwrap();
    assert_eq!(unowned.owner, None);
}

#[test]
fn every_damaged_byte_of_the_header_is_refused() {
    let id = zero_id();
    let good = record(b"xy").encode(&id);
    // Magic, format, reserved, digest, and the length (with room for
    // the length it now claims, so that only the mismatch fails). The
    // version and the times are any number.
    let damage = [0, 3, 4, 5, 7, DIGEST_AT, VERSION_AT - 1, HEADER_LEN - 1];
    for at in damage {
        let mut bytes = good.clone();
        bytes[at] ^= 0x01;
        let err = Record::decode(&bytes, &id, 10).unwrap_err();
        assert!(is_corrupt(&err), "byte {at}: {err:?}");
    }
}

#[test]
fn lengths_must_match_exactly() {
    let id = zero_id();
    let good = record(b"xy").encode(&id);
    for bad in [&good[..HEADER_LEN - 1], &good[..good.len() - 1], &[][..]] {
        assert!(is_corrupt(&Record::decode(bad, &id, 10).unwrap_err()));
    }
    let longer = [&good[..], &[0]].concat();
    assert!(is_corrupt(&Record::decode(&longer, &id, 10).unwrap_err()));
}

#[test]
fn a_huge_declared_length_is_too_large_not_a_panic() {
    let id = zero_id();
    let mut bytes = record(b"").encode(&id);
    bytes[LEN_AT..HEADER_LEN].copy_from_slice(&u64::MAX.to_be_bytes());
    let err = Record::decode(&bytes, &id, usize::MAX - 1).unwrap_err();
    assert!(matches!(err, Error::RecordTooLarge { .. }), "{err:?}");
    assert_eq!(Record::read_limit(usize::MAX), usize::MAX);
}

#[test]
fn a_payload_of_exactly_the_limit_decodes() {
    let id = SessionId::generate();
    let bytes = record(&[9; 10]).encode(&id);
    assert_eq!(bytes.len(), Record::read_limit(10) - 1);
    assert_eq!(Record::decode(&bytes, &id, 10).unwrap(), record(&[9; 10]));
}

#[test]
fn corrupt_errors_do_not_match_other_errors() {
    assert!(is_corrupt(&corrupt("x")));
    assert!(!is_corrupt(&Error::Decode("cbor".into())));
    assert!(!is_corrupt(&Error::Backend("network".into())));
    assert!(!is_corrupt(&Error::Io(io::ErrorKind::Other.into())));
}

#[test]
fn errors_never_name_the_id() {
    let (alice, bob) = (SessionId::generate(), SessionId::generate());
    let bytes = record(b"x").encode(&alice);
    let Err(Error::Decode(source)) = Record::decode(&bytes, &bob, 10) else {
        panic!("a record of another id must not decode");
    };
    let message = source.to_string();
    assert_eq!(
        message,
        "not a valid session record: written under another id"
    );
    assert!(!message.contains(&alice.to_string()) && !message.contains(&bob.to_string()));
}
