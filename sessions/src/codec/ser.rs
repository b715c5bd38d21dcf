//! The fast path of encoding: serde straight into the output bytes.
//!
//! ciborium writes every header and every string through `io::Write`, one
//! call each; profiles of sealing a session show that as a third of the
//! cost. This serializer writes the same bytes as ciborium's (header for
//! header, with the same shortest forms of integers and floats) for every
//! value it handles, and gives up on the rest: bignums (integers beyond
//! 64 bits), NaN floats, the `@@TAG@@` items of `ciborium::tag`, any error
//! of the value's `Serialize`, and running out of room. The caller then
//! encodes with ciborium, which also produces the error. So the wire
//! format is ciborium's, byte for byte, whichever path wrote it.

use serde::ser::{self, Serialize};

/// Encodes `value` into `out`: the length written, [`Stop::Full`] when it
/// does not fit (ciborium's bytes, being the same, would not fit either),
/// or [`Stop::GiveUp`] when ciborium must do it.
pub(super) fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut [u8],
) -> std::result::Result<usize, Stop> {
    let mut serializer = Serializer(SliceSink {
        out,
        len: 0,
        full: false,
    });
    match value.serialize(&mut serializer) {
        Ok(()) => Ok(serializer.0.len),
        Err(GiveUp) if serializer.0.full => Err(Stop::Full),
        Err(GiveUp) => Err(Stop::GiveUp),
    }
}

/// Why [`encode_into`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// Out of room.
    Full,
    /// Left to ciborium.
    GiveUp,
}

/// Appends the encoding of `value` to `out`, or returns `None` (with `out`
/// in any state) when ciborium must do it.
pub(super) fn encode_vec<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Option<()> {
    value.serialize(&mut Serializer(out)).ok()
}

pub(super) use super::de::GiveUp;

type Result<T = ()> = std::result::Result<T, GiveUp>;

/// Where the bytes go.
trait Sink {
    fn put(&mut self, bytes: &[u8]) -> Result;
}

struct SliceSink<'a> {
    out: &'a mut [u8],
    len: usize,
    /// A write did not fit.
    full: bool,
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result {
        let end = self.len + bytes.len();
        let Some(dest) = self.out.get_mut(self.len..end) else {
            self.full = true;
            return Err(GiveUp);
        };
        dest.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

impl Sink for &mut Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

const POSITIVE: u8 = 0;
const NEGATIVE: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const OTHER: u8 = 7;

/// Simple values and the break, whole initial bytes.
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;
const BREAK: u8 = 0xff;
/// Additional info: the argument (or float) is in the next 1, 2, 4 or 8
/// bytes; below `FOLLOWING_1`, the additional info is the argument.
const FOLLOWING_1: u8 = 0x18;
const FOLLOWING_2: u8 = 0x19;
const FOLLOWING_4: u8 = 0x1a;
const FOLLOWING_8: u8 = 0x1b;
/// Additional info of an indefinite length.
const INDEFINITE: u8 = 0x1f;

/// The marker names of `ciborium::tag`'s items.
const TAG_NAME: &str = "@@TAG@@";

struct Serializer<S>(S);

impl<S: Sink> Serializer<S> {
    /// A header with its argument in the shortest form.
    #[inline]
    fn head(&mut self, major: u8, argument: u64) -> Result {
        let major = major << 5;
        if let Ok(small) = u8::try_from(argument) {
            if small < FOLLOWING_1 {
                return self.0.put(&[major | small]);
            }
            return self.initial(major | FOLLOWING_1, &[small]);
        }
        if let Ok(value) = u16::try_from(argument) {
            return self.initial(major | FOLLOWING_2, &value.to_be_bytes());
        }
        if let Ok(value) = u32::try_from(argument) {
            return self.initial(major | FOLLOWING_4, &value.to_be_bytes());
        }
        self.initial(major | FOLLOWING_8, &argument.to_be_bytes())
    }

    /// An initial byte and the (at most eight) bytes that follow it, in one
    /// write.
    #[inline]
    fn initial(&mut self, initial: u8, following: &[u8]) -> Result {
        let mut buf = [0u8; 9];
        buf[0] = initial;
        buf[1..=following.len()].copy_from_slice(following);
        self.0.put(&buf[..=following.len()])
    }

    fn length(&mut self, major: u8, len: usize) -> Result {
        self.head(major, u64::try_from(len).map_err(|_| GiveUp)?)
    }

    /// A container of `len` items, or of an indefinite length.
    fn open(&mut self, major: u8, len: Option<usize>) -> Result<Collection<'_, S>> {
        match len {
            Some(len) => self.length(major, len)?,
            None => self.0.put(&[(major << 5) | INDEFINITE])?,
        }
        Ok(Collection {
            serializer: self,
            ending: len.is_none(),
        })
    }

    /// `{variant: ...}`: how ciborium writes a variant with content.
    fn variant(&mut self, variant: &str) -> Result {
        self.head(MAP, 1)?;
        ser::Serializer::serialize_str(&mut *self, variant)
    }
}

