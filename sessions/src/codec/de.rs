//! The fast path of decoding: serde straight from the borrowed bytes.
//!
//! ciborium reads through `io::Read`, copies every string into a scratch
//! buffer and parses each header in several steps; profiles of opening a
//! session show it as the largest cost. This deserializer reads the same
//! documents from the slice and, for the documents it handles, makes the
//! very same visitor calls as ciborium's (method for method, value for
//! value), so the decoded value is the same.
//!
//! It handles definite lengths without tags, which is everything ciborium
//! writes for plain structs, enums, options, sequences and maps. Anything
//! else (a tag, an indefinite length, a half-precision NaN, the `@@TAG@@`
//! enum of `ciborium::tag`) and every error make it give up: the caller
//! then decodes with ciborium, which also produces the error. So a value
//! that this path returns is one ciborium returns, and every failure is
//! ciborium's.
//!
//! Documents reach it only after [`check`](super::cbor::check), but it
//! assumes nothing: every read is bounds-checked.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// ciborium's scratch buffer: strings and byte strings longer than this are
/// refused by its `deserialize_str`, `deserialize_bytes` and
/// `deserialize_identifier`, and sent to the owned forms by
/// `deserialize_any`. Mirrored, not a limit of ours.
const SCRATCH_LEN: usize = 4096;

/// Simple values.
const FALSE: u8 = 20;
const TRUE: u8 = 21;
const NULL: u8 = 22;
const UNDEFINED: u8 = 23;

/// Decodes `bytes` into `T`, or `None` when ciborium must do it.
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8], recursion: usize) -> Option<T> {
    let mut de = Deserializer {
        input: bytes,
        pos: 0,
        recurse: recursion,
    };
    T::deserialize(&mut de).ok()
}

/// "Let ciborium do it": the only error of the fast paths, both this
/// decoder and the encoder in `ser.rs`.
#[derive(Debug)]
pub(super) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to ciborium")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Self
    }
}

impl serde::ser::Error for GiveUp {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Self
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

/// One item header, as ciborium-ll's `Header` without tags and breaks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Head {
    Positive(u64),
    Negative(u64),
    Bytes(usize),
    Text(usize),
    Array(usize),
    Map(usize),
    Float(f64),
    Simple(u8),
}

struct Deserializer<'de> {
    input: &'de [u8],
    pos: usize,
    /// Nesting levels left, counted where ciborium counts them.
    recurse: usize,
}

impl<'de> Deserializer<'de> {
    fn take(&mut self, len: usize) -> Result<&'de [u8]> {
        let end = self.pos.checked_add(len).ok_or(GiveUp)?;
        let bytes = self.input.get(self.pos..end).ok_or(GiveUp)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| GiveUp)
    }

    /// Reads the next header.
    fn pull(&mut self) -> Result<Head> {
        let [initial] = self.array::<1>()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        if major == 7 {
            return match info {
                0..=23 => Ok(Head::Simple(info)),
                24 => Ok(Head::Simple(self.array::<1>()?[0])),
                25 => half_to_f64(u16::from_be_bytes(self.array()?)).map(Head::Float),
                26 => Ok(Head::Float(f64::from(f32::from_be_bytes(self.array()?)))),
                27 => Ok(Head::Float(f64::from_be_bytes(self.array()?))),
                // Reserved, or a break.
                _ => Err(GiveUp),
            };
        }
        let argument = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.array::<1>()?[0]),
            25 => u64::from(u16::from_be_bytes(self.array()?)),
            26 => u64::from(u32::from_be_bytes(self.array()?)),
            27 => u64::from_be_bytes(self.array()?),
            // Reserved, or an indefinite length.
            _ => return Err(GiveUp),
        };
        let len = || usize::try_from(argument).map_err(|_| GiveUp);
        Ok(match major {
            0 => Head::Positive(argument),
            1 => Head::Negative(argument),
            2 => Head::Bytes(len()?),
            3 => Head::Text(len()?),
            4 => Head::Array(len()?),
            5 => Head::Map(len()?),
            // A tag.
            _ => return Err(GiveUp),
        })
    }

    /// The next header, left unread.
    fn peek(&mut self) -> Result<Head> {
        let pos = self.pos;
        let head = self.pull();
        self.pos = pos;
        head
    }

    fn text(&mut self, len: usize) -> Result<&'de str> {
        std::str::from_utf8(self.take(len)?).map_err(|_| GiveUp)
    }

    fn recurse<V>(&mut self, f: impl FnOnce(&mut Self) -> Result<V>) -> Result<V> {
        self.recurse = self.recurse.checked_sub(1).ok_or(GiveUp)?;
        let result = f(self);
        self.recurse += 1;
        result
    }

    /// An integer as ciborium reads it: the sign, and the magnitude of a
    /// positive value or of `-1 - value` for a negative one.
    fn integer(&mut self) -> Result<(bool, u128)> {
        match self.pull()? {
            Head::Positive(x) => Ok((false, x.into())),
            Head::Negative(x) => Ok((true, x.into())),
            _ => Err(GiveUp),
        }
    }
}

