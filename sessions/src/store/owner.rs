//! [`OwnerId`]: a session's owner as the stores index it.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// Length of an [`OwnerId`] in bytes.
pub(crate) const OWNER_LEN: usize = 32;

/// Domain separation of owner digests from any other use of SHA-256.
const OWNER_CONTEXT: &[u8] = b"sessions owner\0";

/// The owner of a session as the stores know it: a SHA-256 digest of the
/// session's cookie name and the owner's text
/// ([`SessionOwner`](crate::SessionOwner)).
///
/// The name is part of it, so the `user` and `admin` sessions of one
/// person are two indexes. Stores never see the owner's text: a digest is
/// safe in a file name or a key whatever the text holds, and of fixed
/// size.
///
/// ```
/// use sessions::store::OwnerId;
///
/// let ada = OwnerId::new("user", "ada");
/// assert_eq!(ada, OwnerId::new("user", "ada"));
/// assert_ne!(ada, OwnerId::new("admin", "ada"));
/// assert_ne!(ada, OwnerId::new("user", "ad"));
/// assert_eq!(ada.to_hex().len(), 64);
/// // Debug shows neither the text nor the digest.
/// assert_eq!(format!("{ada:?}"), "OwnerId(..)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnerId([u8; OWNER_LEN]);

impl OwnerId {
    /// The owner `owner` of sessions named `session`.
    #[must_use]
    pub fn new(session: &str, owner: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(OWNER_CONTEXT);
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        hasher.update((session.len() as u64).to_be_bytes());
        hasher.update(session.as_bytes());
        hasher.update(owner.as_bytes());
        Self(hasher.finalize().into())
    }

    /// The digest's bytes, as a backend stores them.
    ///
    /// ```
    /// # use sessions::store::OwnerId;
    /// let ada = OwnerId::new("user", "ada");
    /// assert_eq!(OwnerId::from_bytes(*ada.as_bytes()), ada);
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; OWNER_LEN] {
        &self.0
    }

    /// An owner read back from a backend's storage.
    ///
    /// ```
    /// # use sessions::store::OwnerId;
    /// let bytes = *OwnerId::new("user", "7").as_bytes();
    /// assert_eq!(OwnerId::from_bytes(bytes).as_bytes(), &bytes);
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: [u8; OWNER_LEN]) -> Self {
        Self(bytes)
    }

    /// Lowercase hex, 64 characters: a file or key name.
    ///
    /// ```
    /// # use sessions::store::OwnerId;
    /// let hex = OwnerId::new("user", "7").to_hex();
    /// assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    /// ```
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0
            .iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }

    /// The owner of a record's header: 32 zero bytes are no owner (no
    /// SHA-256 output is all zeros in practice).
    pub(crate) fn from_stored(bytes: [u8; OWNER_LEN]) -> Option<Self> {
        (bytes != [0; OWNER_LEN]).then_some(Self(bytes))
    }
}

impl fmt::Debug for OwnerId {
    /// Nothing that ties log lines to one person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnerId(..)")
    }
}
