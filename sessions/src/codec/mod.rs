//! The sealed envelope: how a session, or a session id, travels in a cookie.
//!
//! Crate-private: the stores seal and open through it, users see only what
//! `store` re-exports ([`Times`], [`UnixTime`], [`Mode`]).
//!
//! A [`Codec`] seals bytes into a base64url string and opens such strings
//! again. Two modes:
//!
//! - [`Mode::Encrypted`] (the default): AES-256-GCM with a random 96-bit
//!   nonce. The payload is secret and authentic.
//! - [`Mode::Signed`]: HMAC-SHA256. The payload is readable by the client but
//!   cannot be changed.
//!
//! Every sealed value is bound to a [`Binding`] (the cookie name and the
//! store kind), carries the id of the key that sealed it and the three
//! [`Times`], and is checked in a fixed order when opened: length, version,
//! key id, authentication, times. Session payloads are CBOR, written by
//! ciborium and read back by it behind the bounded pre-check of `cbor.rs`
//! ([`encode_cbor`], [`decode_cbor`]).

mod cbor;
mod open_error;
mod seal;
#[cfg(test)]
mod tests;
mod time;
mod wire;

#[cfg(test)]
pub(crate) use cbor::MAX_DEPTH;
pub(crate) use cbor::{decode as decode_cbor, encode as encode_cbor};
#[cfg(test)]
pub(crate) use open_error::OpenError;
pub use seal::Mode;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use seal::NonceSource;
pub(crate) use seal::{Binding, Codec};
pub use time::{Times, UnixTime};

/// The longest sealed value the codec writes or reads: the 4096-byte cookie
/// budget of RFC 6265 browsers.
pub(crate) const MAX_SEALED_LEN: usize = 4096;

/// The raw bytes that fit in [`MAX_SEALED_LEN`] base64url characters.
pub(crate) const MAX_RAW_LEN: usize = MAX_SEALED_LEN / 4 * 3;
const _: () = assert!(
    MAX_SEALED_LEN.is_multiple_of(4),
    "base64 maps 3 bytes to 4 characters"
);
