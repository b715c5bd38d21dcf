//! Why a sealed value did not open: reasons for the debug log, never
//! errors a user sees (a cookie that does not open is a fresh session).

/// Why [`Codec::open_bytes`](super::Codec::open_bytes) refused a value, in
/// the order the checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpenError {
    /// Longer than the cookie budget; refused before any work.
    #[error("sealed value is {len} bytes, over the limit of {max}")]
    TooLong { len: usize, max: usize },
    /// Empty, not base64url, or shorter than any envelope.
    #[error("sealed value is malformed")]
    Malformed,
    /// Written by a format version this build cannot read.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// Names a key that is not in the key ring.
    #[error("sealed with a key that is not in the key ring")]
    UnknownKey,
    /// Failed authentication. Deliberately says nothing more.
    #[error("sealed value failed authentication")]
    Unauthentic,
    /// Authentic, but its lifetime is over.
    #[error("sealed value has expired")]
    Expired,
    /// Authentic, but issued in the future beyond the allowed clock skew.
    #[error("sealed value was issued in the future")]
    IssuedInFuture,
}
