//! Bounded CBOR: a structural pre-check, then ciborium.
//!
//! ciborium trusts length prefixes as size hints and recurses once per
//! nesting level. Before a payload reaches it, [`check`] walks the document
//! once, without recursion and without allocating, and rejects it unless
//! every length fits in the bytes that remain and nesting stays under the
//! limit. After that, no allocation can be larger than the input.

use std::cell::RefCell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Deepest nesting of arrays, maps and tags a payload may have.
pub(crate) const MAX_DEPTH: usize = 32;

/// Why a CBOR document was refused before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Larger than the size limit.
    TooLarge { len: usize, max: usize },
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A length prefix claims more than the bytes that remain.
    LengthBeyondInput,
    /// Truncated, trailing bytes, a misplaced break or reserved encodings.
    Malformed,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => write!(f, "CBOR document of {len} bytes, limit {max}"),
            Self::TooDeep => write!(f, "CBOR nested deeper than {MAX_DEPTH} levels"),
            Self::LengthBeyondInput => write!(f, "CBOR length prefix exceeds the input"),
            Self::Malformed => write!(f, "malformed CBOR"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Encodes `value` as CBOR into a new vector of `capacity` bytes to start
/// with (a guess of the length saves the reallocations of growing).
///
/// What saves must load: a document the decoder would refuse (nested
/// deeper than [`MAX_DEPTH`]) is an encoding error here, at save time,
/// rather than a session that silently starts afresh on the next request.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(capacity);
    ciborium::into_writer(value, &mut out).map_err(|e| Error::Encode(Box::new(e)))?;
    check(&out, usize::MAX).map_err(|refusal| Error::Encode(Box::new(refusal)))?;
    Ok(out)
}

/// Checks `bytes` against the limits, then decodes them with ciborium.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], max_len: usize) -> Result<T> {
    check(bytes, max_len).map_err(|refusal| Error::Decode(Box::new(refusal)))?;
    with_scratch(|scratch| ciborium::de::from_reader_with_buffer(bytes, scratch))
        .map_err(|e| Error::Decode(Box::new(e)))
}

/// Size of ciborium's scratch buffer, its own default: text and byte
/// strings are read through it in chunks of this size.
const SCRATCH_LEN: usize = 4096;

thread_local! {
    /// One scratch buffer per thread, reused by every decode. ciborium's
    /// other entry points zero a fresh 4 KiB array on each call, which was
    /// a tenth of the instructions of a whole request through the layer
    /// (callgrind, `benches/src/bin/reqcost.rs`). Nothing is read from it
    /// that the decode did not write first.
    static SCRATCH: RefCell<[u8; SCRATCH_LEN]> = const { RefCell::new([0; SCRATCH_LEN]) };
}

/// Runs `decode` with this thread's scratch buffer, or with a fresh one if
/// a decode on this thread is already using it (a `Deserialize` impl that
/// decodes a session payload itself).
///
/// ciborium's buffered entry point keeps its default recursion limit (256
/// levels); [`check`] has already refused anything nested deeper than
/// [`MAX_DEPTH`], so that limit is never what stops a document.
fn with_scratch<T>(decode: impl FnOnce(&mut [u8]) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => decode(&mut scratch[..]),
        Err(_) => decode(&mut [0; SCRATCH_LEN]),
    })
}

/// Walks one CBOR data item spanning all of `bytes`, enforcing the limits.
pub(crate) fn check(bytes: &[u8], max_len: usize) -> Result<(), Refusal> {
    if bytes.len() > max_len {
        return Err(Refusal::TooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    // pending[d] = items still expected at depth d (or UNTIL_BREAK for an
    // indefinite-length container); depth 0 holds the one top-level item.
    let mut pending = [0u64; MAX_DEPTH + 1];
    pending[0] = 1;
    let mut depth = 0;
    let mut pos = 0;
    while pending[depth] > 0 {
        if pending[depth] == UNTIL_BREAK && bytes.get(pos) == Some(&BREAK) {
            pos += 1;
            pending[depth] = 0;
        } else {
            if pending[depth] != UNTIL_BREAK {
                pending[depth] -= 1;
            }
            let children = item(bytes, &mut pos)?;
            if children > 0 {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Refusal::TooDeep);
                }
                pending[depth] = children;
            }
        }
        while depth > 0 && pending[depth] == 0 {
            depth -= 1;
        }
    }
    if pos == bytes.len() {
        Ok(())
    } else {
        Err(Refusal::Malformed)
    }
}

