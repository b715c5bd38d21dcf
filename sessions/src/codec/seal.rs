//! Sealing and opening.

use std::time::Duration;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cbor;
use super::time::{Times, UnixTime};
use super::wire::{self, Header, INLINE_AAD_LEN, MAX_HEADER_LEN, VERSION};
use super::{MAX_RAW_LEN, MAX_SEALED_LEN};
use crate::error::{Error, Result};
use crate::key::{Key, KeyId, KeyRing};

const NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;
const HMAC_TAG_LEN: usize = 32;

/// Clock skew tolerated between the servers that seal and open.
///
/// ```
/// use std::time::Duration;
/// use sessions::Error;
/// use sessions::codec::{Binding, Codec, DEFAULT_LEEWAY, Times, UnixTime};
///
/// let codec = Codec::new(sessions::Key::generate());
/// assert_eq!(codec.leeway(), DEFAULT_LEEWAY);
/// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
/// let issued_in = |secs| Times::fresh(now + Duration::from_secs(secs), Duration::from_secs(600));
///
/// // Sealed by a server whose clock runs 30 seconds ahead: it opens.
/// let ahead = codec.seal(&binding, issued_in(30), &1u8)?;
/// assert!(codec.open::<u8>(&binding, &ahead, now).is_ok());
/// // Five minutes ahead is more than clock skew.
/// let future = codec.seal(&binding, issued_in(300), &1u8)?;
/// let err = codec.open::<u8>(&binding, &future, now).unwrap_err();
/// assert!(matches!(err, Error::IssuedInFuture));
/// # Ok::<(), sessions::Error>(())
/// ```
pub const DEFAULT_LEEWAY: Duration = Duration::from_mins(1);

/// How the payload is protected.
///
/// ```
/// assert_eq!(sessions::codec::Mode::default(), sessions::codec::Mode::Encrypted);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// AES-256-GCM: the client can neither read nor change the payload.
    #[default]
    Encrypted,
    /// HMAC-SHA256: the client can read the payload but not change it.
    Signed,
}

impl Mode {
    /// Bytes the mode adds to the payload (nonce and tag).
    const fn overhead(self) -> usize {
        match self {
            Self::Encrypted => NONCE_LEN + GCM_TAG_LEN,
            Self::Signed => HMAC_TAG_LEN,
        }
    }

    /// Domain separation between the modes inside the associated data.
    const fn context(self) -> &'static [u8] {
        match self {
            Self::Encrypted => b"sessions/aes-256-gcm",
            Self::Signed => b"sessions/hmac-sha256",
        }
    }
}

/// What a sealed value is bound to: it opens only under the same cookie name
/// and store kind it was sealed for.
///
/// ```
/// let binding = sessions::codec::Binding::new("user", "files");
/// assert_eq!(binding.cookie_name(), "user");
/// assert_eq!(binding.store_kind(), "files");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Binding<'a> {
    cookie_name: &'a str,
    store_kind: &'a str,
}

impl<'a> Binding<'a> {
    /// Binds to a cookie name and a store kind (`"cookie"`, `"files"`, ...).
    ///
    /// ```
    /// let b = sessions::codec::Binding::new("a", "b");
    /// assert_ne!(b, sessions::codec::Binding::new("a", "c"));
    /// ```
    #[must_use]
    pub const fn new(cookie_name: &'a str, store_kind: &'a str) -> Self {
        Self {
            cookie_name,
            store_kind,
        }
    }

    /// The cookie name.
    ///
    /// ```
    /// assert_eq!(sessions::codec::Binding::new("n", "k").cookie_name(), "n");
    /// ```
    #[must_use]
    pub const fn cookie_name(&self) -> &'a str {
        self.cookie_name
    }

    /// The store kind.
    ///
    /// ```
    /// assert_eq!(sessions::codec::Binding::new("n", "k").store_kind(), "k");
    /// ```
    #[must_use]
    pub const fn store_kind(&self) -> &'a str {
        self.store_kind
    }
}

