//! The byte layout of a sealed value, before base64url.
//!
//! ```text
//! version (1) | key id (4) | issued-at | expires-at − issued-at | issued-at − created-at | body
//! ```
//!
//! The three times are LEB128 varints: issued-at as is, the two differences
//! zigzag-encoded, so that times out of order (a server with a slow clock
//! reissuing a session) round-trip exactly. A session issued now with a week
//! to live costs 5 + 3 + 1 bytes instead of 24. The body is
//! `nonce (12) | ciphertext | tag (16)` when encrypted and `payload | tag (32)`
//! when signed. Everything before the body is authenticated as part of the
//! associated data, so the varints need no canonical form.

use super::time::{Times, UnixTime};
use crate::key::{KEY_ID_LEN, KeyId};

/// The format version this build writes and reads.
pub(crate) const VERSION: u8 = 1;

/// A `u128` takes at most 19 seven-bit groups.
const MAX_VARINT_LEN: usize = 19;

/// The longest header: version, key id and three varints.
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
            u128::from(issued),
            zigzag(delta(issued, expires_at.as_secs())),
            zigzag(delta(issued, created_at.as_secs())),
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
        let issued = u64::try_from(next()?).ok()?;
        let expires = apply(issued, unzigzag(next()?))?;
        let created = apply(issued, unzigzag(next()?))?;
        let times = Times {
            created_at: UnixTime::from_secs(created),
            issued_at: UnixTime::from_secs(issued),
            expires_at: UnixTime::from_secs(expires),
        };
        Some((Self { key_id, times }, pos))
    }
}

/// `to - from`, exact: any two `u64`s differ by less than 2^64.
fn delta(from: u64, to: u64) -> i128 {
    i128::from(to) - i128::from(from)
}

/// `from + delta`, when that is a `u64`.
fn apply(from: u64, delta: i128) -> Option<u64> {
    u64::try_from(i128::from(from).checked_add(delta)?).ok()
}

/// Signed to unsigned with small magnitudes kept small: 0, -1, 1, -2...
fn zigzag(value: i128) -> u128 {
    ((value << 1) ^ (value >> 127)).cast_unsigned()
}

fn unzigzag(value: u128) -> i128 {
    (value >> 1).cast_signed() ^ -((value & 1).cast_signed())
}

fn write_varint(mut value: u128, out: &mut [u8]) -> usize {
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
fn read_varint(bytes: &[u8]) -> Option<(u128, usize)> {
    let mut value = 0u128;
    for (index, &byte) in bytes.iter().take(MAX_VARINT_LEN).enumerate() {
        let shift = 7 * index;
        let bits = u128::from(byte & 0x7f);
        if shift == 126 && bits > 0b11 {
            return None; // would overflow 128 bits
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
        out.extend_from_slice(&length_prefix(field));
        out.extend_from_slice(field);
    }
}

/// Room for the associated data of usual cookie names and store kinds,
/// on the stack.
pub(crate) const INLINE_AAD_LEN: usize = 128;

/// The same bytes as [`associated_data`], in `inline` when they fit (no
/// allocation per seal or open), else in `spill`.
pub(crate) fn associated_data_in<'a>(
    fields: [&[u8]; 4],
    inline: &'a mut [u8; INLINE_AAD_LEN],
    spill: &'a mut Vec<u8>,
) -> &'a [u8] {
    let len: usize = fields.iter().map(|field| 4 + field.len()).sum();
    if len > INLINE_AAD_LEN {
        associated_data(fields, spill);
        return spill;
    }
    let mut pos = 0;
    for field in fields {
        inline[pos..pos + 4].copy_from_slice(&length_prefix(field));
        inline[pos + 4..pos + 4 + field.len()].copy_from_slice(field);
        pos += 4 + field.len();
    }
    &inline[..len]
}

fn length_prefix(field: &[u8]) -> [u8; 4] {
    u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes()
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
            header(u64::MAX, 0, u64::MAX),
            header(500, 400, 300),
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
        assert_eq!(read_varint(&[0xff; 19]), None);
        assert_eq!(
            read_varint(&[[0xff; 18].as_slice(), &[0x04]].concat()),
            None
        );
        assert_eq!(
            read_varint(&[[0xff; 18].as_slice(), &[0x03]].concat()),
            Some((u128::MAX, 19))
        );
        // An issued-at beyond u64 is not a header we wrote.
        let mut raw = vec![1, 0, 0, 0, 0];
        raw.extend([0xff; 9]);
        raw.extend([0x7f, 0, 0]);
        assert_eq!(Header::decode(&raw), None);
        assert_eq!(Header::decode(&[1, 0, 0, 0, 0, 5]), None);
    }

    #[test]
    fn zigzag_round_trips_the_extremes() {
        for value in [0, 1, -1, i128::from(u64::MAX), -i128::from(u64::MAX)] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn associated_data_is_injective_across_field_boundaries() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        associated_data([b"x", b"ab", b"c", b""], &mut a);
        associated_data([b"x", b"a", b"bc", b""], &mut b);
        for (fields, vec) in [
            ([&b"x"[..], b"ab", b"c", b""], &a),
            ([&b"x"[..], b"a", b"bc", b""], &b),
        ] {
            let (mut inline, mut spill) = ([0; INLINE_AAD_LEN], Vec::new());
            assert_eq!(associated_data_in(fields, &mut inline, &mut spill), vec);
        }
        let long = [7u8; INLINE_AAD_LEN];
        let (mut inline, mut spill) = ([0; INLINE_AAD_LEN], Vec::new());
        let mut expected = Vec::new();
        associated_data([b"x", &long, b"c", b""], &mut expected);
        assert_eq!(
            associated_data_in([b"x", &long, b"c", b""], &mut inline, &mut spill),
            expected
        );
        assert_ne!(a, b);
    }
}