/// An IEEE half to a double, exactly; NaN payloads are left to ciborium.
fn half_to_f64(bits: u16) -> Result<f64> {
    let negative = bits & 0x8000 != 0;
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x03ff);
    let magnitude = match exponent {
        0 => mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => return Err(GiveUp),
        _ => (1024.0 + mantissa) * 2f64.powi(exponent - 25),
    };
    Ok(if negative { -magnitude } else { magnitude })
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Head::Positive(_) => self.deserialize_u64(visitor),
            Head::Negative(x) if i64::try_from(x).is_ok() => self.deserialize_i64(visitor),
            Head::Negative(_) => self.deserialize_i128(visitor),
            Head::Bytes(len) if len <= SCRATCH_LEN => self.deserialize_bytes(visitor),
            Head::Bytes(_) => self.deserialize_byte_buf(visitor),
            Head::Text(len) if len <= SCRATCH_LEN => self.deserialize_str(visitor),
            Head::Text(_) => self.deserialize_string(visitor),
            Head::Array(_) => self.deserialize_seq(visitor),
            Head::Map(_) => self.deserialize_map(visitor),
            Head::Float(_) => self.deserialize_f64(visitor),
            Head::Simple(FALSE | TRUE) => self.deserialize_bool(visitor),
            Head::Simple(NULL | UNDEFINED) => self.deserialize_option(visitor),
            Head::Simple(_) => Err(GiveUp),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Simple(FALSE) => visitor.visit_bool(false),
            Head::Simple(TRUE) => visitor.visit_bool(true),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (negative, raw) = self.integer()?;
        let value = i64::try_from(raw).map_err(|_| GiveUp)?;
        visitor.visit_i64(if negative { value ^ !0 } else { value })
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (negative, raw) = self.integer()?;
        let value = i128::try_from(raw).map_err(|_| GiveUp)?;
        visitor.visit_i128(if negative { value ^ !0 } else { value })
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.integer()? {
            (false, raw) => visitor.visit_u64(u64::try_from(raw).map_err(|_| GiveUp)?),
            (true, _) => Err(GiveUp),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.integer()? {
            (false, raw) => visitor.visit_u128(raw),
            (true, _) => Err(GiveUp),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Float(x) => visitor.visit_f64(x),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Text(len) if len <= 4 => {
                let mut chars = self.text(len)?.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(GiveUp),
                }
            }
            _ => Err(GiveUp),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Text(len) if len <= SCRATCH_LEN => visitor.visit_str(self.text(len)?),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Text(len) => visitor.visit_string(self.text(len)?.to_owned()),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Bytes(len) if len <= SCRATCH_LEN => visitor.visit_bytes(self.take(len)?),
            Head::Array(len) => self.recurse(|me| visitor.visit_seq(Access(me, len))),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Bytes(len) => visitor.visit_byte_buf(self.take(len)?.to_vec()),
            Head::Array(len) => self.recurse(|me| visitor.visit_seq(Access(me, len))),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Head::Simple(NULL | UNDEFINED) => {
                self.pull()?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Simple(NULL | UNDEFINED) => visitor.visit_unit(),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Array(len) => self.recurse(|me| visitor.visit_seq(Access(me, len))),
            Head::Bytes(len) => visitor.visit_seq(BytesAccess(self.take(len)?)),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Map(len) => self.recurse(|me| visitor.visit_map(Access(me, len))),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // ciborium's captured tags.
        if name == "@@TAG@@" {
            return Err(GiveUp);
        }
        match self.peek()? {
            Head::Map(1) => {
                self.pull()?;
            }
            Head::Text(_) => {}
            _ => return Err(GiveUp),
        }
        self.recurse(|me| visitor.visit_enum(Access(me, 0)))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.pull()? {
            Head::Text(len) if len <= SCRATCH_LEN => visitor.visit_str(self.text(len)?),
            Head::Bytes(len) if len <= SCRATCH_LEN => visitor.visit_bytes(self.take(len)?),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// Elements of an array, entries of a map, or an enum: `.1` items left.
struct Access<'a, 'de>(&'a mut Deserializer<'de>, usize);

impl<'de> de::SeqAccess<'de> for Access<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        if self.1 == 0 {
            return Ok(None);
        }
        self.1 -= 1;
        seed.deserialize(&mut *self.0).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.1)
    }
}