/// A value that opened, with what the envelope said about it.
///
/// ```
/// use std::time::Duration;
/// use sessions::{Key, KeyRing};
/// use sessions::codec::{Binding, Codec, Times, UnixTime};
///
/// let (old, new) = (Key::generate(), Key::generate());
/// let (binding, now) = (Binding::new("user", "cookie"), UnixTime::now());
/// let times = Times::fresh(now, Duration::from_secs(60));
/// let sealed = Codec::new(old.clone()).seal(&binding, times, &"ada")?;
///
/// let rotated = Codec::new(KeyRing::new(new).with_old(old.clone()));
/// let opened = rotated.open::<String>(&binding, &sealed, now)?;
/// assert_eq!(opened.value, "ada");
/// assert_eq!(opened.times, times);
/// assert_eq!(opened.key_id, old.id());
/// assert!(!opened.by_primary); // seal it again to move it to the new key
/// # Ok::<(), sessions::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened<T> {
    /// The payload.
    pub value: T,
    /// The authenticated times.
    pub times: Times,
    /// The key that opened it.
    pub key_id: KeyId,
    /// Whether that key is the primary; if not, seal again to rotate.
    pub by_primary: bool,
}

/// Where nonces come from. Production code uses the thread-local CSPRNG;
/// the fixed test vectors use a counter.
pub(crate) trait NonceSource {
    fn fill(&mut self, nonce: &mut [u8; NONCE_LEN]);
}

/// The userspace CSPRNG (`ChaCha`, reseeded from the OS): one syscall per
/// nonce would cost more than the whole seal.
struct ThreadRngNonces;

impl NonceSource for ThreadRngNonces {
    fn fill(&mut self, nonce: &mut [u8; NONCE_LEN]) {
        rand::rng().fill_bytes(nonce);
    }
}

/// Seals and opens values with a [`KeyRing`].
///
/// ```
/// use sessions::codec::{Codec, Mode};
/// let codec = Codec::new(sessions::Key::generate()).with_mode(Mode::Signed);
/// assert_eq!(codec.mode(), Mode::Signed);
/// ```
#[derive(Clone, Debug)]
pub struct Codec {
    keys: KeyRing,
    mode: Mode,
    leeway: Duration,
}

