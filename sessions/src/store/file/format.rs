//! The record file: a fixed binary header, then the payload.
//!
//! ```text
//! offset  size  field
//!      0     4  magic "SESS"
//!      4     1  format version (1)
//!      5     3  reserved, zero
//!      8     8  created_at, seconds since the epoch, big endian
//!     16     8  issued_at
//!     24     8  expires_at
//!     32     8  payload length in bytes
//!     40     -  payload
//! ```
//!
//! Files are never written in place (temp file, then rename), so a file
//! that does not match its header was not written by this store: reading
//! reports it, it never guesses.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};

use crate::codec::{Times, UnixTime};
use crate::error::{Error, Result};
use crate::store::Record;

/// The first bytes of every record file.
const MAGIC: [u8; 4] = *b"SESS";
/// The format this build writes and reads.
const VERSION: u8 = 1;
/// Bytes before the payload.
pub(super) const HEADER_LEN: usize = 40;
const _: () = assert!(
    HEADER_LEN == MAGIC.len() + 1 + 3 + 4 * 8,
    "magic, version, reserved, three times and a length"
);

/// A record file that this build cannot read: foreign, truncated, from
/// another format version. Kept as the source of [`Error::Decode`]; it
/// never names the file, whose name is a session id.
#[derive(Debug)]
pub(super) struct CorruptRecord(&'static str);

impl fmt::Display for CorruptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session file is not a valid record: {}", self.0)
    }
}

impl std::error::Error for CorruptRecord {}

/// Whether `error` reports a file that is not a valid record.
pub(super) fn is_corrupt(error: &Error) -> bool {
    matches!(error, Error::Decode(source) if source.is::<CorruptRecord>())
}

fn corrupt(reason: &'static str) -> Error {
    Error::Decode(Box::new(CorruptRecord(reason)))
}

/// What the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) times: Times,
    pub(super) payload_len: u64,
}

/// The whole file for `record`, or [`Error::RecordTooLarge`] when its
/// payload passes `max`.
pub(super) fn encode(record: &Record, max: usize) -> Result<Vec<u8>> {
    let len = record.payload.len();
    if len > max {
        return Err(Error::RecordTooLarge { len, max });
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + len);
    bytes.extend_from_slice(&MAGIC);
    bytes.push(VERSION);
    bytes.extend_from_slice(&[0; 3]);
    let times = record.times;
    for time in [times.created_at, times.issued_at, times.expires_at] {
        bytes.extend_from_slice(&time.as_secs().to_be_bytes());
    }
    bytes.extend_from_slice(&(len as u64).to_be_bytes());
    debug_assert_eq!(bytes.len(), HEADER_LEN);
    bytes.extend_from_slice(&record.payload);
    Ok(bytes)
}

/// Parses a header and checks it against the length of the whole file.
pub(super) fn decode_header(bytes: &[u8; HEADER_LEN], file_len: u64) -> Result<Header> {
    if bytes[..4] != MAGIC {
        return Err(corrupt("wrong magic"));
    }
    if bytes[4] != VERSION {
        return Err(corrupt("unsupported format version"));
    }
    if bytes[5..8] != [0; 3] {
        return Err(corrupt("reserved bytes are set"));
    }
    let word = |at: usize| {
        let mut buf = [0; 8];
        buf.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(buf)
    };
    let header = Header {
        times: Times {
            created_at: UnixTime::from_secs(word(8)),
            issued_at: UnixTime::from_secs(word(16)),
            expires_at: UnixTime::from_secs(word(24)),
        },
        payload_len: word(32),
    };
    if file_len.checked_sub(HEADER_LEN as u64) != Some(header.payload_len) {
        return Err(corrupt("length does not match the header"));
    }
    Ok(header)
}

/// Reads and checks the header of an open record file; the position is
/// left at the payload. No size limit: enough to judge expiry.
pub(super) fn read_header(file: &mut File) -> Result<Header> {
    let file_len = file.metadata()?.len();
    if file_len < HEADER_LEN as u64 {
        return Err(corrupt("shorter than the header"));
    }
    let mut bytes = [0; HEADER_LEN];
    read_exact(file, &mut bytes)?;
    decode_header(&bytes, file_len)
}

/// Reads the payload after [`read_header`], refusing payloads over `max`
/// before reading them.
pub(super) fn read_payload(file: &mut File, header: &Header, max: usize) -> Result<Vec<u8>> {
    let len = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
    if len > max {
        return Err(Error::RecordTooLarge { len, max });
    }
    let mut payload = vec![0; len];
    read_exact(file, &mut payload)?;
    Ok(payload)
}

fn read_exact(file: &mut File, buf: &mut [u8]) -> Result<()> {
    file.read_exact(buf).map_err(|error| match error.kind() {
        // Only another writer changing the file in place gets here.
        io::ErrorKind::UnexpectedEof => corrupt("file ended early"),
        _ => Error::Io(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(payload: &[u8]) -> Record {
        let times = Times {
            created_at: UnixTime::from_secs(1),
            issued_at: UnixTime::from_secs(2),
            expires_at: UnixTime::from_secs(u64::MAX),
        };
        Record::new(payload.to_vec(), times)
    }

    fn header_of(bytes: &[u8]) -> Result<Header> {
        let head: &[u8; HEADER_LEN] = bytes[..HEADER_LEN].try_into().unwrap();
        decode_header(head, bytes.len() as u64)
    }

    #[test]
    fn header_round_trips_and_is_big_endian() {
        let record = record(b"abc");
        let bytes = encode(&record, 3).unwrap();
        assert_eq!(&bytes[..8], b"SESS\x01\0\0\0");
        assert_eq!(bytes[8..16], 1u64.to_be_bytes());
        assert_eq!(bytes[32..40], 3u64.to_be_bytes());
        assert_eq!(&bytes[HEADER_LEN..], b"abc");
        let header = header_of(&bytes).unwrap();
        assert_eq!(header.times, record.times);
        assert_eq!(header.payload_len, 3);
    }

    #[test]
    fn encode_refuses_payloads_over_the_limit() {
        let err = encode(&record(&[0; 5]), 4).unwrap_err();
        assert!(matches!(err, Error::RecordTooLarge { len: 5, max: 4 }));
    }

    #[test]
    fn every_damaged_header_is_corrupt() {
        let good = encode(&record(b"xy"), 2).unwrap();
        let damage: [(usize, u8); 4] = [(0, b's'), (4, 2), (5, 1), (39, 3)];
        for (at, byte) in damage {
            let mut bytes = good.clone();
            bytes[at] = byte;
            let err = header_of(&bytes).unwrap_err();
            assert!(is_corrupt(&err), "byte {at}: {err:?}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(is_corrupt(&header_of(&longer).unwrap_err()));
    }

    #[test]
    fn corrupt_errors_do_not_match_other_backend_errors() {
        assert!(is_corrupt(&corrupt("x")));
        assert!(!is_corrupt(&Error::Decode("cbor".into())));
        assert!(!is_corrupt(&Error::Backend("network".into())));
        assert!(!is_corrupt(&Error::Io(io::ErrorKind::Other.into())));
    }
}
