//! Keys, key ids and the key ring.
//!
//! A [`Key`] is 32 bytes of secret material. Everything the codec uses is
//! derived from it with HKDF-SHA256 under distinct labels: an AES-256-GCM key,
//! an HMAC-SHA256 key and a public four-byte [`KeyId`]. The keyed cipher and MAC
//! states are built once, when the key is made, never per cookie.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Length of a key's secret material, in bytes.
///
/// ```
/// use base64::Engine as _;
/// use base64::engine::general_purpose::URL_SAFE_NO_PAD;
///
/// // The text form of a key is its secret, base64url-encoded.
/// let text = sessions::Key::generate().to_text();
/// assert_eq!(URL_SAFE_NO_PAD.decode(text).unwrap().len(), sessions::KEY_LEN);
/// ```
pub const KEY_LEN: usize = 32;

/// The shortest secret [`Key::derive_from`] accepts, in bytes.
///
/// ```
/// use sessions::{Error, Key, MIN_SECRET_LEN};
///
/// assert!(Key::derive_from(&[7; MIN_SECRET_LEN]).is_err()); // one byte repeated
/// assert!(Key::derive_from(b"thirty-two bytes of real entropy").is_ok());
/// let err = Key::derive_from(&[7; MIN_SECRET_LEN - 1]).unwrap_err();
/// assert!(matches!(err, Error::WeakSecret { min: MIN_SECRET_LEN, .. }));
/// ```
pub const MIN_SECRET_LEN: usize = 32;

/// Length of the text form of a key (base64url without padding).
const KEY_TEXT_LEN: usize = KEY_LEN.div_ceil(3) * 4 - (3 - KEY_LEN % 3) % 3;
const _: () = assert!(KEY_TEXT_LEN == 43, "32 bytes are 43 base64url characters");

/// Length of a [`KeyId`] on the wire.
pub(crate) const KEY_ID_LEN: usize = 4;

/// HKDF labels. Changing one changes every derived key: that is a format change.
const LABEL_ENCRYPTION: &[u8] = b"sessions v1 aes-256-gcm";
const LABEL_SIGNING: &[u8] = b"sessions v1 hmac-sha256";
const LABEL_KEY_ID: &[u8] = b"sessions v1 key id";
const SALT_DERIVE_FROM: &[u8] = b"sessions v1 derive_from";

/// The public name of a key: four bytes derived from it, carried in every
/// sealed value so that opening looks up exactly one key.
///
/// ```
/// let key = sessions::Key::generate();
/// assert_eq!(key.id().to_string().len(), 8); // eight hex digits
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) [u8; KEY_ID_LEN]);

impl KeyId {
    /// The id as bytes, as it appears on the wire.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(key.id().as_bytes().len(), 4);
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A secret key for sealing and opening session cookies and ids.
///
/// Cheap to clone (the derived state is shared). `Debug` shows only the
/// public [`KeyId`].
///
/// ```
/// use sessions::Key;
///
/// let key = Key::generate();
/// let text = key.to_text();                  // e.g. for a SESSION_KEY variable
/// let parsed: Key = text.parse().unwrap();
/// assert_eq!(parsed, key);
/// assert!(!format!("{key:?}").contains(&text));
/// ```
#[derive(Clone)]
pub struct Key(Arc<KeyState>);

struct KeyState {
    secret: [u8; KEY_LEN],
    id: KeyId,
    cipher: Aes256Gcm,
    mac: Hmac<Sha256>,
}

impl Key {
    /// A fresh random key from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// When the operating system cannot supply random bytes: no key can be
    /// made safely then.
    ///
    /// ```
    /// let (a, b) = (sessions::Key::generate(), sessions::Key::generate());
    /// assert_ne!(a, b);
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let mut secret = [0u8; KEY_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut secret)
            .expect("the operating system's random source is readable");
        Self::from_secret(secret)
    }

