//! Sealing and opening.

use std::ops::Range;
use std::time::Duration;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use rand::RngCore;

use super::open_error::OpenError;
use super::time::{Times, UnixTime};
use super::wire::{self, Header, INLINE_AAD_LEN, MAX_HEADER_LEN, VERSION};
use super::{MAX_RAW_LEN, MAX_SEALED_LEN};
use crate::error::{Error, Result};
use crate::key::{Key, KeyId, KeyRing};

const NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;
const HMAC_TAG_LEN: usize = 32;

/// Clock skew tolerated between the servers that seal and open.
pub(crate) const DEFAULT_LEEWAY: Duration = Duration::from_mins(1);

/// How a cookie store protects the session it carries.
///
/// ```
/// use sessions::store::Mode;
/// use sessions::{CookieStore, Key};
///
/// assert_eq!(Mode::default(), Mode::Encrypted);
/// assert_eq!(CookieStore::new(Key::generate()).mode(), Mode::Encrypted);
/// assert_eq!(CookieStore::signed(Key::generate()).mode(), Mode::Signed);
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Binding<'a> {
    cookie_name: &'a str,
    store_kind: &'a str,
}

impl<'a> Binding<'a> {
    /// Binds to a cookie name and a store kind (`"cookie"`, `"files"`, ...).
    pub(crate) const fn new(cookie_name: &'a str, store_kind: &'a str) -> Self {
        Self {
            cookie_name,
            store_kind,
        }
    }
}

/// A payload that opened, with what the envelope said about it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Opened {
    /// The payload.
    pub(crate) value: Vec<u8>,
    /// The authenticated times.
    pub(crate) times: Times,
    /// Whether the primary key opened it; if not, seal again to rotate.
    pub(crate) by_primary: bool,
}

impl std::fmt::Debug for Opened {
    /// The payload's length, never its bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("value_len", &self.value.len())
            .field("times", &self.times)
            .field("by_primary", &self.by_primary)
            .finish()
    }
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
#[derive(Clone, Debug)]
pub(crate) struct Codec {
    keys: KeyRing,
    mode: Mode,
    leeway: Duration,
}

