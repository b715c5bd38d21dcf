//! The properties the fuzz targets in `fuzz/` check, one function per
//! target.
//!
//! Not public API: compiled only for this crate's tests, which replay
//! `fuzz/corpus/` through the same functions, and with the `fuzzing`
//! feature, which the fuzz crate turns on so that it can reach the
//! crate-private header reader and codec without making them public. No
//! stability promise.
//!
//! Each function accepts any bytes (an input too short for its layout reads
//! as zeros past its end) and panics only when a property is broken: that
//! panic is the crash libFuzzer reports.

mod cbor;
mod cookie;
mod envelope;
mod input;
mod record;
#[cfg(test)]
mod replay;

pub use cbor::cbor_precheck;
pub use cookie::cookie_header;
pub use envelope::open_envelope;
pub use record::decode_record;