/// A float in the shortest of half, single and double precision that
/// holds it exactly, as ciborium chooses; NaNs are left to ciborium.
fn float(value: f64) -> Result<Float> {
    if value.is_nan() {
        return Err(GiveUp);
    }
    if let Some(half) = exact_half(value) {
        return Ok(Float::Half(half));
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "ciborium's test: the single is used only when it is exact"
    )]
    let single = value as f32;
    if f64::from(single).to_bits() == value.to_bits() {
        return Ok(Float::Single(single));
    }
    Ok(Float::Double(value))
}

enum Float {
    Half(u16),
    Single(f32),
    Double(f64),
}

/// The half-precision bits of `value` when it is exactly representable.
fn exact_half(value: f64) -> Option<u16> {
    let bits = value.to_bits();
    let sign = u16::from(bits >> 63 == 1) << 15;
    let exponent = i64::try_from((bits >> 52) & 0x7ff).ok()? - 1023;
    let mantissa = bits & 0x000f_ffff_ffff_ffff;
    match exponent {
        // Zero (an f64 subnormal is far below any half).
        -1023 if mantissa == 0 => Some(sign),
        // Infinity (NaN was handled before).
        1024 => Some(sign | 0x7c00),
        // A normal half: ten mantissa bits.
        -14..=15 if mantissa.trailing_zeros() >= 42 => {
            let exponent = u16::try_from(exponent + 15).ok()?;
            let mantissa = u16::try_from(mantissa >> 42).ok()?;
            Some(sign | exponent << 10 | mantissa)
        }
        // A subnormal half: k * 2^-24 with k below 1024.
        -24..=-15 => {
            let significand = (1u64 << 52) | mantissa;
            let shift = u32::try_from(52 - (exponent + 24)).ok()?;
            if significand.trailing_zeros() < shift {
                return None;
            }
            u16::try_from(significand >> shift).ok().map(|k| sign | k)
        }
        _ => None,
    }
}