    /// Derives a key from a long secret (a passphrase from configuration,
    /// say) with HKDF-SHA256. The same secret always gives the same key.
    ///
    /// A secret shorter than 32 bytes is [`Error::WeakSecret`]; one byte
    /// repeated is [`Error::RepeatedByteSecret`].
    ///
    /// ```
    /// use sessions::Key;
    ///
    /// let secret = b"a configuration secret of at least 32 bytes";
    /// assert_eq!(Key::derive_from(secret)?, Key::derive_from(secret)?);
    /// assert!(Key::derive_from(b"short").is_err());
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn derive_from(secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::WeakSecret {
                len: secret.len(),
                min: MIN_SECRET_LEN,
            });
        }
        refuse_repeated_byte(secret)?;
        let hkdf = Hkdf::<Sha256>::new(Some(SALT_DERIVE_FROM), secret);
        Ok(Self::from_secret(expand(&hkdf, b"sessions v1 master")))
    }

    /// The key's public id.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(key.id(), key.clone().id());
    /// ```
    #[must_use]
    pub fn id(&self) -> KeyId {
        self.0.id
    }

    /// The key as text: 43 base64url characters, which `str::parse` reads
    /// back. This is the secret itself: keep it out of logs.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(key.to_text().len(), 43);
    /// ```
    #[must_use]
    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.secret)
    }

    pub(crate) fn cipher(&self) -> &Aes256Gcm {
        &self.0.cipher
    }

    pub(crate) fn mac(&self) -> &Hmac<Sha256> {
        &self.0.mac
    }

    fn from_secret(secret: [u8; KEY_LEN]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(None, &secret);
        let enc: [u8; 32] = expand(&hkdf, LABEL_ENCRYPTION);
        let sig: [u8; 32] = expand(&hkdf, LABEL_SIGNING);
        let id: [u8; KEY_ID_LEN] = expand(&hkdf, LABEL_KEY_ID);
        Self(Arc::new(KeyState {
            secret,
            id: KeyId(id),
            cipher: Aes256Gcm::new(&enc.into()),
            mac: <Hmac<Sha256> as Mac>::new_from_slice(&sig)
                .expect("HMAC accepts keys of any length"),
        }))
    }
}

/// A secret of one repeated byte (all zeros from an unset variable, a
/// placeholder of `x`s) is refused wherever a key is made from given bytes.
fn refuse_repeated_byte(secret: &[u8]) -> Result<()> {
    match secret.split_first() {
        Some((first, rest)) if rest.iter().all(|byte| byte == first) => {
            Err(Error::RepeatedByteSecret)
        }
        _ => Ok(()),
    }
}

fn expand<const N: usize>(hkdf: &Hkdf<Sha256>, label: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    hkdf.expand(label, &mut out)
        .expect("HKDF-SHA256 can expand up to 8160 bytes; we ask for at most 32");
    out
}

impl FromStr for Key {
    type Err = Error;

    /// Parses the text form written by [`Key::to_text`]. Surrounding
    /// whitespace (a trailing newline from a file) is ignored.
    fn from_str(text: &str) -> Result<Self> {
        let invalid = || Error::InvalidKeyText {
            expected: KEY_TEXT_LEN,
        };
        let text = text.trim();
        if text.len() != KEY_TEXT_LEN {
            return Err(invalid());
        }
        let mut secret = [0u8; KEY_LEN];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut secret) {
            Ok(KEY_LEN) => {
                refuse_repeated_byte(&secret)?;
                Ok(Self::from_secret(secret))
            }
            _ => Err(invalid()),
        }
    }
}

impl PartialEq for Key {
    /// Constant time: keys are compared by their secret material.
    fn eq(&self, other: &Self) -> bool {
        self.0.secret.ct_eq(&other.0.secret).into()
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.0.id)
            .finish_non_exhaustive()
    }
}

/// One primary key that seals, and older keys that only open.
///
/// Rotate by making a new key primary and keeping the old one in the ring
/// until every cookie sealed with it has expired. Stores take
/// `impl Into<KeyRing>`, so a single [`Key`] is enough for the common case.
///
/// ```
/// use sessions::{Key, KeyRing};
///
/// let old = Key::generate();
/// let new = Key::generate();
/// let ring = KeyRing::new(new.clone()).with_old(old.clone());
/// assert_eq!(ring.primary(), &new);
/// assert_eq!(ring.find(old.id()), Some(&old));
/// assert!(ring.find(Key::generate().id()).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    primary: Key,
    old: Vec<Key>,
}

