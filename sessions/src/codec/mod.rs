//! The sealed envelope: how a session, or a session id, travels in a cookie.
//!
//! A [`Codec`] seals bytes (or any serde value, as CBOR) into a base64url
//! string and opens such strings again. Two modes:
//!
//! - [`Mode::Encrypted`] (the default): AES-256-GCM with a random 96-bit
//!   nonce. The payload is secret and authentic.
//! - [`Mode::Signed`]: HMAC-SHA256. The payload is readable by the client but
//!   cannot be changed.
//!
//! Every sealed value is bound to a [`Binding`] (the cookie name and the
//! store kind), carries the id of the key that sealed it and the three
//! [`Times`], and is checked in a fixed order when opened: length, version,
//! key id, authentication, times, then the bounded CBOR decoder.
//!
//! ```
//! use std::time::Duration;
//! use sessions::Key;
//! use sessions::codec::{Binding, Codec, Times, UnixTime};
//!
//! let codec = Codec::new(Key::generate());
//! let binding = Binding::new("user", "cookie");
//! let now = UnixTime::now();
//! let sealed = codec.seal(&binding, Times::fresh(now, Duration::from_secs(60)), &("ada", 42u64))?;
//!
//! let opened = codec.open::<(String, u64)>(&binding, &sealed, now)?;
//! assert_eq!(opened.value, ("ada".to_owned(), 42));
//! assert!(opened.by_primary);
//!
//! // The same value under another cookie name does not open.
//! let elsewhere = Binding::new("admin", "cookie");
//! assert!(codec.open::<(String, u64)>(&elsewhere, &sealed, now).is_err());
//! # Ok::<(), sessions::Error>(())
//! ```

mod cbor;
mod seal;
mod time;
#[cfg(test)]
mod vectors;
mod wire;

pub use cbor::MAX_DEPTH;
pub(crate) use cbor::{decode as decode_cbor, encode as encode_cbor};
pub use seal::{Binding, Codec, DEFAULT_LEEWAY, Mode, Opened};
pub use time::{Times, UnixTime};

/// The longest sealed value the codec writes or reads: the 4096-byte cookie
/// budget of RFC 6265 browsers.
///
/// ```
/// use std::time::Duration;
/// use sessions::{Error, Key};
/// use sessions::codec::{Binding, Codec, MAX_SEALED_LEN, Times, UnixTime};
///
/// let codec = Codec::new(Key::generate());
/// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
/// let times = Times::fresh(now, Duration::from_secs(60));
/// let largest = vec![0; codec.max_payload_len(times)];
/// assert!(codec.seal_bytes(&binding, times, &largest)?.len() <= MAX_SEALED_LEN);
///
/// // Anything longer is refused before any decoding or cryptography.
/// let err = codec.open_bytes(&binding, &"A".repeat(MAX_SEALED_LEN + 1), now).unwrap_err();
/// assert!(matches!(err, Error::TooLong { max: MAX_SEALED_LEN, .. }));
/// # Ok::<(), sessions::Error>(())
/// ```
pub const MAX_SEALED_LEN: usize = 4096;

/// The raw bytes that fit in [`MAX_SEALED_LEN`] base64url characters.
pub(crate) const MAX_RAW_LEN: usize = MAX_SEALED_LEN / 4 * 3;
const _: () = assert!(
    MAX_SEALED_LEN.is_multiple_of(4),
    "base64 maps 3 bytes to 4 characters"
);