/// Children of an indefinite-length item: as many as come before a break.
const UNTIL_BREAK: u64 = u64::MAX;

/// The "break" stop code that ends an indefinite-length item.
const BREAK: u8 = 0xff;

/// Additional info 31: an indefinite length (or, alone, a break).
const INDEFINITE: u8 = 31;

/// Reads one item header at `pos`, skips any string body, and returns how
/// many child items follow it.
fn item(bytes: &[u8], pos: &mut usize) -> Result<u64, Refusal> {
    let initial = *bytes.get(*pos).ok_or(Refusal::Malformed)?;
    *pos += 1;
    let (major, info) = (initial >> 5, initial & 0x1f);
    if info == INDEFINITE {
        // ciborium writes these when serde gives no length (`#[serde(flatten)]`,
        // iterators): strings as chunks, arrays and maps until a break.
        return match major {
            2..=5 => Ok(UNTIL_BREAK),
            _ => Err(Refusal::Malformed),
        };
    }
    let argument = argument(bytes, pos, info)?;
    let remaining = (bytes.len() - *pos) as u64;
    match major {
        2 | 3 => {
            if argument > remaining {
                return Err(Refusal::LengthBeyondInput);
            }
            *pos += usize::try_from(argument).map_err(|_| Refusal::LengthBeyondInput)?;
            Ok(0)
        }
        // Every element takes at least one byte, so a count larger than what
        // remains is a lie.
        4 if argument <= remaining => Ok(argument),
        5 if argument.saturating_mul(2) <= remaining => Ok(argument * 2),
        4 | 5 => Err(Refusal::LengthBeyondInput),
        6 => Ok(1),
        // 0, 1: integers; 7: simple values and floats. The argument was the
        // whole item.
        _ => Ok(0),
    }
}

