//! `SessionId`: the 256-bit random name of a server-side session.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Bytes in an id.
///
/// ```
/// use sessions::store::{ID_LEN, SessionId};
/// assert_eq!(SessionId::generate().as_bytes().len(), ID_LEN);
/// assert_eq!(ID_LEN * 8, 256);
/// ```
pub const ID_LEN: usize = 32;

/// Characters in an id's text form (base64url, no padding).
///
/// ```
/// use sessions::store::{ID_TEXT_LEN, SessionId};
/// let text = SessionId::generate().to_string();
/// assert_eq!(text.len(), ID_TEXT_LEN);
/// assert!(text[..ID_TEXT_LEN - 1].parse::<SessionId>().is_err());
/// ```
pub const ID_TEXT_LEN: usize = 43;
const _: () = assert!(
    ID_LEN * 4 / 3 + 1 == ID_TEXT_LEN,
    "32 bytes are 43 base64url characters"
);

/// The id of a server-side session: 256 bits from a CSPRNG, created only by
/// stores, never taken from a client.
///
/// Its text form is exactly 43 characters of the base64url alphabet, which
/// is safe in file names and Redis keys; [`FromStr`] accepts nothing else.
/// Comparison is constant time; `Debug` hides the id (it is a bearer
/// secret).
///
/// ```
/// use sessions::store::SessionId;
///
/// let id = SessionId::generate();
/// let text = id.to_string();
/// assert_eq!(text.len(), 43);
/// assert_eq!(text.parse::<SessionId>()?, id);
/// assert!("../../etc/passwd".parse::<SessionId>().is_err());
/// assert!(!format!("{id:?}").contains(&text));
/// # Ok::<(), sessions::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionId([u8; ID_LEN]);

impl SessionId {
    /// A fresh random id.
    ///
    /// ```
    /// use sessions::store::SessionId;
    /// assert_ne!(SessionId::generate(), SessionId::generate());
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; ID_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The raw bytes.
    ///
    /// ```
    /// assert_eq!(sessions::store::SessionId::generate().as_bytes().len(), 32);
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// An id from raw bytes; `None` unless exactly [`ID_LEN`] of them.
    ///
    /// ```
    /// use sessions::store::SessionId;
    /// assert!(SessionId::from_bytes(&[0; 32]).is_some());
    /// assert!(SessionId::from_bytes(&[0; 31]).is_none());
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

impl FromStr for SessionId {
    type Err = Error;

    /// Strict: exactly 43 base64url characters in canonical form. Checked
    /// before anything touches a path or a key.
    fn from_str(text: &str) -> Result<Self> {
        let valid_alphabet = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if text.len() != ID_TEXT_LEN || !valid_alphabet {
            return Err(Error::InvalidId);
        }
        let mut bytes = [0u8; ID_LEN];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            Ok(ID_LEN) => Ok(Self(bytes)),
            _ => Err(Error::InvalidId),
        }
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; ID_TEXT_LEN];
        let len = URL_SAFE_NO_PAD
            .encode_slice(self.0, &mut text)
            .expect("43 bytes hold 32 bytes of base64url");
        f.write_str(std::str::from_utf8(&text[..len]).expect("base64url is ASCII"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

impl PartialEq for SessionId {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SessionId {}

impl std::hash::Hash for SessionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal ids have equal bytes, so hashing the bytes agrees with `eq`.
        self.0.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_everything_but_canonical_ids() {
        let good = SessionId::generate().to_string();
        let bad = [
            String::new(),
            "../x".to_owned(),
            "/etc/passwd".to_owned(),
            format!("{}\0", &good[..42]),
            format!("{good}A"),
            good[..42].to_owned(),
            format!("{}+", &good[..42]),
            format!("{}=", &good[..42]),
            format!("{}.", &good[..42]),
            "é".repeat(21) + "a",
        ];
        for text in bad {
            assert!(
                matches!(text.parse::<SessionId>(), Err(Error::InvalidId)),
                "{text:?}"
            );
        }
        assert!(good.parse::<SessionId>().is_ok());
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // The last character carries 2 padding bits; only canonical ones parse.
        let good = SessionId::from_bytes(&[0; 32]).unwrap().to_string();
        assert!(good.ends_with('A'));
        let odd = format!("{}B", &good[..42]);
        assert!(odd.parse::<SessionId>().is_err());
    }
}