impl KeyRing {
    /// A ring with one key, which seals and opens.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(sessions::KeyRing::new(key.clone()).primary(), &key);
    /// ```
    #[must_use]
    pub fn new(primary: Key) -> Self {
        Self {
            primary,
            old: Vec::new(),
        }
    }

    /// Adds a key that opens values sealed before a rotation but never seals.
    ///
    /// ```
    /// use sessions::{Key, KeyRing};
    ///
    /// let old = Key::generate();
    /// let ring = KeyRing::new(Key::generate()).with_old(old.clone());
    /// assert!(ring.find(old.id()).is_some());
    /// ```
    #[must_use]
    pub fn with_old(mut self, key: Key) -> Self {
        self.old.push(key);
        self
    }

    /// The key that seals.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// assert_eq!(sessions::KeyRing::from(key.clone()).primary().id(), key.id());
    /// ```
    #[must_use]
    pub fn primary(&self) -> &Key {
        &self.primary
    }

    /// The key with this id, primary first.
    ///
    /// ```
    /// let key = sessions::Key::generate();
    /// let ring = sessions::KeyRing::from(key.clone());
    /// assert_eq!(ring.find(key.id()), Some(&key));
    /// ```
    #[must_use]
    pub fn find(&self, id: KeyId) -> Option<&Key> {
        std::iter::once(&self.primary)
            .chain(&self.old)
            .find(|key| key.id() == id)
    }
}

impl From<Key> for KeyRing {
    fn from(key: Key) -> Self {
        Self::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_nothing_secret() {
        let key = Key::generate();
        let text = key.to_text();
        let debug = format!("{key:?} {:?}", KeyRing::new(key.clone()));
        assert!(!debug.contains(&text), "{debug}");
        for byte in key.0.secret {
            // No byte of the secret appears in decimal or hex list form.
            assert!(!debug.contains(&format!("{byte}, ")), "{debug}");
        }
        assert!(debug.contains(&key.id().to_string()));
    }

    #[test]
    fn derived_keys_are_distinct() {
        let key = Key::derive_from(b"a secret of thirty-two bytes, ok").unwrap();
        let hkdf = Hkdf::<Sha256>::new(None, &key.0.secret);
        let enc: [u8; 32] = expand(&hkdf, LABEL_ENCRYPTION);
        let sig: [u8; 32] = expand(&hkdf, LABEL_SIGNING);
        assert_ne!(enc, sig);
        assert_ne!(enc, key.0.secret);
        assert_ne!(&enc[..KEY_ID_LEN], key.id().as_bytes());
    }

    #[test]
    fn derive_from_rejects_short_secrets_without_panic() {
        for len in 0..MIN_SECRET_LEN {
            let err = Key::derive_from(&vec![1u8; len]).unwrap_err();
            assert!(matches!(err, Error::WeakSecret { len: l, min: 32 } if l == len));
        }
        let mut secret = [1u8; MIN_SECRET_LEN];
        assert!(matches!(
            Key::derive_from(&secret),
            Err(Error::RepeatedByteSecret)
        ));
        secret[MIN_SECRET_LEN - 1] = 2;
        assert!(Key::derive_from(&secret).is_ok());
    }

    #[test]
    fn repeated_byte_keys_do_not_parse() {
        for byte in [0u8, 1, 0xff] {
            let text = URL_SAFE_NO_PAD.encode([byte; KEY_LEN]);
            assert!(matches!(
                text.parse::<Key>(),
                Err(Error::RepeatedByteSecret)
            ));
        }
    }

    #[test]
    fn text_form_round_trips_and_rejects_garbage() {
        let key = Key::generate();
        assert_eq!(format!("{}\n", key.to_text()).parse::<Key>().unwrap(), key);
        for bad in ["", "abc", &"!".repeat(43), &"A".repeat(44)] {
            assert!(matches!(
                bad.parse::<Key>(),
                Err(Error::InvalidKeyText { expected: 43 })
            ));
        }
    }
}