impl Codec {
    /// An encrypting codec with the default clock leeway of one minute.
    ///
    /// ```
    /// let codec = sessions::codec::Codec::new(sessions::Key::generate());
    /// assert_eq!(codec.mode(), sessions::codec::Mode::Encrypted);
    /// ```
    #[must_use]
    pub fn new(keys: impl Into<KeyRing>) -> Self {
        Self {
            keys: keys.into(),
            mode: Mode::default(),
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Chooses encryption or signing.
    ///
    /// ```
    /// use sessions::codec::{Codec, Mode};
    /// let codec = Codec::new(sessions::Key::generate()).with_mode(Mode::Signed);
    /// assert_eq!(codec.mode(), Mode::Signed);
    /// ```
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the tolerated clock skew between servers.
    ///
    /// ```
    /// use std::time::Duration;
    /// let codec = sessions::codec::Codec::new(sessions::Key::generate())
    ///     .with_leeway(Duration::ZERO);
    /// assert_eq!(codec.leeway(), Duration::ZERO);
    /// ```
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The mode.
    ///
    /// ```
    /// assert_eq!(sessions::codec::Codec::new(sessions::Key::generate()).mode(),
    ///            sessions::codec::Mode::Encrypted);
    /// ```
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The tolerated clock skew.
    ///
    /// ```
    /// assert_eq!(sessions::codec::Codec::new(sessions::Key::generate()).leeway().as_secs(), 60);
    /// ```
    #[must_use]
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The key ring.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(sessions::codec::Codec::new(key.clone()).keys().primary(), &key);
    /// ```
    #[must_use]
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The largest payload, in bytes, that seals into [`MAX_SEALED_LEN`]
    /// characters with these times.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::codec::{Binding, Codec, Times, UnixTime};
    /// let codec = Codec::new(sessions::Key::generate());
    /// let times = Times::fresh(UnixTime::now(), Duration::from_secs(60));
    /// let max = codec.max_payload_len(times);
    /// let b = Binding::new("n", "k");
    /// assert!(codec.seal_bytes(&b, times, &vec![0; max]).is_ok());
    /// assert!(codec.seal_bytes(&b, times, &vec![0; max + 1]).is_err());
    /// ```
    #[must_use]
    pub fn max_payload_len(&self, times: Times) -> usize {
        let header = Header {
            key_id: self.keys.primary().id(),
            times,
        };
        MAX_RAW_LEN - header.encode(&mut [0; MAX_HEADER_LEN]) - self.mode.overhead()
    }

    /// Seals raw bytes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::codec::{Binding, Codec, Mode, Times, UnixTime};
    ///
    /// let codec = Codec::new(sessions::Key::generate()).with_mode(Mode::Signed);
    /// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
    /// let sealed = codec.seal_bytes(&binding, Times::fresh(now, Duration::from_secs(60)), b"hi")?;
    /// // base64url: safe in a cookie value as it is.
    /// assert!(sealed.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    /// assert_eq!(codec.open_bytes(&binding, &sealed, now)?.value, b"hi");
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn seal_bytes(
        &self,
        binding: &Binding<'_>,
        times: Times,
        payload: &[u8],
    ) -> Result<String> {
        self.seal_bytes_with(binding, times, &mut ThreadRngNonces, payload)
    }

    pub(crate) fn seal_bytes_with(
        &self,
        binding: &Binding<'_>,
        times: Times,
        nonces: &mut dyn NonceSource,
        payload: &[u8],
    ) -> Result<String> {
        self.seal_with(binding, times, nonces, |out| {
            let dest = out.get_mut(..payload.len()).ok_or(payload.len())?;
            dest.copy_from_slice(payload);
            Ok(payload.len())
        })
    }

    /// Seals a serde value, encoded as CBOR.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::Error;
    /// use sessions::codec::{Binding, Codec, Times, UnixTime};
    ///
    /// let codec = Codec::new(sessions::Key::generate());
    /// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
    /// let times = Times::fresh(now, Duration::from_secs(60));
    /// let sealed = codec.seal(&binding, times, &["a", "b"])?;
    /// assert_eq!(codec.open::<Vec<String>>(&binding, &sealed, now)?.value, ["a", "b"]);
    ///
    /// // More than a cookie can carry is an error, not a truncated value.
    /// let err = codec.seal(&binding, times, &vec![0u8; 5000]).unwrap_err();
    /// assert!(matches!(err, Error::PayloadTooLarge { len, max } if len > max));
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn seal<T: Serialize + ?Sized>(
        &self,
        binding: &Binding<'_>,
        times: Times,
        value: &T,
    ) -> Result<String> {
        self.seal_value_with(binding, times, &mut ThreadRngNonces, value)
    }

    pub(crate) fn seal_value_with<T: Serialize + ?Sized>(
        &self,
        binding: &Binding<'_>,
        times: Times,
        nonces: &mut dyn NonceSource,
        value: &T,
    ) -> Result<String> {
        let payload = cbor::encode(value, SMALL_RAW_LEN)?;
        self.seal_bytes_with(binding, times, nonces, &payload)
    }

    /// Seals a payload written by `fill` into the slice it is given (which
    /// returns the length written, or a length it needed when too small).
    ///
    /// Small values are built in a small buffer first: zeroing the full one
    /// costs a twentieth of a seal. A payload that does not fit is written
    /// again into the full buffer (no nonce is drawn before it fits).
    fn seal_with(
        &self,
        binding: &Binding<'_>,
        times: Times,
        nonces: &mut dyn NonceSource,
        mut fill: impl FnMut(&mut [u8]) -> Result<usize, usize>,
    ) -> Result<String> {
        match self.seal_in(&mut [0u8; SMALL_RAW_LEN], binding, times, nonces, &mut fill) {
            Err(Error::PayloadTooLarge { .. }) => {
                self.seal_in(&mut [0u8; MAX_RAW_LEN], binding, times, nonces, &mut fill)
            }
            sealed => sealed,
        }
    }

    /// [`seal_with`](Self::seal_with) in the buffer `raw`, whose length
    /// bounds the payload.
    fn seal_in(
        &self,
        raw: &mut [u8],
        binding: &Binding<'_>,
        times: Times,
        nonces: &mut dyn NonceSource,
        fill: &mut impl FnMut(&mut [u8]) -> Result<usize, usize>,
    ) -> Result<String> {
        let key = self.keys.primary();
        let header = Header {
            key_id: key.id(),
            times,
        };
        let mut header_bytes = [0u8; MAX_HEADER_LEN];
        let header_len = header.encode(&mut header_bytes);
        raw[..header_len].copy_from_slice(&header_bytes[..header_len]);
        let max = raw.len() - header_len - self.mode.overhead();
        let start = header_len
            + if self.mode == Mode::Encrypted {
                NONCE_LEN
            } else {
                0
            };
        let len = fill(&mut raw[start..start + max])
            .map_err(|len| Error::PayloadTooLarge { len, max })?;
        let (mut inline, mut spill) = ([0u8; INLINE_AAD_LEN], Vec::new());
        let aad = self.associated_data(binding, &raw[..header_len], &mut inline, &mut spill);
        let end = match self.mode {
            Mode::Encrypted => {
                let (head, body) = raw.split_at_mut(start);
                let nonce: &mut [u8; NONCE_LEN] = (&mut head[header_len..])
                    .try_into()
                    .expect("nonce slot is NONCE_LEN bytes");
                nonces.fill(nonce);
                let tag = key
                    .cipher()
                    .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut body[..len])
                    .map_err(|_| Error::PayloadTooLarge { len, max })?;
                body[len..len + GCM_TAG_LEN].copy_from_slice(&tag);
                start + len + GCM_TAG_LEN
            }
            Mode::Signed => {
                let tag = sign(key, aad, &raw[start..start + len]);
                raw[start + len..start + len + HMAC_TAG_LEN].copy_from_slice(&tag);
                start + len + HMAC_TAG_LEN
            }
        };
        Ok(URL_SAFE_NO_PAD.encode(&raw[..end]))
    }

    /// Opens a sealed value and returns the raw payload.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::Error;
    /// use sessions::codec::{Binding, Codec, Times, UnixTime};
    ///
    /// let codec = Codec::new(sessions::Key::generate());
    /// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
    /// let sealed = codec.seal_bytes(&binding, Times::fresh(now, Duration::from_secs(60)), b"id")?;
    /// assert_eq!(codec.open_bytes(&binding, &sealed, now)?.value, b"id");
    ///
    /// // Expiry is exact: the clock leeway never stretches a lifetime.
    /// let later = now + Duration::from_secs(60);
    /// assert!(matches!(codec.open_bytes(&binding, &sealed, later), Err(Error::Expired)));
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn open_bytes(
        &self,
        binding: &Binding<'_>,
        sealed: &str,
        now: UnixTime,
    ) -> Result<Opened<Vec<u8>>> {
        with_raw_buffer(sealed, |raw| {
            let (range, opened) = self.open_in_place(binding, sealed, now, raw)?;
            Ok(Opened {
                value: raw[range].to_vec(),
                times: opened.times,
                key_id: opened.key_id,
                by_primary: opened.by_primary,
            })
        })
    }

    /// Opens a sealed value and decodes its CBOR payload into `T`, under the
    /// decoder's depth and size limits.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::Error;
    /// use sessions::codec::{Binding, Codec, Times, UnixTime};
    ///
    /// let codec = Codec::new(sessions::Key::generate());
    /// let (binding, now) = (Binding::new("n", "k"), UnixTime::now());
    /// let times = Times::fresh(now, Duration::from_secs(60));
    /// let sealed = codec.seal(&binding, times, &("ada", 42u64))?;
    /// assert_eq!(codec.open::<(String, u64)>(&binding, &sealed, now)?.value.1, 42);
    ///
    /// // Authentic, but not a `u64`.
    /// assert!(matches!(codec.open::<u64>(&binding, &sealed, now), Err(Error::Decode(_))));
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn open<T: DeserializeOwned>(
        &self,
        binding: &Binding<'_>,
        sealed: &str,
        now: UnixTime,
    ) -> Result<Opened<T>> {
        with_raw_buffer(sealed, |raw| {
            let (range, opened) = self.open_in_place(binding, sealed, now, raw)?;
            let value = cbor::decode(&raw[range], MAX_RAW_LEN)?;
            Ok(Opened {
                value,
                times: opened.times,
                key_id: opened.key_id,
                by_primary: opened.by_primary,
            })
        })
    }

    /// Runs every check up to and including the times, leaving the
    /// plaintext in `raw` and returning where it is.
    fn open_in_place(
        &self,
        binding: &Binding<'_>,
        sealed: &str,
        now: UnixTime,
        raw: &mut [u8],
    ) -> Result<(std::ops::Range<usize>, Opened<()>)> {
        if sealed.len() > MAX_SEALED_LEN {
            return Err(Error::TooLong {
                len: sealed.len(),
                max: MAX_SEALED_LEN,
            });
        }
        let raw_len = URL_SAFE_NO_PAD
            .decode_slice(sealed, raw)
            .map_err(|_| Error::Malformed)?;
        let raw = &mut raw[..raw_len];
        match raw.first() {
            None => return Err(Error::Malformed),
            Some(&VERSION) => {}
            Some(&other) => return Err(Error::UnsupportedVersion(other)),
        }
        let key_id = Header::key_id(raw).ok_or(Error::Malformed)?;
        let key = self.keys.find(key_id).ok_or(Error::UnknownKey)?;
        let (header, header_len) = Header::decode(raw).ok_or(Error::Unauthentic)?;
        let payload = self.authenticate(key, binding, raw, header_len)?;
        self.check_times(header.times, now)?;
        let opened = Opened {
            value: (),
            times: header.times,
            key_id,
            by_primary: key_id == self.keys.primary().id(),
        };
        Ok((payload, opened))
    }

    /// Verifies (and decrypts in place) the body; returns the payload range.
    fn authenticate(
        &self,
        key: &Key,
        binding: &Binding<'_>,
        raw: &mut [u8],
        header_len: usize,
    ) -> Result<std::ops::Range<usize>> {
        let overhead = self.mode.overhead();
        if raw.len() < header_len + overhead {
            return Err(Error::Unauthentic);
        }
        let (mut inline, mut spill) = ([0u8; INLINE_AAD_LEN], Vec::new());
        let aad = self.associated_data(binding, &raw[..header_len], &mut inline, &mut spill);
        match self.mode {
            Mode::Encrypted => {
                let (head, body) = raw.split_at_mut(header_len + NONCE_LEN);
                let (ciphertext, tag) = body.split_at_mut(body.len() - GCM_TAG_LEN);
                key.cipher()
                    .decrypt_in_place_detached(
                        Nonce::from_slice(&head[header_len..]),
                        aad,
                        ciphertext,
                        Tag::from_slice(tag),
                    )
                    .map_err(|_| Error::Unauthentic)?;
                Ok(header_len + NONCE_LEN..raw.len() - GCM_TAG_LEN)
            }
            Mode::Signed => {
                let end = raw.len() - HMAC_TAG_LEN;
                let mut mac = key.mac().clone();
                mac.update(aad);
                mac.update(&raw[header_len..end]);
                // `verify_slice` compares in constant time.
                mac.verify_slice(&raw[end..])
                    .map_err(|_| Error::Unauthentic)?;
                Ok(header_len..end)
            }
        }
    }

    fn check_times(&self, times: Times, now: UnixTime) -> Result<()> {
        if times.issued_at > now + self.leeway {
            return Err(Error::IssuedInFuture);
        }
        // Expiry is exact: the leeway forgives a clock that runs behind the
        // sealer's, never a lifetime that is over.
        if now >= times.expires_at {
            return Err(Error::Expired);
        }
        Ok(())
    }

    fn associated_data<'a>(
        &self,
        binding: &Binding<'_>,
        header: &[u8],
        inline: &'a mut [u8; INLINE_AAD_LEN],
        spill: &'a mut Vec<u8>,
    ) -> &'a [u8] {
        wire::associated_data_in(
            [
                self.mode.context(),
                binding.cookie_name.as_bytes(),
                binding.store_kind.as_bytes(),
                header,
            ],
            inline,
            spill,
        )
    }
}