impl<'a, S: Sink> ser::Serializer for &'a mut Serializer<S> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Collection<'a, S>;
    type SerializeTuple = Collection<'a, S>;
    type SerializeTupleStruct = Collection<'a, S>;
    type SerializeTupleVariant = Collection<'a, S>;
    type SerializeMap = Collection<'a, S>;
    type SerializeStruct = Collection<'a, S>;
    type SerializeStructVariant = Collection<'a, S>;

    fn serialize_bool(self, v: bool) -> Result {
        self.0.put(&[if v { TRUE } else { FALSE }])
    }

    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result {
        match u64::try_from(v) {
            Ok(positive) => self.head(POSITIVE, positive),
            // -1 - v, which is !v for a negative v.
            Err(_) => self.head(NEGATIVE, (!v).cast_unsigned()),
        }
    }

    fn serialize_i128(self, v: i128) -> Result {
        match (u64::try_from(v), u64::try_from(!v)) {
            (Ok(positive), _) => self.head(POSITIVE, positive),
            (_, Ok(negative)) if v < 0 => self.head(NEGATIVE, negative),
            // A bignum.
            _ => Err(GiveUp),
        }
    }

    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result {
        self.head(POSITIVE, v)
    }

    fn serialize_u128(self, v: u128) -> Result {
        // Beyond u64, a bignum.
        self.serialize_u64(u64::try_from(v).map_err(|_| GiveUp)?)
    }

    fn serialize_f32(self, v: f32) -> Result {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result {
        let major = OTHER << 5;
        match float(v)? {
            Float::Half(bits) => self.initial(major | FOLLOWING_2, &bits.to_be_bytes()),
            Float::Single(single) => self.initial(major | FOLLOWING_4, &single.to_be_bytes()),
            Float::Double(double) => self.initial(major | FOLLOWING_8, &double.to_be_bytes()),
        }
    }

    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result {
        self.length(TEXT, v.len())?;
        self.0.put(v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result {
        self.length(BYTES, v.len())?;
        self.0.put(v)
    }

    fn serialize_none(self) -> Result {
        self.0.put(&[NULL])
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        if name == TAG_NAME {
            return Err(GiveUp);
        }
        self.variant(variant)?;
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Collection<'a, S>> {
        self.open(ARRAY, len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Collection<'a, S>> {
        self.open(ARRAY, Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Collection<'a, S>> {
        self.open(ARRAY, Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Collection<'a, S>> {
        if name == TAG_NAME {
            return Err(GiveUp);
        }
        self.variant(variant)?;
        self.open(ARRAY, Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Collection<'a, S>> {
        self.open(MAP, len)
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Collection<'a, S>> {
        self.open(MAP, Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Collection<'a, S>> {
        self.variant(variant)?;
        self.open(MAP, Some(len))
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The items of an array or a map; a break ends an indefinite one.
struct Collection<'a, S> {
    serializer: &'a mut Serializer<S>,
    ending: bool,
}

impl<S: Sink> Collection<'_, S> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.serializer)
    }

    fn close(self) -> Result {
        if self.ending {
            self.serializer.0.put(&[BREAK])?;
        }
        Ok(())
    }
}

impl<S: Sink> ser::SerializeSeq for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeTuple for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeTupleStruct for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeTupleVariant for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeMap for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.item(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeStruct for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.item(key)?;
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

impl<S: Sink> ser::SerializeStructVariant for Collection<'_, S> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.item(key)?;
        self.item(value)
    }

    fn end(self) -> Result {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use ciborium::Value;
    use proptest::prelude::*;

    use super::*;
    use crate::codec::de::tests::{rich, value};

    fn slow<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    /// Both fast paths write ciborium's bytes whenever they answer; returns
    /// whether they answered.
    fn same_bytes<T: Serialize + ?Sized>(value: &T) -> bool {
        let expected = slow(value);
        let mut out = Vec::new();
        let Some(()) = encode_vec(value, &mut out) else {
            let mut buf = vec![0; expected.len() + 8];
            let stop = encode_into(value, &mut buf);
            assert_eq!(stop, Err(Stop::GiveUp), "the two paths agree");
            return false;
        };
        assert_eq!(out, expected);
        let mut buf = vec![0; expected.len()];
        assert_eq!(encode_into(value, &mut buf), Ok(expected.len()));
        assert_eq!(buf, expected);
        // One byte short: full, never a partial success.
        let mut short = vec![0; expected.len() - 1];
        assert_eq!(encode_into(value, &mut short), Err(Stop::Full));
        true
    }

    #[test]
    fn writes_ciborium_bytes_for_plain_types() {
        let mut value = rich();
        value.nested = Some(Box::new(rich()));
        value.big = 5;
        value.bign = -5;
        assert!(same_bytes(&value));
        assert!(same_bytes(&(true, &value)));
        assert!(same_bytes(&("ada", 42u64, ["admin", "ops"])));
        assert!(same_bytes(&'é'));
        assert!(same_bytes(&()));
        assert!(same_bytes(&(i128::from(i64::MIN) * 2)));
        assert!(same_bytes(&(-i128::from(u64::MAX) - 1)));
        assert!(same_bytes(&u128::from(u64::MAX)));
    }

    #[test]
    fn integers_take_the_shortest_form_at_every_boundary() {
        for v in [
            0u64,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            4_294_967_295,
            4_294_967_296,
        ] {
            assert!(same_bytes(&v));
            assert!(same_bytes(&(-1 - i64::try_from(v).unwrap())));
        }
        assert!(same_bytes(&u64::MAX));
        assert!(same_bytes(&i64::MIN));
    }

    #[test]
    fn floats_take_the_shortest_exact_width() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -2.5,
            65504.0,
            65520.0,
            6.103_515_625e-5,
            6.097_555_160_522_461e-5,
            5.960_464_477_539_063e-8,
            2.980_232_238_769_531_3e-8,
            0.1,
            1e300,
            f64::MIN_POSITIVE,
            5e-324,
            f64::from(f32::MAX),
            f64::from(f32::MIN_POSITIVE),
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(same_bytes(&v), "{v}");
            #[expect(clippy::cast_possible_truncation, reason = "any f32 will do")]
            let single = v as f32;
            assert!(same_bytes(&single), "{single}");
        }
        assert!(!same_bytes(&f64::NAN), "NaN is left to ciborium");
    }

    /// A value whose `Serialize` fails.
    struct Fails;

    impl Serialize for Fails {
        fn serialize<S: ser::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
            Err(ser::Error::custom("no"))
        }
    }

    #[test]
    fn bignums_tags_and_errors_are_left_to_ciborium() {
        assert!(!same_bytes(&u128::MAX));
        assert!(!same_bytes(&i128::MIN));
        assert!(!same_bytes(&ciborium::tag::Required::<u8, 7>(1)));
        assert!(!same_bytes(&Value::Tag(1, Box::new(Value::Null))));
        assert_eq!(encode_vec(&Fails, &mut Vec::new()), None);
    }

    #[test]
    fn indefinite_lengths_end_with_a_break() {
        #[derive(serde::Serialize)]
        struct Inner {
            b: u8,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            a: u8,
            #[serde(flatten)]
            inner: Inner,
        }
        let value = Outer {
            a: 1,
            inner: Inner { b: 2 },
        };
        assert!(same_bytes(&value));
        assert_eq!(slow(&value)[0], 0xbf);
    }

    proptest! {
        #[test]
        fn writes_ciborium_bytes_for_any_document(value in value()) {
            let has_nan = format!("{value:?}").contains("NaN");
            prop_assert_eq!(same_bytes(&value), !has_nan);
        }

        #[test]
        fn writes_ciborium_bytes_for_any_float(bits in any::<u64>(), small in any::<u32>()) {
            let double = f64::from_bits(bits);
            prop_assert_eq!(same_bytes(&double), !double.is_nan());
            let single = f32::from_bits(small);
            prop_assert_eq!(same_bytes(&single), !single.is_nan());
            // Halves: every 16-bit pattern, widened exactly.
            let half = super::super::de::tests::half(u16::try_from(small & 0xffff).unwrap());
            if let Some(half) = half {
                prop_assert!(same_bytes(&half));
            }
        }
    }
}
