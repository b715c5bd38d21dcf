//! The rules every [`SessionConfig`] keeps, written as `const fn`s so that
//! a `const` configuration is checked by the compiler.
//!
//! They are the rules `#[derive(Session)]` applies to its attributes: a
//! configuration that breaks one would make browsers drop or misread the
//! cookie, or make the server compute times that overflow.

use std::fmt;
use std::time::Duration;

use super::{SameSite, SessionConfig};

/// The longest `max_age`: 400 days. RFC 6265bis §5.6.1 has browsers cap a
/// cookie's lifetime there, so a longer server-side lifetime would outlive
/// every cookie that could load it.
pub const MAX_MAX_AGE: Duration = Duration::from_hours(24 * 400);

/// The longest idle or absolute timeout: a hundred years. Far beyond any
/// session, and far from where adding it to a time could overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_hours(24 * 36_525);

/// A broken rule of a [`SessionConfig`].
///
/// ```
/// use sessions::{ConfigError, SessionConfig};
///
/// let err = SessionConfig::new("user").with_path("/; Domain=evil.example").check();
/// assert_eq!(err, Err(ConfigError::InvalidPath));
/// assert!(SessionConfig::new("user").check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or not an RFC 6265 token.
    InvalidName,
    /// The path does not start with `/`, or holds a control character or `;`.
    InvalidPath,
    /// The domain is empty, or holds whitespace, a control character or `;`.
    InvalidDomain,
    /// The store name is empty.
    EmptyStoreName,
    /// `max_age` is zero or above [`MAX_MAX_AGE`].
    MaxAgeOutOfRange,
    /// An idle or absolute timeout is zero or above [`MAX_TIMEOUT`].
    TimeoutOutOfRange,
    /// `SameSite=None` or `Partitioned` without `Secure`: browsers reject it.
    NeedsSecure,
    /// A `__Secure-` or `__Host-` name without `Secure`.
    PrefixNeedsSecure,
    /// A `__Host-` name with a `Domain` or a path other than `/`.
    HostPrefixScope,
}