impl Codec {
    /// An encrypting codec with the default clock leeway of one minute.
    pub(crate) fn new(keys: impl Into<KeyRing>) -> Self {
        Self {
            keys: keys.into(),
            mode: Mode::default(),
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Chooses encryption or signing.
    #[must_use]
    pub(crate) fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the tolerated clock skew between servers. No store offers it:
    /// the tests use it to show that expiry ignores it.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The mode.
    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The largest payload, in bytes, that seals into [`MAX_SEALED_LEN`]
    /// characters with these times.
    #[cfg(test)]
    pub(crate) fn max_payload_len(&self, times: Times) -> usize {
        let (_, header_len) = self.header(times);
        self.max_payload_after(header_len)
    }

    /// Seals raw bytes.
    pub(crate) fn seal_bytes(
        &self,
        binding: &Binding<'_>,
        times: Times,
        payload: &[u8],
    ) -> Result<String> {
        self.seal_bytes_with(binding, times, &mut ThreadRngNonces, payload)
    }

    /// [`seal_bytes`](Self::seal_bytes) with nonces from `nonces`. No nonce
    /// is drawn for a payload that does not fit.
    pub(crate) fn seal_bytes_with(
        &self,
        binding: &Binding<'_>,
        times: Times,
        nonces: &mut dyn NonceSource,
        payload: &[u8],
    ) -> Result<String> {
        let (header, header_len) = self.header(times);
        let header = &header[..header_len];
        let max = self.max_payload_after(header_len);
        if payload.len() > max {
            return Err(Error::PayloadTooLarge {
                len: payload.len(),
                max,
            });
        }
        let mut raw = Vec::with_capacity(header_len + self.mode.overhead() + payload.len());
        raw.extend_from_slice(header);
        let (mut inline, mut spill) = ([0u8; INLINE_AAD_LEN], Vec::new());
        let aad = self.associated_data(binding, header, &mut inline, &mut spill);
        let key = self.keys.primary();
        match self.mode {
            Mode::Encrypted => encrypt(key, aad, nonces, payload, &mut raw).map_err(|_| {
                // AES-GCM refuses only plaintexts of 64 GiB and more.
                Error::PayloadTooLarge {
                    len: payload.len(),
                    max,
                }
            })?,
            Mode::Signed => {
                raw.extend_from_slice(payload);
                raw.extend_from_slice(&sign(key, aad, payload));
            }
        }
        Ok(URL_SAFE_NO_PAD.encode(&raw))
    }

    /// Opens a sealed value and returns the raw payload.
    pub(crate) fn open_bytes(
        &self,
        binding: &Binding<'_>,
        sealed: &str,
        now: UnixTime,
    ) -> Result<Opened, OpenError> {
        if sealed.len() > MAX_SEALED_LEN {
            return Err(OpenError::TooLong {
                len: sealed.len(),
                max: MAX_SEALED_LEN,
            });
        }
        let mut raw = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| OpenError::Malformed)?;
        let (key_id, key) = self.find_key(&raw)?;
        let (header, header_len) = Header::decode(&raw).ok_or(OpenError::Unauthentic)?;
        let payload = self.authenticate(key, binding, &mut raw, header_len)?;
        self.check_times(header.times, now)?;
        raw.truncate(payload.end);
        raw.drain(..payload.start);
        Ok(Opened {
            value: raw,
            times: header.times,
            by_primary: key_id == self.keys.primary().id(),
        })
    }

    /// The header of a value sealed now with the primary key, and its length.
    fn header(&self, times: Times) -> ([u8; MAX_HEADER_LEN], usize) {
        let header = Header {
            key_id: self.keys.primary().id(),
            times,
        };
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let len = header.encode(&mut bytes);
        (bytes, len)
    }

    fn max_payload_after(&self, header_len: usize) -> usize {
        MAX_RAW_LEN - header_len - self.mode.overhead()
    }

    /// Checks the version byte and finds the key a raw value names.
    fn find_key(&self, raw: &[u8]) -> Result<(KeyId, &Key), OpenError> {
        match raw.first() {
            None => return Err(OpenError::Malformed),
            Some(&VERSION) => {}
            Some(&other) => return Err(OpenError::UnsupportedVersion(other)),
        }
        let key_id = Header::key_id(raw).ok_or(OpenError::Malformed)?;
        let key = self.keys.find(key_id).ok_or(OpenError::UnknownKey)?;
        Ok((key_id, key))
    }

    /// Verifies (and decrypts in place) the body; returns the payload range.
    fn authenticate(
        &self,
        key: &Key,
        binding: &Binding<'_>,
        raw: &mut [u8],
        header_len: usize,
    ) -> Result<Range<usize>, OpenError> {
        if raw.len() < header_len + self.mode.overhead() {
            return Err(OpenError::Unauthentic);
        }
        let (header, body) = raw.split_at_mut(header_len);
        let (mut inline, mut spill) = ([0u8; INLINE_AAD_LEN], Vec::new());
        let aad = self.associated_data(binding, header, &mut inline, &mut spill);
        let payload = match self.mode {
            Mode::Encrypted => decrypt(key, aad, body)?,
            Mode::Signed => verify(key, aad, body)?,
        };
        Ok(header_len + payload.start..header_len + payload.end)
    }

    fn check_times(&self, times: Times, now: UnixTime) -> Result<(), OpenError> {
        if times.issued_at > now + self.leeway {
            return Err(OpenError::IssuedInFuture);
        }
        // Expiry is exact: the leeway forgives a clock that runs behind the
        // sealer's, never a lifetime that is over.
        if now >= times.expires_at {
            return Err(OpenError::Expired);
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

/// Appends `nonce | ciphertext | tag` of `payload` to `raw`.
fn encrypt(
    key: &Key,
    aad: &[u8],
    nonces: &mut dyn NonceSource,
    payload: &[u8],
    raw: &mut Vec<u8>,
) -> aes_gcm::aead::Result<()> {
    let mut nonce = [0u8; NONCE_LEN];
    nonces.fill(&mut nonce);
    raw.extend_from_slice(&nonce);
    let start = raw.len();
    raw.extend_from_slice(payload);
    let tag = key.cipher().encrypt_in_place_detached(
        Nonce::from_slice(&nonce),
        aad,
        &mut raw[start..],
    )?;
    raw.extend_from_slice(&tag);
    Ok(())
}

/// Decrypts `nonce | ciphertext | tag` in place; returns where the
/// plaintext is in `body`.
fn decrypt(key: &Key, aad: &[u8], body: &mut [u8]) -> Result<Range<usize>, OpenError> {
    let (nonce, rest) = body.split_at_mut(NONCE_LEN);
    let end = rest.len() - GCM_TAG_LEN;
    let (ciphertext, tag) = rest.split_at_mut(end);
    key.cipher()
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            aad,
            ciphertext,
            Tag::from_slice(tag),
        )
        .map_err(|_| OpenError::Unauthentic)?;
    Ok(NONCE_LEN..NONCE_LEN + end)
}

/// Verifies `payload | tag`; returns where the payload is in `body`.
fn verify(key: &Key, aad: &[u8], body: &[u8]) -> Result<Range<usize>, OpenError> {
    let end = body.len() - HMAC_TAG_LEN;
    let mut mac = key.mac().clone();
    mac.update(aad);
    mac.update(&body[..end]);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&body[end..])
        .map_err(|_| OpenError::Unauthentic)?;
    Ok(0..end)
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

    /// Counts the nonces drawn.
    struct Counting(u64);

    impl NonceSource for Counting {
        fn fill(&mut self, nonce: &mut [u8; NONCE_LEN]) {
            self.0 += 1;
            nonce[4..].copy_from_slice(&self.0.to_be_bytes());
        }
    }

    #[test]
    fn one_nonce_per_seal_and_none_for_a_payload_that_does_not_fit() {
        let now = UnixTime::from_secs(1_800_000_000);
        let times = Times::fresh(now, Duration::from_mins(1));
        let binding = Binding::new("n", "k");
        for mode in [Mode::Encrypted, Mode::Signed] {
            let codec = Codec::new(Key::generate()).with_mode(mode);
            let max = codec.max_payload_len(times);
            let mut nonces = Counting(0);
            for len in [0, 1, 500, max - 1, max] {
                let payload = vec![7u8; len];
                let sealed = codec
                    .seal_bytes_with(&binding, times, &mut nonces, &payload)
                    .unwrap();
                assert_eq!(
                    codec.open_bytes(&binding, &sealed, now).unwrap().value,
                    payload
                );
            }
            let err = codec
                .seal_bytes_with(&binding, times, &mut nonces, &vec![7; max + 1])
                .unwrap_err();
            assert!(
                matches!(err, Error::PayloadTooLarge { len, max: m } if len == max + 1 && m == max)
            );
            let drawn = if mode == Mode::Encrypted { 5 } else { 0 };
            assert_eq!(nonces.0, drawn, "{mode:?}");
        }
    }

    #[test]
    fn a_new_codec_encrypts_with_the_default_leeway() {
        let codec = Codec::new(Key::generate());
        assert_eq!(codec.mode(), Mode::Encrypted);
        assert_eq!(codec.leeway, DEFAULT_LEEWAY);
        assert_eq!(DEFAULT_LEEWAY.as_secs(), 60);
    }
}