/// Reads the argument that follows an initial byte with additional info `info`.
fn argument(bytes: &[u8], pos: &mut usize, info: u8) -> Result<u64, Refusal> {
    let width = match info {
        0..=23 => return Ok(u64::from(info)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        // 28..=30 are reserved.
        _ => return Err(Refusal::Malformed),
    };
    let slice = bytes.get(*pos..*pos + width).ok_or(Refusal::Malformed)?;
    *pos += width;
    Ok(slice.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cbor<T: Serialize>(value: &T) -> Vec<u8> {
        encode(value, 0).unwrap()
    }

    #[test]
    fn accepts_what_ciborium_writes() {
        let mut map = BTreeMap::new();
        map.insert("k".to_owned(), vec![Some(1.5f64), None]);
        let docs = [
            cbor(&0u8),
            cbor(&u64::MAX),
            cbor(&-5i64),
            cbor(&"text"),
            cbor(&vec![1u8; 300]),
            cbor(&map),
            cbor(&(true, (), 'c', [[[[1u8]]]])),
        ];
        for doc in docs {
            assert_eq!(check(&doc, 4096), Ok(()), "{doc:02x?}");
        }
    }

    /// Enums of every serde representation, a bignum (a tag), floats of
    /// every width and a hash map: whatever ciborium writes passes the check
    /// and decodes to the same value.
    #[test]
    fn everything_ciborium_writes_decodes_back() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        enum Kind {
            Unit,
            Newtype(u8),
            Tuple(i32, String),
            Struct { a: Option<bool>, b: Vec<u16> },
        }
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        #[serde(untagged)]
        enum Either {
            Number(u32),
            List(Vec<Either>),
        }
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        #[serde(tag = "t")]
        enum Tagged {
            X { v: u8 },
            Y,
        }
        type Rich = (
            Vec<Kind>,
            Vec<Either>,
            Vec<Tagged>,
            (u128, i128, char, Vec<u8>),
            (f32, f64, f64, f64, f64),
            std::collections::HashMap<String, Vec<bool>>,
        );
        let value: Rich = (
            vec![
                Kind::Unit,
                Kind::Newtype(7),
                Kind::Tuple(-9, "t".to_owned()),
                Kind::Struct {
                    a: None,
                    b: vec![1, 300],
                },
            ],
            vec![Either::Number(5), Either::List(vec![Either::Number(1)])],
            vec![Tagged::X { v: 1 }, Tagged::Y],
            (u128::MAX, i128::MIN, 'é', (0..=255).collect()),
            (1.5, 0.1, -0.0, 65504.0, f64::NEG_INFINITY),
            [("k".to_owned(), vec![true, false])].into(),
        );
        let doc = cbor(&value);
        assert_eq!(decode::<Rich>(&doc, 4096).unwrap(), value);
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_without_recursion() {
        let deep = [vec![0x81u8; 100_000], vec![0x00]].concat();
        assert_eq!(check(&deep, usize::MAX), Err(Refusal::TooDeep));
        let ok = [vec![0x81u8; MAX_DEPTH], vec![0x00]].concat();
        assert_eq!(check(&ok, 4096), Ok(()));
        let tags = [vec![0xc6u8; MAX_DEPTH + 1], vec![0x00]].concat();
        assert_eq!(check(&tags, 4096), Err(Refusal::TooDeep));
    }

    #[test]
    fn length_prefixes_beyond_the_input_are_refused() {
        // A byte string, a text string, an array and a map each claiming 2^63.
        for major in [0x5bu8, 0x7b, 0x9b, 0xbb] {
            let doc = [major, 0x80, 0, 0, 0, 0, 0, 0, 0];
            assert_eq!(
                check(&doc, 4096),
                Err(Refusal::LengthBeyondInput),
                "{major:02x}"
            );
        }
        assert_eq!(
            check(
                &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                4096
            ),
            Err(Refusal::LengthBeyondInput)
        );
    }

    #[test]
    fn truncation_trailing_bytes_and_indefinite_lengths_are_refused() {
        assert_eq!(check(&[], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x18], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x82, 0x01], 4096), Err(Refusal::LengthBeyondInput));
        assert_eq!(check(&[0x01, 0x01], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x9f, 0x01], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0xff], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x1f], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x1c], 4096), Err(Refusal::Malformed));
        assert_eq!(check(&[0x19, 0x01], 4096), Err(Refusal::Malformed));
    }

    #[test]
    fn indefinite_lengths_from_serde_flatten_are_accepted() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Inner {
            b: u8,
        }
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Outer {
            a: u8,
            #[serde(flatten)]
            inner: Inner,
        }
        let value = Outer {
            a: 1,
            inner: Inner { b: 2 },
        };
        let doc = cbor(&value);
        assert_eq!(doc[0], 0xbf, "ciborium writes an indefinite map here");
        assert_eq!(decode::<Outer>(&doc, 4096).unwrap(), value);
        // Indefinite array, chunked text, nested: [_ "a" "b", [_ 1]]
        let doc = [
            0x9f, 0x7f, 0x61, b'a', 0x61, b'b', 0xff, 0x9f, 0x01, 0xff, 0xff,
        ];
        assert_eq!(check(&doc, 4096), Ok(()));
        let deep = [vec![0x9fu8; MAX_DEPTH + 1], vec![0xff; MAX_DEPTH + 1]].concat();
        assert_eq!(check(&deep, 4096), Err(Refusal::TooDeep));
    }

    #[test]
    fn the_size_limit_is_checked_first() {
        let doc = cbor(&vec![0u8; 100]);
        assert_eq!(
            check(&doc, 50),
            Err(Refusal::TooLarge {
                len: doc.len(),
                max: 50
            })
        );
    }

    #[test]
    fn decode_round_trips_and_reports_refusals_as_decode_errors() {
        let value: Vec<String> = vec!["a".into(), "b".into()];
        assert_eq!(decode::<Vec<String>>(&cbor(&value), 4096).unwrap(), value);
        let bomb = [0x9bu8, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert!(matches!(
            decode::<Vec<u8>>(&bomb, 4096),
            Err(Error::Decode(_))
        ));
    }
}