impl<'de> de::MapAccess<'de> for Access<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.1 == 0 {
            return Ok(None);
        }
        self.1 -= 1;
        seed.deserialize(&mut *self.0).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value> {
        seed.deserialize(&mut *self.0)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.1)
    }
}

impl<'de> de::EnumAccess<'de> for Access<'_, 'de> {
    type Error = GiveUp;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self)> {
        let variant = seed.deserialize(&mut *self.0)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Access<'_, 'de> {
    type Error = GiveUp;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value> {
        seed.deserialize(&mut *self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(&mut *self.0, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(&mut *self.0, visitor)
    }
}

/// A byte string read as a sequence of `u8`, as ciborium's `BytesAccess`.
struct BytesAccess<'de>(&'de [u8]);

impl<'de> de::SeqAccess<'de> for BytesAccess<'de> {
    type Error = GiveUp;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        let Some((&byte, rest)) = self.0.split_first() else {
            return Ok(None);
        };
        self.0 = rest;
        seed.deserialize(IntoDeserializer::<GiveUp>::into_deserializer(byte))
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::fmt::Debug;

    use ciborium::Value;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    use super::*;

    const LIMIT: usize = crate::codec::MAX_DEPTH + 1;

    fn cbor<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    fn slow<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
        ciborium::de::from_reader_with_recursion_limit(bytes, LIMIT).ok()
    }

    /// The fast path agrees with ciborium whenever it answers; returns
    /// whether it answered.
    fn agrees<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> bool {
        let Some(fast) = decode::<T>(bytes, LIMIT) else {
            return false;
        };
        let slow = slow::<T>(bytes).expect("ciborium decodes what the fast path decodes");
        // Compared through their encodings, so that NaN equals NaN.
        assert_eq!(cbor(&fast), cbor(&slow), "{bytes:02x?}");
        true
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    pub(crate) enum Kind {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { a: Option<bool>, b: Vec<u16> },
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    #[serde(untagged)]
    pub(crate) enum Either {
        Number(u32),
        Text(String),
        List(Vec<Either>),
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    #[serde(tag = "t")]
    pub(crate) enum Tagged {
        X { v: u8 },
        Y,
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    pub(crate) struct Newtype(String);

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    pub(crate) struct Rich {
        pub(crate) id: u64,
        pub(crate) neg: i64,
        pub(crate) small: i8,
        pub(crate) big: u128,
        pub(crate) bign: i128,
        pub(crate) name: String,
        pub(crate) ch: char,
        pub(crate) bytes: Vec<u8>,
        pub(crate) opt: Option<String>,
        pub(crate) none: Option<u32>,
        pub(crate) floats: (f32, f64, f64, f64),
        pub(crate) kinds: Vec<Kind>,
        pub(crate) either: Vec<Either>,
        pub(crate) tagged: Vec<Tagged>,
        pub(crate) map: BTreeMap<u32, String>,
        pub(crate) smap: HashMap<String, Vec<bool>>,
        pub(crate) unit: (),
        pub(crate) newtype: Newtype,
        pub(crate) nested: Option<Box<Rich>>,
    }

    pub(crate) fn rich() -> Rich {
        Rich {
            id: u64::MAX,
            neg: i64::MIN,
            small: -3,
            big: u128::from(u64::MAX),
            bign: -i128::from(u64::MAX) - 1,
            name: "ada ✓".to_owned(),
            ch: 'é',
            bytes: (0..=255).collect(),
            opt: Some(String::new()),
            none: None,
            floats: (1.5, 0.1, -0.0, f64::INFINITY),
            kinds: vec![
                Kind::Unit,
                Kind::Newtype(7),
                Kind::Tuple(-9, "t".to_owned()),
                Kind::Struct {
                    a: None,
                    b: vec![1, 300],
                },
            ],
            either: vec![
                Either::Number(5),
                Either::Text("x".to_owned()),
                Either::List(vec![Either::Number(1)]),
            ],
            tagged: vec![Tagged::X { v: 1 }, Tagged::Y],
            map: [(1, "a".to_owned()), (70_000, "b".to_owned())].into(),
            smap: [("k".to_owned(), vec![true, false])].into(),
            unit: (),
            newtype: Newtype("n".to_owned()),
            nested: None,
        }
    }

    #[test]
    fn decodes_what_ciborium_writes_for_plain_types() {
        let mut value = rich();
        value.nested = Some(Box::new(rich()));
        let bytes = cbor(&value);
        assert_eq!(decode::<Rich>(&bytes, LIMIT), Some(value.clone()));
        assert!(agrees::<Rich>(&bytes));
        assert!(agrees::<Value>(&bytes));
        assert!(agrees::<(bool, Rich)>(&cbor(&(true, &value))));
    }

    #[test]
    fn floats_of_every_width_decode_exactly() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -2.5,
            65504.0,
            6.103_515_625e-5,
            5.960_464_477_539_063e-8,
            -5.960_464_477_539_063e-8,
            0.1,
            1e300,
            f64::from(f32::MAX),
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for value in values {
            let bytes = cbor(&value);
            assert_eq!(decode::<f64>(&bytes, LIMIT), Some(value), "{bytes:02x?}");
            assert!(agrees::<f64>(&bytes));
        }
        // Half-precision NaN payloads are left to ciborium.
        assert_eq!(decode::<f64>(&[0xf9, 0x7e, 0x00], LIMIT), None);
        assert!(slow::<f64>(&[0xf9, 0x7e, 0x00]).unwrap().is_nan());
    }

    #[test]
    fn tags_and_indefinite_lengths_are_left_to_ciborium() {
        let big = cbor(&u128::MAX);
        assert_eq!(big[0], 0xc2, "a bignum tag");
        assert_eq!(decode::<u128>(&big, LIMIT), None);
        // [_ 1, 2]
        assert_eq!(decode::<Vec<u8>>(&[0x9f, 0x01, 0x02, 0xff], LIMIT), None);
        let tagged = cbor(&ciborium::tag::Required::<u8, 7>(1));
        assert_eq!(
            decode::<ciborium::tag::Required<u8, 7>>(&tagged, LIMIT),
            None
        );
    }

    #[test]
    fn mismatches_give_up_where_ciborium_fails() {
        let bytes = cbor(&rich());
        assert_eq!(decode::<Vec<String>>(&bytes, LIMIT), None);
        assert!(slow::<Vec<String>>(&bytes).is_none());
        assert_eq!(decode::<u8>(&cbor(&300u16), LIMIT), None);
        assert_eq!(decode::<u64>(&cbor(&-1i8), LIMIT), None);
        assert_eq!(decode::<char>(&cbor(&"ab"), LIMIT), None);
        // Truncated: never a panic.
        for end in 0..bytes.len() {
            assert_eq!(decode::<Rich>(&bytes[..end], LIMIT), None);
        }
    }

    /// Reads its string with `deserialize_str`, as ciborium's scratch allows.
    #[derive(Deserialize, Serialize)]
    struct Ident(#[serde(with = "ident")] String);
    mod ident {
        pub(super) fn serialize<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(v)
        }
        pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<String, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = String;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a str")
                }
                fn visit_str<E>(self, v: &str) -> Result<String, E> {
                    Ok(v.to_owned())
                }
            }
            d.deserialize_str(V)
        }
    }

    #[test]
    fn strings_past_the_scratch_length_take_ciborium_paths() {
        let long = "x".repeat(SCRATCH_LEN + 1);
        let bytes = cbor(&long);
        // `String` reads the owned form: fine at any length.
        assert!(agrees::<String>(&bytes));
        assert!(agrees::<Value>(&bytes));
        // A borrowed `str` read is refused past the scratch buffer.
        assert!(decode::<Ident>(&bytes, LIMIT).is_none());
        assert!(slow::<Ident>(&bytes).is_none());
        assert!(agrees::<Ident>(&cbor(&"short")));
    }

    /// A half-precision value widened to a double, `None` for NaN.
    pub(crate) fn half(bits: u16) -> Option<f64> {
        half_to_f64(bits).ok()
    }

    pub(crate) fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|i| Value::Integer(i.into())),
            any::<u64>().prop_map(|i| Value::Integer(i.into())),
            (0u64..=u64::MAX)
                .prop_map(|i| Value::Integer((-1 - i128::from(i)).try_into().unwrap())),
            any::<f64>().prop_map(Value::Float),
            any::<f32>().prop_map(|f| Value::Float(f.into())),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,20}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((inner.clone(), inner), 0..6).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_ciborium_on_any_document(value in value()) {
            let bytes = cbor(&value);
            prop_assert!(agrees::<Value>(&bytes));
            // Typed targets: success or give-up, never a different value.
            agrees::<Rich>(&bytes);
            agrees::<Vec<Either>>(&bytes);
            agrees::<BTreeMap<String, Value>>(&bytes);
            agrees::<HashMap<u32, Option<f64>>>(&bytes);
            agrees::<Vec<Kind>>(&bytes);
            agrees::<(u64, i64, String)>(&bytes);
        }
    }
}
