//! The byte layout of a sealed value, before base64url.
//!
//! ```text
//! version (1) | key id (4) | issued-at | expires-at − issued-at | issued-at − created-at | body
//! ```
//!
//! The three times are unsigned LEB128 varints: a session issued now with a
//! week to live costs 5 + 3 + 1 bytes instead of 24. The body is
//! `nonce (12) | ciphertext | tag (16)` when encrypted and `payload | tag (32)`
//! when signed. Everything before the body is authenticated as part of the
//! associated data, so the varints need no canonical form.

use super::time::{Times, UnixTime};
use crate::key::{KEY_ID_LEN, KeyId};

/// The format version this build writes and reads.
pub(crate) const VERSION: u8 = 1;

const MAX_VARINT_LEN: usize = 10;

/// The longest header: version, key id and three ten-byte varints.
pub(crate) const MAX_HEADER_LEN: usize = 1 + KEY_ID_LEN + 3 * MAX_VARINT_LEN;

/// The parsed header of a sealed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) key_id: KeyId,
    pub(crate) times: Times,
}

impl Header {
    /// Writes the header into `out` and returns its length.
    pub(crate) fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        let Times {
            created_at,
            issued_at,
            expires_at,
        } = self.times;
        let issued = issued_at.as_secs();
        out[0] = VERSION;
        out[1..=KEY_ID_LEN].copy_from_slice(self.key_id.as_bytes());
        let mut len = 1 + KEY_ID_LEN;
        for value in [
            issued,
            expires_at.as_secs().saturating_sub(issued),
            issued.saturating_sub(created_at.as_secs()),
        ] {
            len += write_varint(value, &mut out[len..]);
        }
        len
    }

    /// The key id of a raw value whose version byte has been checked.
    pub(crate) fn key_id(raw: &[u8]) -> Option<KeyId> {
        let bytes = raw.get(1..=KEY_ID_LEN)?;
        Some(KeyId(bytes.try_into().ok()?))
    }

    /// Parses the header after the version and key id; `None` when the
    /// bytes cannot be a header we wrote. Returns the header and its length.
    pub(crate) fn decode(raw: &[u8]) -> Option<(Self, usize)> {
        let key_id = Self::key_id(raw)?;
        let mut pos = 1 + KEY_ID_LEN;
        let mut next = || {
            let (value, used) = read_varint(raw.get(pos..)?)?;
            pos += used;
            Some(value)
        };
        let issued = next()?;
        let expires = issued.checked_add(next()?)?;
        let created = issued.checked_sub(next()?)?;
        let times = Times {
            created_at: UnixTime::from_secs(created),
            issued_at: UnixTime::from_secs(issued),
            expires_at: UnixTime::from_secs(expires),
        };
        Some((Self { key_id, times }, pos))
    }
}

fn write_varint(mut value: u64, out: &mut [u8]) -> usize {
    let mut len = 0;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out[len] = low;
            return len + 1;
        }
        out[len] = low | 0x80;
        len += 1;
    }
}

/// Reads one LEB128 varint; `None` on a truncated or overflowing one.
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (index, &byte) in bytes.iter().take(MAX_VARINT_LEN).enumerate() {
        let shift = 7 * index;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return None; // would overflow 64 bits
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

/// Writes the associated data: every field length-prefixed (u32, big
/// endian) so that no two different bindings encode to the same bytes.
pub(crate) fn associated_data(fields: [&[u8]; 4], out: &mut Vec<u8>) {
    out.clear();
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(created: u64, issued: u64, expires: u64) -> Header {
        Header {
            key_id: KeyId([1, 2, 3, 4]),
            times: Times {
                created_at: UnixTime::from_secs(created),
                issued_at: UnixTime::from_secs(issued),
                expires_at: UnixTime::from_secs(expires),
            },
        }
    }

    #[test]
    fn header_round_trips_at_the_edges() {
        for h in [
            header(0, 0, 0),
            header(1_700_000_000, 1_700_000_500, 1_700_604_800),
            header(0, u64::MAX, u64::MAX),
            header(u64::MAX, u64::MAX, u64::MAX),
        ] {
            let mut buf = [0u8; MAX_HEADER_LEN];
            let len = h.encode(&mut buf);
            assert_eq!(Header::decode(&buf[..len]), Some((h, len)));
        }
    }

    #[test]
    fn a_week_long_session_header_is_small() {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let len = header(1_800_000_000, 1_800_000_000, 1_800_604_800).encode(&mut buf);
        assert_eq!(len, 1 + 4 + 5 + 3 + 1);
    }

    #[test]
    fn truncated_and_overflowing_varints_are_rejected() {
        assert_eq!(read_varint(&[0x80]), None);
        assert_eq!(read_varint(&[0xff; 10]), None);
        assert_eq!(
            read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            None
        );
        assert_eq!(
            read_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Some((u64::MAX, 10))
        );
        assert_eq!(Header::decode(&[1, 0, 0, 0, 0, 5]), None);
    }

    #[test]
    fn associated_data_is_injective_across_field_boundaries() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        associated_data([b"x", b"ab", b"c", b""], &mut a);
        associated_data([b"x", b"a", b"bc", b""], &mut b);
        assert_ne!(a, b);
    }
}