/// The buffer that small values are sealed and opened in. The
/// representative session of the benchmarks (a user id, a name, three
/// roles, a token, a theme, a timestamp) takes 175 bytes.
const SMALL_RAW_LEN: usize = 512;
const _: () = assert!(
    SMALL_RAW_LEN <= MAX_RAW_LEN,
    "the small buffer is the fast path of the full one"
);

/// Runs `open` on a zeroed buffer that holds the raw bytes of `sealed`:
/// a small one when they fit, since zeroing the full one costs a
/// twentieth of an open.
fn with_raw_buffer<R>(sealed: &str, open: impl FnOnce(&mut [u8]) -> R) -> R {
    // base64's own bound on the decoded length, which `decode_slice` needs.
    if sealed.len().div_ceil(4) * 3 <= SMALL_RAW_LEN {
        open(&mut [0u8; SMALL_RAW_LEN])
    } else {
        open(&mut [0u8; MAX_RAW_LEN])
    }
}

fn sign(key: &Key, aad: &[u8], payload: &[u8]) -> [u8; HMAC_TAG_LEN] {
    let mut mac = key.mac().clone();
    mac.update(aad);
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that serialize as a CBOR byte string (not an array).
    #[derive(Debug, PartialEq)]
    struct ByteBuf(Vec<u8>);

    impl Serialize for ByteBuf {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    impl<'de> serde::Deserialize<'de> for ByteBuf {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct Bytes;
            impl serde::de::Visitor<'_> for Bytes {
                type Value = ByteBuf;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> std::result::Result<ByteBuf, E> {
                    Ok(ByteBuf(v))
                }
            }
            d.deserialize_byte_buf(Bytes)
        }
    }

    /// Counts the nonces drawn.
    struct Counting(u64);

    impl NonceSource for Counting {
        fn fill(&mut self, nonce: &mut [u8; NONCE_LEN]) {
            self.0 += 1;
            nonce[4..].copy_from_slice(&self.0.to_be_bytes());
        }
    }

    #[test]
    fn payloads_around_the_small_buffer_seal_once_and_open() {
        let now = UnixTime::from_secs(1_800_000_000);
        let times = Times::fresh(now, Duration::from_mins(1));
        let binding = Binding::new("n", "k");
        for mode in [Mode::Encrypted, Mode::Signed] {
            let codec = Codec::new(Key::generate()).with_mode(mode);
            let max = codec.max_payload_len(times);
            for len in (SMALL_RAW_LEN - 64..SMALL_RAW_LEN + 16).chain([max]) {
                let payload = vec![7u8; len];
                let mut nonces = Counting(0);
                let sealed = codec
                    .seal_bytes_with(&binding, times, &mut nonces, &payload)
                    .unwrap();
                let opened = codec.open_bytes(&binding, &sealed, now).unwrap();
                assert_eq!(opened.value, payload);
                // A byte string of `len - 3` bytes takes `len` bytes of CBOR.
                let bytes = ByteBuf(payload[3..].to_vec());
                let sealed = codec
                    .seal_value_with(&binding, times, &mut nonces, &bytes)
                    .unwrap();
                let opened = codec.open::<ByteBuf>(&binding, &sealed, now).unwrap();
                assert_eq!(opened.value, bytes);
                let drawn = if mode == Mode::Encrypted { 2 } else { 0 };
                assert_eq!(nonces.0, drawn, "one nonce per seal, whatever the buffer");
            }
            let too_long = ByteBuf(vec![7; max - 2]);
            let err = codec.seal(&binding, times, &too_long).unwrap_err();
            assert!(
                matches!(err, Error::PayloadTooLarge { len, max: m } if len == max + 1 && m == max)
            );
        }
    }
}