impl ConfigError {
    /// What is wrong, in words; also the compile error of a `const`
    /// configuration.
    ///
    /// ```
    /// let text = sessions::ConfigError::InvalidName.message();
    /// assert!(text.contains("RFC 6265 token"));
    /// ```
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::InvalidName => {
                "invalid session config: the cookie name must be an RFC 6265 token \
                 (visible ASCII except ( ) < > @ , ; : \\ \" / [ ] ? = { })"
            }
            Self::InvalidPath => {
                "invalid session config: the cookie path must start with `/` and hold \
                 no control character and no `;`"
            }
            Self::InvalidDomain => {
                "invalid session config: the cookie domain must be non-empty and hold \
                 no whitespace, no control character and no `;`"
            }
            Self::EmptyStoreName => "invalid session config: the store name is empty",
            Self::MaxAgeOutOfRange => {
                "invalid session config: max_age must be positive and at most 400 days \
                 (browsers cap cookie lifetimes there)"
            }
            Self::TimeoutOutOfRange => {
                "invalid session config: idle and absolute timeouts must be positive \
                 and at most 100 years"
            }
            Self::NeedsSecure => {
                "invalid session config: SameSite=None and Partitioned need Secure \
                 (browsers reject such cookies otherwise)"
            }
            Self::PrefixNeedsSecure => {
                "invalid session config: a cookie name starting with `__Secure-` or \
                 `__Host-` needs Secure"
            }
            Self::HostPrefixScope => {
                "invalid session config: a cookie name starting with `__Host-` needs \
                 Path=/ and no Domain"
            }
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ConfigError {}

/// Every rule, in a fixed order; the first broken one is the error.
pub(super) const fn check(config: &SessionConfig) -> Result<(), ConfigError> {
    if !is_token(config.name) {
        return Err(ConfigError::InvalidName);
    }
    if !is_path(config.path) {
        return Err(ConfigError::InvalidPath);
    }
    if let Some(domain) = config.domain
        && !is_domain(domain)
    {
        return Err(ConfigError::InvalidDomain);
    }
    if let Some(store) = config.store
        && store.is_empty()
    {
        return Err(ConfigError::EmptyStoreName);
    }
    if !in_range(config.max_age, MAX_MAX_AGE) {
        return Err(ConfigError::MaxAgeOutOfRange);
    }
    if !timeout_in_range(config.idle_timeout) || !timeout_in_range(config.absolute_timeout) {
        return Err(ConfigError::TimeoutOutOfRange);
    }
    check_secure(config)
}

/// The `Secure` flag that `SameSite=None`, `Partitioned` and the name
/// prefixes require, and the scope of a `__Host-` cookie.
const fn check_secure(config: &SessionConfig) -> Result<(), ConfigError> {
    let same_site_none = matches!(config.same_site, SameSite::None);
    if !config.secure && (same_site_none || config.partitioned) {
        return Err(ConfigError::NeedsSecure);
    }
    let host = has_prefix(config.name, b"__host-");
    if !config.secure && (host || has_prefix(config.name, b"__secure-")) {
        return Err(ConfigError::PrefixNeedsSecure);
    }
    if host && (config.domain.is_some() || !is_root(config.path)) {
        return Err(ConfigError::HostPrefixScope);
    }
    Ok(())
}

const fn in_range(duration: Duration, max: Duration) -> bool {
    !duration.is_zero() && duration.as_secs() <= max.as_secs()
}

const fn timeout_in_range(timeout: Option<Duration>) -> bool {
    match timeout {
        Some(timeout) => in_range(timeout, MAX_TIMEOUT),
        None => true,
    }
}

/// An RFC 6265 cookie-name: a non-empty RFC 2616 token.
const fn is_token(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if !byte.is_ascii_graphic() || is_separator(byte) {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty()
}

const fn is_separator(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
            | b'{'
            | b'}'
    )
}

/// A path browsers keep (it starts with `/`, RFC 6265 §5.2.4) that cannot
/// break out of its attribute.
const fn is_path(path: &str) -> bool {
    matches!(path.as_bytes().first(), Some(b'/')) && is_attribute_value(path.as_bytes())
}

const fn is_domain(domain: &str) -> bool {
    let bytes = domain.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' || is_unicode_whitespace_start(bytes, i) {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty() && is_attribute_value(bytes)
}

/// No control character (C0, DEL or C1) and no `;`.
const fn is_attribute_value(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let c1 = byte == 0xC2 && matches!(byte_at(bytes, i + 1), 0x80..=0x9F);
        if byte < 0x20 || byte == 0x7F || byte == b';' || c1 {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a non-ASCII whitespace character (U+0085, U+00A0, U+1680,
/// U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) starts at
/// `bytes[i]` in UTF-8.
const fn is_unicode_whitespace_start(bytes: &[u8], i: usize) -> bool {
    let (second, third) = (byte_at(bytes, i + 1), byte_at(bytes, i + 2));
    match bytes[i] {
        0xC2 => matches!(second, 0x85 | 0xA0),
        0xE1 => second == 0x9A && third == 0x80,
        0xE2 => {
            (second == 0x80 && matches!(third, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF))
                || (second == 0x81 && third == 0x9F)
        }
        0xE3 => second == 0x80 && third == 0x80,
        _ => false,
    }
}

/// The byte at `i`, or 0 past the end.
const fn byte_at(bytes: &[u8], i: usize) -> u8 {
    if i < bytes.len() { bytes[i] } else { 0 }
}

/// Whether `name` starts with `prefix` (given in lowercase), ignoring ASCII
/// case, as browsers compare cookie prefixes (RFC 6265bis §4.1.3).
const fn has_prefix(name: &str, prefix: &[u8]) -> bool {
    let name = name.as_bytes();
    if name.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if name[i].to_ascii_lowercase() != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn is_root(path: &str) -> bool {
    matches!(path.as_bytes(), [b'/'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &'static str) -> SessionConfig {
        SessionConfig::new(name)
    }

    #[test]
    fn names_are_tokens() {
        for good in ["user", "__Host-sid", "a.b_c-d~!#$%&'*+^`|"] {
            assert_eq!(named(good).check(), Ok(()), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a;b",
            "a=b",
            "a,b",
            "a\"b",
            "a/b",
            "\u{2000}sid",
            "sid\u{a0}",
            "é",
            "a\tb",
            "a\u{7f}",
        ] {
            assert_eq!(named(bad).check(), Err(ConfigError::InvalidName), "{bad:?}");
        }
    }

    #[test]
    fn paths_cannot_break_out_of_their_attribute() {
        assert_eq!(named("a").with_path("/app/x").check(), Ok(()));
        assert_eq!(named("a").with_path("/caf\u{e9}").check(), Ok(()));
        for bad in [
            "",
            "app",
            "/; Domain=evil.example",
            "/\r\nSet-Cookie: x=y",
            "/\u{0}",
            "/\u{7f}",
            "/\u{85}",
            "/\u{9f}",
        ] {
            let config = named("a").with_path(bad);
            assert_eq!(config.check(), Err(ConfigError::InvalidPath), "{bad:?}");
        }
    }

    #[test]
    fn domains_hold_no_whitespace_controls_or_separators() {
        assert_eq!(named("a").with_domain("example.com").check(), Ok(()));
        for bad in [
            "",
            "example.com; Path=/x",
            "exa mple.com",
            "example.com\u{a0}",
            "\u{2009}example.com",
            "example.\u{3000}com",
            "example.com\u{85}",
            "ex\u{1}ample.com",
        ] {
            let config = named("a").with_domain(bad);
            assert_eq!(config.check(), Err(ConfigError::InvalidDomain), "{bad:?}");
        }
    }

    #[test]
    fn durations_are_positive_and_bounded() {
        let day = Duration::from_hours(24);
        let ok = [
            named("a").with_max_age(Duration::from_secs(1)),
            named("a").with_max_age(MAX_MAX_AGE),
            named("a").with_idle_timeout(MAX_TIMEOUT),
            named("a").with_absolute_timeout(day * 3650),
        ];
        for config in ok {
            assert_eq!(config.check(), Ok(()), "{config:?}");
        }
        for max_age in [
            Duration::ZERO,
            MAX_MAX_AGE + Duration::from_secs(1),
            Duration::MAX,
        ] {
            let config = named("a").with_max_age(max_age);
            assert_eq!(config.check(), Err(ConfigError::MaxAgeOutOfRange));
        }
        for timeout in [
            Duration::ZERO,
            MAX_TIMEOUT + Duration::from_secs(1),
            Duration::MAX,
        ] {
            let idle = named("a").with_idle_timeout(timeout);
            assert_eq!(idle.check(), Err(ConfigError::TimeoutOutOfRange));
            let absolute = named("a").with_absolute_timeout(timeout);
            assert_eq!(absolute.check(), Err(ConfigError::TimeoutOutOfRange));
        }
    }

    #[test]
    fn secure_is_required_where_browsers_require_it() {
        let insecure = |name| named(name).with_secure(false);
        assert_eq!(insecure("a").check(), Ok(()));
        let none = insecure("a").with_same_site(SameSite::None);
        assert_eq!(none.check(), Err(ConfigError::NeedsSecure));
        let partitioned = insecure("a").with_partitioned(true);
        assert_eq!(partitioned.check(), Err(ConfigError::NeedsSecure));
        for prefixed in ["__Secure-a", "__Host-a", "__SECURE-a", "__host-a"] {
            let config = insecure(prefixed);
            assert_eq!(
                config.check(),
                Err(ConfigError::PrefixNeedsSecure),
                "{prefixed}"
            );
        }
    }

    #[test]
    fn host_cookies_are_host_only_on_the_root_path() {
        assert_eq!(named("__Host-a").check(), Ok(()));
        let domain = named("__Host-a").with_domain("example.com");
        assert_eq!(domain.check(), Err(ConfigError::HostPrefixScope));
        let path = named("__Host-a").with_path("/app");
        assert_eq!(path.check(), Err(ConfigError::HostPrefixScope));
        assert_eq!(named("__Secure-a").with_path("/app").check(), Ok(()));
    }

    #[test]
    fn the_store_name_is_not_empty() {
        assert_eq!(named("a").with_store("files").check(), Ok(()));
        let config = named("a").with_store("");
        assert_eq!(config.check(), Err(ConfigError::EmptyStoreName));
    }

    #[test]
    #[should_panic(expected = "invalid session config: the cookie path")]
    fn checked_panics_outside_a_const() {
        let _ = named("a").with_path("relative").checked();
    }
}
